"""Batch normalisation: the formulas of course 2, week 3.

Layout as everywhere in the engine: ``Z`` of shape ``(n_units, m)`` (examples
are columns), ``gamma`` and ``beta`` of shape ``(n_units, 1)``. In training a
layer normalises each unit over the mini-batch::

    mu      = mean(Z, axis=1)
    var     = mean((Z - mu)**2, axis=1)
    Z_norm  = (Z - mu) / sqrt(var + epsilon)
    Z_tilde = gamma * Z_norm + beta

and keeps exponentially weighted averages of ``mu`` and ``var`` for
prediction, where one example has no batch to be normalised over.

A batch-normalised layer has no bias: ``beta`` takes its place. In a
parameter dict its ``W{l}`` is joined by ``gamma{l}`` and ``beta{l}``
instead of ``b{l}`` (:func:`skdnn.engine.initialize_network`), and the
propagation functions normalise every layer that has a ``gamma{l}``.

With sample weights, ``mu`` and ``var`` are the weighted mean and variance
(each example counting in proportion to its weight, so that a weight of 2
is the example seen twice and a weight of 0 is no example); without, the
course's plain means.
"""

from typing import Any, NamedTuple

from .namespace import get_namespace

__all__ = [
    "BATCH_NORM_EPSILON",
    "BatchNormCache",
    "batchnorm_backward",
    "batchnorm_forward",
    "batchnorm_inference",
    "fold_batch_norm",
    "initialize_running_stats",
    "update_running_average",
    "update_running_stats",
]

BATCH_NORM_EPSILON = 1e-5
"""float: the ``epsilon`` added to the variance (PyTorch's and ONNX's default)."""


class BatchNormCache(NamedTuple):
    """What :func:`batchnorm_forward` keeps for the backward step.

    Attributes
    ----------
    Z_norm : array of shape (n_units, m)
        The normalised pre-activations ``(Z - mu) / sqrt(var + epsilon)``.
    inv_std : array of shape (n_units, 1)
        ``1 / sqrt(var + epsilon)``.
    gamma : array of shape (n_units, 1)
        The scale that ``Z_tilde`` was computed with.
    mu : array of shape (n_units, 1)
        The batch's mean of each unit (for :func:`update_running_average`).
    var : array of shape (n_units, 1)
        The batch's (biased) variance of each unit.
    share : float or array of shape (m,)
        Each example's share of the statistics: ``1 / m``, or its weight
        divided by the batch's total weight.
    """

    Z_norm: Any
    inv_std: Any
    gamma: Any
    mu: Any
    var: Any
    share: Any


def _batch_mean(values, share):
    # The mean over the examples (columns), each counting by its share.
    xp = get_namespace(values)
    if isinstance(share, float):
        return xp.mean(values, axis=1, keepdims=True)
    return xp.sum(values * share, axis=1, keepdims=True)


def batchnorm_forward(Z, gamma, beta, epsilon=BATCH_NORM_EPSILON, sample_weight=None):
    """Normalise each unit over the batch, then scale by ``gamma`` and shift by ``beta``.

    Parameters
    ----------
    Z : array of shape (n_units, m)
        Pre-activations of one layer, one column per example.
    gamma : array of shape (n_units, 1)
        Learned scale.
    beta : array of shape (n_units, 1)
        Learned shift.
    epsilon : float, default=1e-5
        Added to the variance so that a constant unit (variance 0) stays finite.
    sample_weight : array of shape (m,), default=None
        Weight of each example in ``mu`` and ``var``; ``None``: the plain means.

    Returns
    -------
    Z_tilde : array of shape (n_units, m)
        ``gamma * Z_norm + beta``, in the dtype and namespace of ``Z``.
    cache : BatchNormCache
        ``Z_norm``, ``inv_std`` and ``gamma`` for :func:`batchnorm_backward`,
        and the batch's ``mu`` and ``var`` (``cache.mu``, ``cache.var``) for
        :func:`update_running_average`.
    """
    xp = get_namespace(Z, gamma, beta)
    m = Z.shape[1]
    share = 1.0 / m if sample_weight is None else sample_weight / xp.sum(sample_weight)
    mu = _batch_mean(Z, share)
    centred = Z - mu
    var = _batch_mean(centred * centred, share)
    inv_std = 1.0 / xp.sqrt(var + epsilon)
    Z_norm = centred * inv_std
    Z_tilde = gamma * Z_norm + beta
    return Z_tilde, BatchNormCache(Z_norm, inv_std, gamma, mu, var, share)


