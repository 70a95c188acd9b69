"""scikit-learn's array API dispatch, for the estimators: the one part of placement that needs it.

With ``sklearn.set_config(array_api_dispatch=True)``, an estimator given
PyTorch tensors, CuPy arrays or any array API arrays trains and predicts in
their namespace and on their device. Whether dispatch is on is scikit-learn's
setting, so the estimators ask scikit-learn for the namespace of their input
(:func:`namespace_and_device`); everything else about where arrays live
(devices, moves, "is this NumPy") is :mod:`skdnn.engine.namespace`'s, which
this module and the estimators ask. What must stay on the host (labels of any
type, SciPy's L-BFGS, model files) crosses once per fit or call.
"""

from sklearn.utils._array_api import get_namespace_and_device

from .. import engine

__all__ = ["check_same_namespace", "namespace_and_device", "to_device", "to_host"]

# The estimators' names for the moves of the placement module.
to_device = engine.to_device
to_host = engine.to_numpy


def namespace_and_device(*arrays):
    """``(xp, device, is_numpy)`` of ``arrays`` under the current dispatch setting.

    Without dispatch (scikit-learn's default) every input is NumPy's.
    """
    xp, _, device = get_namespace_and_device(*arrays)
    return xp, device, engine.is_numpy(xp)


def check_same_namespace(X, estimator, method):
    """Raise scikit-learn's ``ValueError`` when ``X`` is not where the model is.

    Parameters
    ----------
    X : array
        The input of ``method``, already validated.
    estimator : BaseLLayer
        Fitted.
    method : str
        For the message, e.g. ``"predict"``.
    """
    W = estimator.parameters_["W1"]
    model_xp, X_xp = engine.get_namespace(W), engine.get_namespace(X)
    if engine.is_numpy(model_xp) and engine.is_numpy(X_xp):
        return
    model_device, X_device = engine.device(W), engine.device(X)
    if model_xp.__name__ == X_xp.__name__ and model_device == X_device:
        return
    raise ValueError(
        f"Inputs passed to {type(estimator).__name__}.{method}() must use the same namespace "
        f"and the same device as those passed to fit(): the model is in {model_xp.__name__} "
        f"on {model_device}, X in {X_xp.__name__} on {X_device}. Move the model with "
        "'from sklearn.utils._array_api import get_namespace_and_device, "
        "move_estimator_to; xp, _, device = get_namespace_and_device(X); "
        "estimator = move_estimator_to(estimator, xp, device)'.")
