"""Forward and backward propagation: written once, for every architecture.

The course's functions (:func:`L_model_forward`, :func:`L_model_backward`)
are this module's functions with ReLU hidden layers and a sigmoid output
fixed. The estimators call the same functions, adding only what is optional
here: a :class:`~skdnn.engine.Workspace` to compute into, dropout masks, and
batch normalisation's running statistics and sample weights.

Each layer is one call of :mod:`skdnn.engine.layers` (whose text gives the
layout and the caches). A layer with a ``gamma{l}`` in the parameters is
batch-normalised (:mod:`skdnn.engine.batch_norm`): ``A = g(BN(W A_prev))``,
without bias.
"""

from .layers import (linear_activation_backward, linear_activation_forward,
                     linear_batchnorm_activation_backward, linear_batchnorm_activation_forward)
from .namespace import get_namespace
from .workspace import buffers

__all__ = [
    "L_model_backward",
    "L_model_forward",
    "backward_propagation",
    "course_activations",
    "forward_propagation",
    "n_layers",
]


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
