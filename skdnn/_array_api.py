"""Where the estimators' arrays live: scikit-learn's array API dispatch, in one place.

With ``sklearn.set_config(array_api_dispatch=True)``, an estimator given
PyTorch tensors, CuPy arrays or any array API arrays trains and predicts in
their namespace and on their device. What must stay on the host (labels of
any type, SciPy's L-BFGS, model files) crosses here, once per fit or call.
"""

import numpy as np
from sklearn.utils._array_api import _is_numpy_namespace, get_namespace_and_device, move_to

from . import engine

__all__ = ["check_same_namespace", "device_of", "namespace_and_device", "to_device", "to_host"]


def namespace_and_device(*arrays):
    """``(xp, device, is_numpy)`` of ``arrays`` under the current dispatch setting.

    Without dispatch (scikit-learn's default) every input is NumPy's.
    """
    xp, _, device = get_namespace_and_device(*arrays)
    return xp, device, _is_numpy_namespace(xp)


def to_device(array, xp, device):
    """``array`` (NumPy, or None) moved to namespace ``xp`` and ``device``."""
    if array is None:
        return None
    return move_to(array, xp=xp, device=device)


def to_host(array):
    """``array`` as a NumPy array (None stays None)."""
    return None if array is None else engine.to_numpy(array)


def device_of(array):
    """The device of ``array`` ("cpu" for NumPy)."""
    import array_api_compat

    return "cpu" if isinstance(array, np.ndarray) else array_api_compat.device(array)


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
    if model_xp is np and X_xp is np:
        return
    model_device, X_device = device_of(W), device_of(X)
    if model_xp.__name__ == X_xp.__name__ and model_device == X_device:
        return
    raise ValueError(
        f"Inputs passed to {type(estimator).__name__}.{method}() must use the same namespace "
        f"and the same device as those passed to fit(): the model is in {model_xp.__name__} "
        f"on {model_device}, X in {X_xp.__name__} on {X_device}. Move the model with "
        "'from sklearn.utils._array_api import get_namespace_and_device, "
        "move_estimator_to; xp, _, device = get_namespace_and_device(X); "
        "estimator = move_estimator_to(estimator, xp, device)'.")
