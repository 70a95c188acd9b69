"""Losses: one table, each loss paired with the output activation it expects.

Every loss here is the *canonical* partner of its output activation
(binary cross-entropy with sigmoid, categorical cross-entropy with softmax,
squared error with the identity, half the Poisson deviance with exp). For
such a pair the gradient of the loss with respect to the output
pre-activation ``ZL`` is simply ``AL - Y``, which
is what :func:`output_delta` returns. That shortcut is exact, cheaper than
going through ``dAL``, and finite even when the output saturates.

Costs are means over examples (columns) of per-example losses, each summed
over output units; sample weights turn the mean into a weighted mean.
"""

from typing import Callable, NamedTuple

import numpy as np

from .namespace import get_namespace, is_numpy

__all__ = ["LOSSES", "LOSS_OF_OUTPUT", "Loss", "compute_cost", "output_delta"]


class Loss(NamedTuple):
    """A loss and the output activation it is the canonical partner of.

    Attributes
    ----------
    per_example : callable
        ``per_example(AL, Y)`` returns, for each column, the loss summed over
        output units, shape ``(m,)``.
    output_activation : str
        Key of :data:`skdnn.engine.activations.ACTIVATIONS`.
    """

    per_example: Callable
    output_activation: str


def _clipped(AL):
    # Saturated outputs of exactly 0 or 1 would give log(0); eps is the
    # smallest change that 1.0 can take in AL's dtype.
    # (minimum/maximum rather than NumPy's clip, whose Python layer costs
    # more than the clipping of a batch of outputs.)
    xp = get_namespace(AL)
    eps = float(xp.finfo(AL.dtype).eps)
    return xp.minimum(xp.maximum(AL, eps), 1 - eps)


def _binary_cross_entropy(AL, Y):
    xp = get_namespace(AL, Y)
    P = _clipped(AL)
    return -xp.sum(Y * xp.log(P) + (1 - Y) * xp.log1p(-P), axis=0)


def _categorical_cross_entropy(AL, Y):
    # Softmax outputs never exceed 1, so only 0 needs clipping. (This runs
    # at every step: NumPy multiplies in place.)
    xp = get_namespace(AL, Y)
    log_P = xp.log(xp.maximum(AL, float(xp.finfo(AL.dtype).eps)))
    log_P = xp.multiply(log_P, Y, out=log_P if is_numpy(xp) else None)
    return -xp.sum(log_P, axis=0)


def _squared_error(AL, Y):
    xp = get_namespace(AL, Y)
    return 0.5 * xp.sum(xp.square(AL - Y), axis=0)


def _poisson_deviance(AL, Y):
    # Half the Poisson deviance, y log(y / AL) - y + AL, as scikit-learn's
    # MLPRegressor: zero for a perfect fit; y log(y / AL) is 0 where y is 0.
    # An output that underflowed to 0 is taken as the dtype's tiniest number.
    xp = get_namespace(AL, Y)
    tiny = float(xp.finfo(AL.dtype).smallest_normal)
    log_ratio = (xp.log(xp.maximum(Y, tiny)) - xp.log(xp.maximum(AL, tiny))) * Y
    return xp.sum(log_ratio - Y + AL, axis=0)


LOSSES = {
    "binary_cross_entropy": Loss(_binary_cross_entropy, "sigmoid"),
    "categorical_cross_entropy": Loss(_categorical_cross_entropy, "softmax"),
    "squared_error": Loss(_squared_error, "identity"),
    "poisson": Loss(_poisson_deviance, "exp"),
}
"""dict of str to :class:`Loss`: every loss the engine knows."""

LOSS_OF_OUTPUT = {loss.output_activation: name for name, loss in LOSSES.items()}
"""dict: the name of the loss that goes with each output activation."""


def mean_loss(per_example, sample_weight=None):
    """Mean (or weighted mean) of per-example losses, as a Python float."""
    return float(mean_loss_array(per_example, sample_weight))


def mean_loss_array(per_example, sample_weight=None):
    """As :func:`mean_loss`, but a 0-d array of the namespace of ``per_example``.

    On a GPU, a Python float waits for the device; a 0-d array does not.
    """
    xp = get_namespace(per_example, sample_weight)
    if sample_weight is None:
        return xp.sum(per_example) / per_example.shape[0]
    # NumPy's dot is BLAS's, whose sum runs in its own order: kept for NumPy.
    weighted = (np.dot if is_numpy(xp) else xp.vecdot)(per_example, sample_weight)
    return weighted / xp.sum(sample_weight)


def output_delta(AL, Y, sample_weight=None, out=None):
    """Gradient of the per-example loss with respect to ``ZL``: ``AL - Y``.

    Valid for every loss of :data:`LOSSES` with its own output activation.
    With ``sample_weight``, column ``i`` is scaled by ``m * w_i / sum(w)``:
    the backward pass divides by ``m`` (the course's ``1/m``), so the result
    is the gradient of the weighted mean loss, and unit weights change
    nothing, not even the rounding.

    Parameters
    ----------
    AL : ndarray of shape (n_outputs, m)
        Output activations.
    Y : ndarray of shape (n_outputs, m)
        Targets.
    sample_weight : ndarray of shape (m,), default=None
        Weight of each example.
    out : ndarray of shape (n_outputs, m), default=None
        Buffer for the result.

    Returns
    -------
    dZL : ndarray of shape (n_outputs, m)
    """
    xp = get_namespace(AL, Y, sample_weight)
    dZ = xp.subtract(AL, Y, out=out)
    if sample_weight is not None:
        dZ = xp.multiply(dZ, sample_weight * (AL.shape[1] / xp.sum(sample_weight)),
                         out=None if out is None else dZ)
    return dZ


def compute_cost(AL, Y):
    """Binary cross-entropy cost of the course.

    ``-(1/m) * sum(Y log AL + (1 - Y) log(1 - AL))``, finite and warning-free
    even when ``AL`` is exactly 0 or 1.

    Parameters
    ----------
    AL : ndarray of shape (1, m)
        Probabilities of the positive class.
    Y : ndarray of shape (1, m)
        True labels, 0 or 1.

    Returns
    -------
    cost : float
    """
    xp = get_namespace(AL, Y)
    AL = xp.asarray(AL)
    Y = xp.reshape(xp.asarray(Y), AL.shape)
    return mean_loss(LOSSES["binary_cross_entropy"].per_example(AL, Y))
