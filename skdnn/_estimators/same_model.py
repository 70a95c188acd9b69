"""Whether a warm start or ``partial_fit`` continues the fitted model: one place decides.

A fit starts a new model unless the estimator is fitted and either
``warm_start`` is on or the fit is ``partial_fit``. Continuing keeps the
network, so the settings and the data must still describe it:

- the same hidden layers: their sizes (and so the number of per-layer
  activations and dropout rates, which ``_check_settings`` holds to the
  sizes), their activations and which of them are batch-normalised;
- the same output layer: its activation (the loss's partner, see
  :data:`skdnn.engine.LOSSES`) and one output per column of the encoded ``y``.

Each is refused with a ``ValueError`` that names the change, before any
fitted state changes. What may change is followed instead
(:func:`follow_settings`): another solver or other optimiser settings start a
fresh optimiser, a validation set (``early_stopping`` turned on, or ``X_val``)
starts its curves, and the model moves to the namespace, device and dtype of the new ``X``.
The labels (a classifier's classes, a regressor's 1-D or 2-D ``y``) are the
target encoders' own checks, in each estimator's ``_encode_targets``.
"""

from .. import engine
from .array_api import to_device

__all__ = ["check_same_network", "check_same_outputs", "continues", "follow_settings"]

VALIDATION_CURVES = ("validation_scores_", "validation_loss_curve_", "best_validation_score_")


def continues(estimator, incremental):
    """Whether this fit continues the fitted model rather than starting a new one.

    Parameters
    ----------
    estimator : BaseLLayer
    incremental : bool
        Whether the fit is ``partial_fit``.

    Returns
    -------
    continues : bool
    """
    return hasattr(estimator, "parameters_") and bool(estimator.warm_start or incremental)


def _start_over(incremental):
    if incremental:
        return ("partial_fit continues the fitted model: to refit from scratch, use fit with "
                "warm_start=False (or a clone of the estimator).")
    return "a warm start continues the fitted model: set warm_start=False to train a new one."


def check_same_network(estimator, hidden_activations, batch_norm, incremental):
    """Raise ValueError when the settings ask for other layers than the fitted ones.

    Called before the data are validated, so nothing has changed yet.

    Parameters
    ----------
    estimator : BaseLLayer
        Fitted.
    hidden_activations : list of str
        The hidden activations the settings ask for (``_check_settings``).
    batch_norm : list of bool
        Which hidden layers the settings batch-normalise.
    incremental : bool
        Whether the fit is ``partial_fit`` (for the message).
    """
    parameters = estimator.parameters_
    fitted = tuple(parameters[f"W{l}"].shape[0] for l in range(1, estimator.n_layers_ - 1))
    if tuple(estimator._layer_sizes()) != fitted:
        raise ValueError(f"hidden_layer_sizes={estimator.hidden_layer_sizes!r} differs from "
                         f"the hidden layers of the fitted model, {fitted}; "
                         f"{_start_over(incremental)}")
    if list(hidden_activations) != list(estimator._hidden_activations):
        raise ValueError(f"activation={estimator.activation!r} differs from the hidden "
                         f"activations of the fitted model, {estimator._hidden_activations}; "
                         f"{_start_over(incremental)}")
    fitted = [f"gamma{l}" in parameters for l in range(1, estimator.n_layers_ - 1)]
    if list(batch_norm) != fitted:
        # A normalised layer has gamma and beta where another has a bias.
        raise ValueError(f"batch_norm={estimator.batch_norm!r} differs from the "
                         f"batch-normalised layers of the fitted model, {fitted}; "
                         f"{_start_over(incremental)}")
    asked, fitted = estimator._out_activation(), estimator.out_activation_
    if asked != fitted:
        # The output layer is the loss's (engine.LOSSES): continuing would keep the old one.
        raise ValueError(f"loss={engine.LOSS_OF_OUTPUT[asked]!r} differs from the loss this "
                         f"model was fit with, {engine.LOSS_OF_OUTPUT[fitted]!r} (a {fitted} "
                         f"output layer); {_start_over(incremental)}")


def check_same_outputs(estimator, n_outputs, incremental):
    """Raise ValueError when the encoded ``y`` has another number of columns than outputs.

    Parameters
    ----------
    estimator : BaseLLayer
        Fitted.
    n_outputs : int
        The number of columns of the encoded targets.
    incremental : bool
        Whether the fit is ``partial_fit`` (for the message).
    """
    if n_outputs != estimator.n_outputs_:
        raise ValueError(f"y has {n_outputs} column(s) but the model has "
                         f"{estimator.n_outputs_} outputs; {_start_over(incremental)}")


def follow_settings(estimator, dtype, xp, device, validating=False):
    """Keep the model and follow the settings that may change; put it where ``X`` is.

    Parameters
    ----------
    estimator : BaseLLayer
        Fitted or just initialised.
    dtype : dtype
        ``X``'s: the parameters and the optimiser state are cast to it.
    xp : namespace
        ``X``'s array namespace.
    device : device
        ``X``'s device.
    validating : bool, default=False
        Whether this fit scores a validation set each epoch (its curves start
        here when the fitted model has none).
    """
    if validating and estimator.validation_scores_ is None:
        estimator._start_fitted_state(None, VALIDATION_CURVES)
    # After set_params(solver=..., momentum=...), the optimiser state of
    # another solver or other settings does not carry over.
    if not estimator._optimizer_is_current():
        estimator._optimizer = estimator._new_optimizer()
    # Every array of the model where X is and in its dtype (the first fit's
    # target scale is computed in float64 on the host, for one).
    estimator._move_fitted_state(
        lambda array: xp.astype(to_device(array, xp, device), dtype, copy=False))