def batchnorm_backward(dZ_tilde, cache):
    """Gradients of batch normalisation with respect to ``Z``, ``gamma`` and ``beta``.

    Parameters
    ----------
    dZ_tilde : array of shape (n_units, m)
        Gradient of the loss with respect to ``Z_tilde``.
    cache : BatchNormCache
        From :func:`batchnorm_forward`.

    Returns
    -------
    dZ : array of shape (n_units, m)
        Gradient with respect to ``Z``.
    dgamma : array of shape (n_units, 1)
        Gradient with respect to ``gamma``.
    dbeta : array of shape (n_units, 1)
        Gradient with respect to ``beta``.

    Notes
    -----
    With ``s = inv_std`` and ``x_hat = Z_norm`` (one unit; sums run over the
    batch), ``x_hat_i = (z_i - mu) * s`` depends on ``z_j`` through ``mu``
    and ``var`` too::

        d x_hat_i / d z_j = s * (delta_ij - 1/m - x_hat_i * x_hat_j / m)

    (``d mu / d z_j = 1/m`` and ``d s / d z_j = -s**3 * (z_j - mu) / m``).
    Contracting with ``dZ_norm = dZ_tilde * gamma`` gives the compact form::

        dZ = (s / m) * (m * dZ_norm - sum(dZ_norm) - x_hat * sum(dZ_norm * x_hat))

    With sample weights each ``1/m`` is the example's share ``p_j`` (its
    weight over the total), ``d x_hat_i / d z_j = s * (delta_ij - p_j -
    x_hat_i * x_hat_j * p_j)``, and so::

        dZ = s * (dZ_norm - p * (sum(dZ_norm) + x_hat * sum(dZ_norm * x_hat)))

    which is the form computed (with ``p = 1/m`` it is the one above).
    """
    xp = get_namespace(dZ_tilde)
    Z_norm, inv_std, gamma, share = cache.Z_norm, cache.inv_std, cache.gamma, cache.share
    dbeta = xp.sum(dZ_tilde, axis=1, keepdims=True)
    dgamma = xp.sum(dZ_tilde * Z_norm, axis=1, keepdims=True)
    dZ_norm = dZ_tilde * gamma
    dZ = inv_std * (dZ_norm - share * (xp.sum(dZ_norm, axis=1, keepdims=True)
                                       + Z_norm * xp.sum(dZ_norm * Z_norm, axis=1,
                                                         keepdims=True)))
    return dZ, dgamma, dbeta


def update_running_average(running, batch_value, momentum):
    """One step of the exponentially weighted average of a batch statistic.

    Parameters
    ----------
    running : array of shape (n_units, 1)
        The average so far (the course starts it at zeros for the mean and
        ones for the variance).
    batch_value : array of shape (n_units, 1)
        This batch's statistic (``cache.mu`` or ``cache.var``).
    momentum : float in [0, 1]
        The weight of the *old* average, the course's ``beta`` of
        exponentially weighted averages (0.9 is usual).
        PyTorch's ``BatchNorm`` ``momentum`` is the opposite: the weight of
        the new value, so PyTorch's 0.1 is ``momentum=0.9`` here.

    Returns
    -------
    array of shape (n_units, 1)
        ``momentum * running + (1 - momentum) * batch_value``.
    """
    return momentum * running + (1.0 - momentum) * batch_value


