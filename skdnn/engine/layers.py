"""One layer, forward and backward: the course's linear and activation steps.

``linear_forward`` and ``linear_backward`` are the linear step,
``linear_activation_forward`` and ``linear_activation_backward`` a whole
layer, as the course writes them; ``linear_batchnorm_activation_forward``
and ``..._backward`` the same layer with batch normalisation between the
linear step and the activation (:mod:`skdnn.engine.batch_norm`). Each takes
optional ``out=`` buffers (a :class:`~skdnn.engine.Workspace`'s) to compute
into; :mod:`skdnn.engine.propagation` chains them through a network.

Layout: examples are columns. ``A`` of layer ``l`` has shape ``(n_l, m)``.
A layer's cache is ``(linear_cache, activation_cache)`` with
``linear_cache = (A_prev, W, b)`` and ``activation_cache = Z``; a
batch-normalised layer's is ``(linear_cache, activation_cache,
batchnorm_cache)``, with ``linear_cache = (A_prev, W, None)``,
``activation_cache = Z_tilde`` and the batch's statistics last (``None`` when
the layer was normalised by running statistics, as at prediction).
"""

import numpy as np

from .activations import ACTIVATIONS
from .batch_norm import batchnorm_backward, batchnorm_forward, batchnorm_inference
from .namespace import get_namespace, is_numpy

__all__ = [
    "linear_activation_backward",
    "linear_activation_forward",
    "linear_backward",
    "linear_batchnorm_activation_backward",
    "linear_batchnorm_activation_forward",
    "linear_forward",
]


def _matmul(a, b, out=None):
    # A sparse operand (a scipy matrix has no ``out=``) falls back to ``@``,
    # as does every namespace but NumPy.
    if out is None or not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        product = a @ b
        return np.asarray(product) if is_numpy(get_namespace(a, b)) else product
    return np.matmul(a, b, out=out)


def linear_forward(A, W, b, out=None):
    """Linear part of a layer: ``Z = W A + b``.

    Parameters
    ----------
    A : ndarray or sparse matrix of shape (n_{l-1}, m)
        Activations of the previous layer (or the input).
    W : ndarray of shape (n_l, n_{l-1})
    b : ndarray of shape (n_l, 1)
    out : ndarray of shape (n_l, m), default=None
        Buffer for ``Z``.

    Returns
    -------
    Z : ndarray of shape (n_l, m)
    cache : tuple
        ``(A, W, b)``.
    """
    Z = _matmul(W, A, out=out)
    Z = get_namespace(Z).add(Z, b, out=out)
    return Z, (A, W, b)


def linear_activation_forward(A_prev, W, b, activation, out=None):
    """One layer forward: ``A = g(W A_prev + b)``.

    Parameters
    ----------
    A_prev : ndarray of shape (n_{l-1}, m)
    W : ndarray of shape (n_l, n_{l-1})
    b : ndarray of shape (n_l, 1)
    activation : str
        Key of :data:`skdnn.engine.ACTIVATIONS`, e.g. ``"relu"`` or ``"sigmoid"``.
    out : tuple of two ndarrays, default=None
        Buffers for ``Z`` and ``A``.

    Returns
    -------
    A : ndarray of shape (n_l, m)
    cache : tuple
        ``(linear_cache, activation_cache)``: ``((A_prev, W, b), Z)``.
    """
    Z_out, A_out = (None, None) if out is None else out
    Z, linear_cache = linear_forward(A_prev, W, b, out=Z_out)
    A = ACTIVATIONS[activation].forward(Z, out=A_out)
    return A, (linear_cache, Z)


def linear_batchnorm_activation_forward(A_prev, W, gamma, beta, activation, running=None,
                                        sample_weight=None, out=None):
    """One batch-normalised layer forward: ``A = g(BN(W A_prev))``, without bias.

    Parameters
    ----------
    A_prev : ndarray of shape (n_{l-1}, m)
    W : ndarray of shape (n_l, n_{l-1})
    gamma, beta : ndarray of shape (n_l, 1)
        The layer's scale and shift (``beta`` takes the place of the bias).
    activation : str
        Key of :data:`skdnn.engine.ACTIVATIONS`.
    running : tuple of two ndarrays, default=None
        The layer's running mean and variance, to normalise by them (as at
        prediction); ``None`` normalises by the batch's own statistics (as
        in training).
    sample_weight : ndarray of shape (m,), default=None
        Weights of the batch's statistics (see :func:`skdnn.engine.batchnorm_forward`).
    out : tuple of two ndarrays, default=None
        Buffers for ``Z`` and ``A``.

    Returns
    -------
    A : ndarray of shape (n_l, m)
    cache : tuple
        ``((A_prev, W, None), Z_tilde, batchnorm_cache)``; ``batchnorm_cache``
        is ``None`` with ``running``.
    """
    Z_out, A_out = (None, None) if out is None else out
    Z = _matmul(W, A_prev, out=Z_out)
    if running is None:
        Z_tilde, batchnorm_cache = batchnorm_forward(Z, gamma, beta, sample_weight=sample_weight)
    else:
        Z_tilde, batchnorm_cache = batchnorm_inference(Z, gamma, beta, *running), None
    A = ACTIVATIONS[activation].forward(Z_tilde, out=A_out)
    return A, ((A_prev, W, None), Z_tilde, batchnorm_cache)


