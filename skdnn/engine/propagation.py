"""Forward and backward propagation: written once, for every architecture.

The course's functions (:func:`L_model_forward`, :func:`L_model_backward`, ...)
are this module's functions with ReLU hidden layers and a sigmoid output
fixed. The estimators call the same functions, adding only two things, both
optional: a :class:`~skdnn.engine.Workspace` to compute into (the ``out=``
arguments), and dropout masks.

Layout: examples are columns. ``A`` of layer ``l`` has shape ``(n_l, m)``.
A layer's cache is ``(linear_cache, activation_cache)`` with
``linear_cache = (A_prev, W, b)`` and ``activation_cache = Z``.

A layer with a ``gamma{l}`` in the parameters is batch-normalised
(:mod:`skdnn.engine.batch_norm`): ``A = g(BN(W A_prev))``, without bias. Its
cache is ``(linear_cache, activation_cache, batchnorm_cache)``, with
``linear_cache = (A_prev, W, None)``, ``activation_cache = Z_tilde`` and the
batch's statistics last (``None`` when the layer was normalised by running
statistics, as at prediction).
"""

import numpy as np

from .activations import ACTIVATIONS
from .batch_norm import batchnorm_backward, batchnorm_forward, batchnorm_inference
from .namespace import get_namespace, is_numpy
from .workspace import buffers

__all__ = [
    "L_model_backward",
    "L_model_forward",
    "backward_propagation",
    "course_activations",
    "forward_propagation",
    "linear_activation_backward",
    "linear_activation_forward",
    "linear_backward",
    "linear_batchnorm_activation_backward",
    "linear_batchnorm_activation_forward",
    "linear_forward",
    "n_layers",
]


def _matmul(a, b, out=None):
    # A sparse operand (a scipy matrix has no ``out=``) falls back to ``@``,
    # as does every namespace but NumPy.
    if out is None or not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        product = a @ b
        return np.asarray(product) if is_numpy(get_namespace(a, b)) else product
    return np.matmul(a, b, out=out)


def n_layers(parameters):
    """The number of layers ``L`` of a network: one weight matrix ``W{l}`` each.

    Parameters
    ----------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``, batch-normalised layers included.

    Returns
    -------
    L : int
    """
    return sum(name.startswith("W") for name in parameters)


def course_activations(parameters):
    """The course's activations for ``parameters``: ReLU layers, sigmoid output.

    Parameters
    ----------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``.

    Returns
    -------
    activations : list of str
        ``["relu"] * (L - 1) + ["sigmoid"]``.
    """
    return ["relu"] * (n_layers(parameters) - 1) + ["sigmoid"]


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


def _layer_forward(A, parameters, l, activation, running_stats, sample_weight, out):
    # Layer l of a network, batch-normalised where it has a gamma.
    W = parameters[f"W{l}"]
    if f"gamma{l}" not in parameters:
        return linear_activation_forward(A, W, parameters[f"b{l}"], activation, out=out)
    running = None if running_stats is None else (running_stats[f"running_mean{l}"],
                                                  running_stats[f"running_var{l}"])
    return linear_batchnorm_activation_forward(A, W, parameters[f"gamma{l}"],
                                               parameters[f"beta{l}"], activation, running,
                                               sample_weight, out=out)


def forward_propagation(X, parameters, activations, dropout_masks=None, workspace=None, *,
                        running_stats=None, sample_weight=None):
    """Forward pass through every layer.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_x, m)
        Input, one example per column.
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``.
    activations : sequence of str
        One activation per layer, the output layer's last.
    dropout_masks : list of ndarray or None, default=None
        One entry per hidden layer: ``None``, or a mask already divided by
        the keep probability (inverted dropout), multiplied into that layer's
        activations.
    workspace : Workspace, default=None
        Buffers to compute into; without one every array is new.
    running_stats : dict, default=None
        For batch-normalised layers: their running statistics
        (``running_mean{l}``, ``running_var{l}``) to normalise by, as at
        prediction; ``None`` normalises each by the batch's statistics, as in
        training.
    sample_weight : ndarray of shape (m,), default=None
        Weights of the batch's statistics, in training.

    Returns
    -------
    AL : ndarray of shape (n_L, m)
        Output activations.
    caches : list of tuple
        One cache per layer, see :func:`linear_activation_forward` and
        :func:`linear_batchnorm_activation_forward`.
    """
    workspace = buffers(workspace)
    L = n_layers(parameters)
    A = X
    caches = []
    for l in range(1, L + 1):
        out = workspace.layer_outputs(l, parameters[f"W{l}"].shape[0], X.shape[1],
                                      parameters[f"W{l}"].dtype)
        A, cache = _layer_forward(A, parameters, l, activations[l - 1], running_stats,
                                  sample_weight, out)
        if dropout_masks is not None and l < L and dropout_masks[l - 1] is not None:
            A = get_namespace(A).multiply(A, dropout_masks[l - 1], out=workspace.in_place(A))
        caches.append(cache)
    return A, caches


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