def batchnorm_inference(Z, gamma, beta, running_mean, running_var,
                        epsilon=BATCH_NORM_EPSILON):
    """Normalise with stored statistics, as at prediction time.

    Parameters
    ----------
    Z : array of shape (n_units, m)
        Pre-activations; ``m`` may be 1.
    gamma : array of shape (n_units, 1)
        Learned scale.
    beta : array of shape (n_units, 1)
        Learned shift.
    running_mean : array of shape (n_units, 1)
        Averaged batch means (:func:`update_running_average`).
    running_var : array of shape (n_units, 1)
        Averaged batch variances.
    epsilon : float, default=1e-5
        As in :func:`batchnorm_forward`.

    Returns
    -------
    Z_tilde : array of shape (n_units, m)
        ``gamma * (Z - running_mean) / sqrt(running_var + epsilon) + beta``.
    """
    xp = get_namespace(Z, gamma, beta, running_mean, running_var)
    inv_std = 1.0 / xp.sqrt(running_var + epsilon)
    return gamma * ((Z - running_mean) * inv_std) + beta


def _normalised_layers(parameters):
    # The layers with a gamma: those the propagation functions normalise.
    return [int(name[len("gamma"):]) for name in parameters if name.startswith("gamma")]


def initialize_running_stats(parameters):
    """Running statistics that have seen no batch: means 0, variances 1 (PyTorch's start).

    Parameters
    ----------
    parameters : dict
        A network; its layers with a ``gamma{l}`` are the batch-normalised ones.

    Returns
    -------
    running_stats : dict
        ``running_mean{l}`` (zeros) and ``running_var{l}`` (ones) of shape
        ``(n_l, 1)`` for each batch-normalised layer ``l``, where and as its
        ``gamma{l}`` is; empty for a network without batch normalisation.
    """
    running_stats = {}
    for l in _normalised_layers(parameters):
        gamma = parameters[f"gamma{l}"]
        xp = get_namespace(gamma)
        running_stats[f"running_mean{l}"] = xp.zeros_like(gamma)
        running_stats[f"running_var{l}"] = xp.ones_like(gamma)
    return running_stats


def update_running_stats(running_stats, caches, momentum):
    """Move every layer's running mean and variance towards its batch's, in place.

    Parameters
    ----------
    running_stats : dict
        As made by :func:`initialize_running_stats`; its entries are replaced.
    caches : list of tuple
        The caches of a forward pass in training (batch statistics); a
        batch-normalised layer's is ``(linear_cache, activation_cache,
        batchnorm_cache)``.
    momentum : float in [0, 1]
        See :func:`update_running_average`.
    """
    for l, cache in enumerate(caches, start=1):
        statistics = cache[-1]
        if isinstance(statistics, BatchNormCache):
            running_stats[f"running_mean{l}"] = update_running_average(
                running_stats[f"running_mean{l}"], statistics.mu, momentum)
            running_stats[f"running_var{l}"] = update_running_average(
                running_stats[f"running_var{l}"], statistics.var, momentum)


def fold_batch_norm(parameters, running_stats, epsilon=BATCH_NORM_EPSILON):
    """The plain network that computes what the batch-normalised one predicts.

    At prediction a batch-normalised layer is affine in ``Z = W A``::

        gamma * (W A - mean) / sqrt(var + epsilon) + beta = W' A + b'

    with ``W' = (gamma / sqrt(var + epsilon)) * W`` (each unit's row scaled)
    and ``b' = beta - gamma * mean / sqrt(var + epsilon)``.

    Parameters
    ----------
    parameters : dict
        A network, batch-normalised layers included.
    running_stats : dict
        Their running statistics.
    epsilon : float, default=1e-5
        As in :func:`batchnorm_inference`.

    Returns
    -------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``: the layers without batch
        normalisation as they are (the same arrays), the others folded (new
        arrays).
    """
    folded = {}
    n_layers = sum(name.startswith("W") for name in parameters)
    for l in range(1, n_layers + 1):
        W = parameters[f"W{l}"]
        if f"gamma{l}" not in parameters:
            folded[f"W{l}"], folded[f"b{l}"] = W, parameters[f"b{l}"]
            continue
        xp = get_namespace(W)
        scale = parameters[f"gamma{l}"] / xp.sqrt(running_stats[f"running_var{l}"] + epsilon)
        folded[f"W{l}"] = scale * W
        folded[f"b{l}"] = parameters[f"beta{l}"] - scale * running_stats[f"running_mean{l}"]
    return folded