def _parameter_gradients(dZ, A_prev, out=None):
    # dW = (1/m) dZ A_prev^T and db = (1/m) sum(dZ, axis=1, keepdims=True),
    # with the 1/m applied to dZ, (n_l, m), rather than to dW, (n_l, n_{l-1}):
    # the first layer's dW is usually far larger than its dZ.
    dW_out, db_out = (None, None) if out is None else out
    m = A_prev.shape[1]
    dZ_mean = dZ * (1 / m)
    dW = _matmul(dZ_mean, A_prev.T, out=dW_out)
    db = get_namespace(dZ).sum(dZ_mean, axis=1, keepdims=True, out=db_out)
    return dW, db


def linear_backward(dZ, cache, out=None, *, input_gradient=True):
    """Linear part of a layer backward.

    ``dW = (1/m) dZ A_prev^T``, ``db = (1/m) sum(dZ, axis=1, keepdims=True)``,
    ``dA_prev = W^T dZ``.

    Parameters
    ----------
    dZ : ndarray of shape (n_l, m)
    cache : tuple
        ``(A_prev, W, b)`` from :func:`linear_forward`.
    out : tuple of three ndarrays, default=None
        Buffers for ``dA_prev``, ``dW`` and ``db``.
    input_gradient : bool, default=True
        Whether to compute ``dA_prev``; the first layer's, ``dA0``, is never
        needed to train.

    Returns
    -------
    dA_prev : ndarray of shape (n_{l-1}, m), or None without ``input_gradient``
    dW : ndarray of shape (n_l, n_{l-1})
    db : ndarray of shape (n_l, 1)
    """
    A_prev, W, _ = cache
    dA_out, dW_out, db_out = (None, None, None) if out is None else out
    dW, db = _parameter_gradients(dZ, A_prev, out=(dW_out, db_out))
    dA_prev = _matmul(W.T, dZ, out=dA_out) if input_gradient else None
    return dA_prev, dW, db


def linear_activation_backward(dA, cache, activation, out=None, *, input_gradient=True):
    """One layer backward: the activation's backward, then :func:`linear_backward`.

    Parameters
    ----------
    dA : ndarray of shape (n_l, m)
        Gradient with respect to the layer's activations.
    cache : tuple
        ``(linear_cache, activation_cache)`` from :func:`linear_activation_forward`.
    activation : str
        Key of :data:`skdnn.engine.ACTIVATIONS`.
    out : tuple of three ndarrays, default=None
        Buffers for ``dA_prev``, ``dW`` and ``db``; ``dZ`` then overwrites ``dA``.
    input_gradient : bool, default=True
        Whether to compute ``dA_prev`` (see :func:`linear_backward`).

    Returns
    -------
    dA_prev : ndarray of shape (n_{l-1}, m), or None without ``input_gradient``
    dW : ndarray of shape (n_l, n_{l-1})
    db : ndarray of shape (n_l, 1)
    """
    linear_cache, activation_cache = cache
    dZ_out = None if out is None else dA
    dZ = ACTIVATIONS[activation].backward(dA, activation_cache, out=dZ_out)
    return linear_backward(dZ, linear_cache, out=out, input_gradient=input_gradient)


def linear_batchnorm_activation_backward(dA, cache, activation, out=None, *,
                                         input_gradient=True):
    """One batch-normalised layer backward: activation, batch norm, then the linear step.

    Parameters
    ----------
    dA : ndarray of shape (n_l, m)
        Gradient with respect to the layer's activations.
    cache : tuple
        From :func:`linear_batchnorm_activation_forward` in training.
    activation : str
        Key of :data:`skdnn.engine.ACTIVATIONS`.
    out : tuple of three ndarrays, default=None
        Buffers for ``dA_prev``, ``dW`` and a ``db`` (computed and unused);
        ``dZ_tilde`` then overwrites ``dA``.
    input_gradient : bool, default=True
        Whether to compute ``dA_prev`` (see :func:`linear_backward`).

    Returns
    -------
    dA_prev : ndarray of shape (n_{l-1}, m), or None without ``input_gradient``
    dW : ndarray of shape (n_l, n_{l-1})
    dgamma, dbeta : ndarray of shape (n_l, 1)
        ``(1/m)`` times :func:`skdnn.engine.batchnorm_backward`'s, as ``db``
        of :func:`linear_backward`.
    """
    linear_cache, Z_tilde, batchnorm_cache = cache
    dZ_tilde = ACTIVATIONS[activation].backward(dA, Z_tilde, out=None if out is None else dA)
    dZ, dgamma, dbeta = batchnorm_backward(dZ_tilde, batchnorm_cache)
    # dA is m times the gradient of the mean cost (the course's dZL = AL - Y):
    # like db in linear_backward, dgamma and dbeta take the 1/m.
    m = dZ_tilde.shape[1]
    dgamma, dbeta = dgamma * (1 / m), dbeta * (1 / m)
    dA_prev, dW, _ = linear_backward(dZ, linear_cache, out=out, input_gradient=input_gradient)
    return dA_prev, dW, dgamma, dbeta