def _layer_backward(dA, cache, activation, l, grads, out, input_gradient):
    # Layer l backward into grads; returns dA_prev.
    if len(cache) == 3:  # batch-normalised
        dA_prev, grads[f"dW{l}"], grads[f"dgamma{l}"], grads[f"dbeta{l}"] = \
            linear_batchnorm_activation_backward(dA, cache, activation, out=out,
                                                 input_gradient=input_gradient)
    else:
        dA_prev, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(
            dA, cache, activation, out=out, input_gradient=input_gradient)
    return dA_prev


def backward_propagation(dAL, caches, activations, dropout_masks=None, workspace=None):
    """Backward pass through every layer: the gradients of the parameters.

    Each layer is :func:`linear_activation_backward`; the first stops at
    ``dW1`` and ``db1``: the gradient with respect to the input, ``dA0``, is
    never needed to train and would cost a product as large as the first
    layer's (:func:`L_model_backward`, the course's, computes it).

    Parameters
    ----------
    dAL : ndarray of shape (n_L, m)
        Gradient of the cost with respect to the output activations. To start
        from ``dZL`` instead (see :func:`skdnn.engine.output_delta`), give
        ``"identity"`` as the output layer's activation.
    caches : list of tuple
        From :func:`forward_propagation`.
    activations : sequence of str
        One activation per layer, as in the forward pass.
    dropout_masks : list of ndarray or None, default=None
        The masks of the forward pass.
    workspace : Workspace, default=None
        Buffers to compute into; each layer's ``dA`` buffer is then
        overwritten by its ``dZ``.

    Returns
    -------
    grads : dict
        ``dW{l}`` and ``db{l}`` for every layer; ``dgamma{l}`` and
        ``dbeta{l}`` instead of ``db{l}`` for a batch-normalised one.
    """
    workspace = buffers(workspace)
    grads = {}
    dA = dAL
    for l in range(len(caches), 0, -1):
        W = caches[l - 1][0][1]
        dA = _layer_backward(dA, caches[l - 1], activations[l - 1], l, grads,
                             workspace.layer_gradients(l, W, dA), input_gradient=l > 1)
        if l > 1 and dropout_masks is not None and dropout_masks[l - 2] is not None:
            dA = get_namespace(dA).multiply(dA, dropout_masks[l - 2], out=workspace.in_place(dA))
    return grads


def L_model_forward(X, parameters):
    """Forward pass of the course: L-1 ReLU layers, then a sigmoid layer.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``.

    Returns
    -------
    AL : ndarray of shape (1, m)
        Probabilities.
    caches : list of tuple
        One per layer, ``((A_prev, W, b), Z)``.
    """
    return forward_propagation(X, parameters, course_activations(parameters))


def L_model_backward(AL, Y, caches):
    """Backward pass of the course, from ``dAL = -(Y/AL - (1-Y)/(1-AL))``.

    The formula holds for any ``AL`` (the course's tests draw it from
    ``randn``) except where it is singular: an output saturated to exactly
    0 or 1 is moved by ``eps`` into (0, 1) there, so that the gradient stays
    finite without a RuntimeWarning. No other value is touched.

    Parameters
    ----------
    AL : ndarray of shape (1, m)
        Output of :func:`L_model_forward`.
    Y : ndarray of shape (1, m)
        True labels, 0 or 1.
    caches : sequence of tuple
        From :func:`L_model_forward`.

    Returns
    -------
    grads : dict
        ``dA{l-1}``, ``dW{l}``, ``db{l}`` for ``l = L, ..., 1``.
    """
    xp = get_namespace(AL, Y)
    Y = xp.reshape(xp.asarray(Y), AL.shape)
    eps = float(xp.finfo(AL.dtype).eps)
    AL = xp.where(AL == 0, eps, xp.where(AL == 1, 1 - eps, AL))
    dAL = -(xp.divide(Y, AL) - xp.divide(1 - Y, 1 - AL))
    grads = {}
    L = len(caches)
    dA = dAL
    for l in range(L, 0, -1):
        activation = "sigmoid" if l == L else "relu"
        dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(
            dA, caches[l - 1], activation)
        grads[f"dA{l - 1}"] = dA
    return grads
