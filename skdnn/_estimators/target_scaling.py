"""A regressor's targets on a standard scale: the scale fixed at the first fit, predictions
mapped back.

The network trains on ``(y - offset) / scale`` and predicts
``offset + scale * output``. For the squared error, ``offset`` and ``scale``
are the (weighted) mean and standard deviation of each output, as
:class:`~sklearn.preprocessing.StandardScaler` computes them; for the Poisson
loss, whose targets must stay non-negative counts or rates, ``offset`` is 0
and ``scale`` the (weighted) mean. A constant output keeps the scale 1.
"""

import numpy as np
from sklearn.preprocessing import StandardScaler

from .array_api import namespace_and_device, to_device, to_host

__all__ = ["fit_target_scale", "scale_targets", "unscale_outputs"]


def fit_target_scale(Y, sample_weight=None, *, centre=True):
    """The ``offset`` and ``scale`` of each output of ``Y``.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_outputs)
        Targets, scikit-learn layout.
    sample_weight : ndarray of shape (n_samples,), default=None
        The statistics are weighted as the loss is: a weight of 2 counts as
        the row twice.
    centre : bool, default=True
        ``True``: mean and standard deviation. ``False`` (for the Poisson
        loss): offset 0, scale the mean, so that the targets stay non-negative.

    Returns
    -------
    offset, scale : ndarray of shape (n_outputs,), float64
        ``scale`` is positive: 1 for an output with no spread (or, with
        ``centre=False``, a mean of 0).
    """
    Y = np.asarray(Y, dtype=np.float64)
    if centre:
        scaler = StandardScaler().fit(Y, sample_weight=sample_weight)
        return scaler.mean_.copy(), scaler.scale_.copy()
    mean = np.average(Y, axis=0, weights=sample_weight)
    return np.zeros_like(mean), np.where(mean > 0, mean, 1.0)


def scale_targets(Y, offset, scale):
    """``(Y - offset) / scale``, in float64 (the training targets)."""
    return (np.asarray(Y, dtype=np.float64) - offset) / scale


def unscale_outputs(outputs, offset, scale):
    """``offset + scale * outputs`` in the namespace, device and dtype of ``outputs``.

    Parameters
    ----------
    outputs : array of shape (n_samples, n_outputs)
        The network's outputs, NumPy or any array API array.
    offset, scale : array of shape (n_outputs,)
        NumPy or in the namespace of ``outputs``.

    Returns
    -------
    predictions : array of shape (n_samples, n_outputs)
    """
    xp, device, on_numpy = namespace_and_device(outputs)
    if on_numpy:
        scale, offset = to_host(scale), to_host(offset)
        return outputs * scale.astype(outputs.dtype, copy=False) + offset.astype(outputs.dtype,
                                                                                 copy=False)
    scale, offset = (xp.astype(to_device(v, xp, device), outputs.dtype) for v in (scale, offset))
    return outputs * scale + offset
