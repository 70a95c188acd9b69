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

The estimators do not use these functions yet; they are the engine's first
step towards batch normalisation.
"""

from typing import Any, NamedTuple

from .namespace import get_namespace

__all__ = [
    "BatchNormCache",
    "batchnorm_backward",
    "batchnorm_forward",
    "batchnorm_inference",
    "update_running_average",
]


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
    """

    Z_norm: Any
    inv_std: Any
    gamma: Any
    mu: Any
    var: Any


def batchnorm_forward(Z, gamma, beta, epsilon=1e-8):
    """Normalise each unit over the batch, then scale by ``gamma`` and shift by ``beta``.

    Parameters
    ----------
    Z : array of shape (n_units, m)
        Pre-activations of one layer, one column per example.
    gamma : array of shape (n_units, 1)
        Learned scale.
    beta : array of shape (n_units, 1)
        Learned shift.
    epsilon : float, default=1e-8
        Added to the variance so that a constant unit (variance 0) stays finite.

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
    mu = xp.mean(Z, axis=1, keepdims=True)
    centred = Z - mu
    var = xp.mean(centred * centred, axis=1, keepdims=True)
    inv_std = 1.0 / xp.sqrt(var + epsilon)
    Z_norm = centred * inv_std
    Z_tilde = gamma * Z_norm + beta
    return Z_tilde, BatchNormCache(Z_norm, inv_std, gamma, mu, var)


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
    """
    xp = get_namespace(dZ_tilde)
    Z_norm, inv_std, gamma = cache.Z_norm, cache.inv_std, cache.gamma
    m = Z_norm.shape[1]
    dbeta = xp.sum(dZ_tilde, axis=1, keepdims=True)
    dgamma = xp.sum(dZ_tilde * Z_norm, axis=1, keepdims=True)
    dZ_norm = dZ_tilde * gamma
    dZ = (inv_std / m) * (m * dZ_norm
                          - xp.sum(dZ_norm, axis=1, keepdims=True)
                          - Z_norm * xp.sum(dZ_norm * Z_norm, axis=1, keepdims=True))
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


def batchnorm_inference(Z, gamma, beta, running_mean, running_var, epsilon=1e-8):
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
    epsilon : float, default=1e-8
        As in :func:`batchnorm_forward`.

    Returns
    -------
    Z_tilde : array of shape (n_units, m)
        ``gamma * (Z - running_mean) / sqrt(running_var + epsilon) + beta``.
    """
    xp = get_namespace(Z, gamma, beta, running_mean, running_var)
    inv_std = 1.0 / xp.sqrt(running_var + epsilon)
    return gamma * ((Z - running_mean) * inv_std) + beta
