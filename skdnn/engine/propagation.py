"""Forward and backward propagation: written once, for every architecture.

The course's functions (:func:`L_model_forward`, :func:`L_model_backward`, ...)
are this module's general functions with ReLU hidden layers and a sigmoid
output fixed. The estimators call the same general functions, adding only
two things, both optional: a :class:`Workspace` of buffers reused from one
step to the next, and dropout masks.

Layout: examples are columns. ``A`` of layer ``l`` has shape ``(n_l, m)``.
A layer's cache is ``(linear_cache, activation_cache)`` with
``linear_cache = (A_prev, W, b)`` and ``activation_cache = Z``.
"""

import numpy as np

from .activations import ACTIVATIONS

__all__ = [
    "L_model_backward",
    "L_model_forward",
    "Workspace",
    "backward_propagation",
    "course_activations",
    "forward_propagation",
    "linear_activation_backward",
    "linear_activation_forward",
    "linear_backward",
    "linear_forward",
]


class Workspace:
    """Arrays reused across training steps instead of allocated at each one.

    Per-example arrays (``Z``, ``A``, ``dA``: one column per example) are
    Fortran-ordered, which is scikit-learn's row layout in memory: the
    products that fill them then run with the examples as the long dimension,
    which BLAS splits well across threads even when another process takes a
    core. A smaller batch (the last mini-batch, the last chunk at predict
    time) gets the leading part of the same buffer, still contiguous, so the
    memory used does not depend on how the examples divide into batches.
    """

    def __init__(self):
        self._buffers = {}
        self._served = {}  # exact request -> the array handed out for it

    def get(self, name, shape, dtype, order="C"):
        """Return the buffer ``name`` of ``shape`` and ``dtype`` (uninitialised).

        Parameters
        ----------
        name : hashable
            What the buffer holds, e.g. ``("Z", 2)``.
        shape : tuple of int
            Its shape.
        dtype : numpy.dtype
            Its dtype.
        order : {"C", "F"}, default="C"
            Memory layout. The examples axis, along which a smaller request
            reuses a larger buffer, is the first for ``"C"`` and the last for
            ``"F"``: the axis whose slices stay contiguous.

        Returns
        -------
        buffer : ndarray
        """
        # A training step asks for the same buffers every time: answer those
        # requests from one dict lookup.
        request = (name, shape, dtype, order)
        served = self._served.get(request)
        if served is not None:
            return served
        axis = 0 if order == "C" else len(shape) - 1
        fixed = shape[:axis] + shape[axis + 1:]
        key = (name, fixed, dtype, order)
        buffer = self._buffers.get(key)
        if buffer is None or buffer.shape[axis] < shape[axis]:
            buffer = self._buffers[key] = np.empty(shape, dtype=dtype, order=order)
            self._served.clear()  # views of a replaced buffer must not be served
        if buffer.shape[axis] != shape[axis]:
            buffer = buffer[:shape[0]] if axis == 0 else buffer[..., :shape[-1]]
        self._served[request] = buffer
        return buffer


def _matmul(a, b, out=None):
    # Sparse operands (a scipy matrix has no ``out=``) fall back to ``@``.
    if out is None or not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        return np.asarray(a @ b)
    return np.matmul(a, b, out=out)


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
    L = len(parameters) // 2
    return ["relu"] * (L - 1) + ["sigmoid"]


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
    Z = _matmul(W, A, out)
    Z += b
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


def forward_propagation(X, parameters, activations, dropout_masks=None, workspace=None):
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

    Returns
    -------
    AL : ndarray of shape (n_L, m)
        Output activations.
    caches : list of tuple
        One cache per layer, see :func:`linear_activation_forward`.
    """
    L = len(parameters) // 2
    m = X.shape[1]
    A = X
    caches = []
    for l in range(1, L + 1):
        W = parameters[f"W{l}"]
        out = None
        if workspace is not None:
            shape = (W.shape[0], m)
            out = (workspace.get(("Z", l), shape, W.dtype, "F"),
                   workspace.get(("A", l), shape, W.dtype, "F"))
        A, cache = linear_activation_forward(A, W, parameters[f"b{l}"], activations[l - 1], out)
        if dropout_masks is not None and l < L and dropout_masks[l - 1] is not None:
            A = np.multiply(A, dropout_masks[l - 1], out=None if out is None else out[1])
        caches.append(cache)
    return A, caches


def linear_backward(dZ, cache, compute_dA_prev=True, out=None, average=True):
    """Linear part of a layer backward.

    ``dW = (1/m) dZ A_prev^T``, ``db = (1/m) sum(dZ)`` over examples,
    ``dA_prev = W^T dZ``.

    Parameters
    ----------
    dZ : ndarray of shape (n_l, m)
    cache : tuple
        ``(A_prev, W, b)`` from :func:`linear_forward`.
    compute_dA_prev : bool, default=True
        ``False`` skips ``dA_prev`` (returned as ``None``): the input layer's
        gradient is never needed for training and costs a full matrix product.
    out : tuple of three ndarrays or None, default=None
        Buffers for ``dA_prev``, ``dW`` and ``db``.
    average : bool, default=True
        Whether to divide by ``m`` here, the course's ``1/m``. ``False`` when
        ``dZ`` already carries it: dividing the output gradient once, before
        the backward pass, saves that division at every layer (and then
        ``dA_prev`` carries it too).

    Returns
    -------
    dA_prev : ndarray of shape (n_{l-1}, m) or None
    dW : ndarray of shape (n_l, n_{l-1})
    db : ndarray of shape (n_l, 1)
    """
    A_prev, W, b = cache
    dA_out, dW_out, db_out = (None, None, None) if out is None else out
    m = A_prev.shape[1]
    # (1/m) dZ A_prev^T, with 1/m applied to dZ, (n_l, m), rather than to dW,
    # (n_l, n_{l-1}): the input layer's dW is far larger than its dZ.
    dZ_mean = dZ * (1.0 / m) if average else dZ
    dW = _matmul(dZ_mean, A_prev.T, dW_out)
    # The row sums as a product with a column of ones: BLAS does it in a few
    # microseconds, where np.sum's reduction along rows takes several times that.
    db = np.matmul(dZ_mean, np.ones((m, 1), dZ_mean.dtype), out=db_out)
    dA_prev = _matmul(W.T, dZ, dA_out) if compute_dA_prev else None
    return dA_prev, dW, db


def linear_activation_backward(dA, cache, activation, compute_dA_prev=True, out=None,
                               average=True):
    """One layer backward: the activation's backward, then :func:`linear_backward`.

    Parameters
    ----------
    dA : ndarray of shape (n_l, m)
        Gradient with respect to the layer's activations.
    cache : tuple
        ``(linear_cache, activation_cache)`` from :func:`linear_activation_forward`.
    activation : str
        Key of :data:`skdnn.engine.ACTIVATIONS`.
    compute_dA_prev : bool, default=True
        See :func:`linear_backward`.
    out : tuple of three ndarrays or None, default=None
        Buffers for ``dA_prev``, ``dW`` and ``db``; ``dZ`` then overwrites ``dA``.
    average : bool, default=True
        See :func:`linear_backward`.

    Returns
    -------
    dA_prev : ndarray of shape (n_{l-1}, m) or None
    dW : ndarray of shape (n_l, n_{l-1})
    db : ndarray of shape (n_l, 1)
    """
    linear_cache, activation_cache = cache
    dZ = ACTIVATIONS[activation].backward(dA, activation_cache, out=None if out is None else dA)
    return linear_backward(dZ, linear_cache, compute_dA_prev, out, average)


def backward_propagation(dAL, caches, activations, dropout_masks=None, workspace=None,
                         compute_dA0=True, average=True):
    """Backward pass through every layer, from the gradient of the output.

    Parameters
    ----------
    dAL : ndarray of shape (n_L, m)
        Gradient of the cost with respect to the output activations. To start
        from ``dZL`` instead (see :func:`skdnn.engine.losses.output_delta`),
        give ``"identity"`` as the output layer's activation.
    caches : list of tuple
        From :func:`forward_propagation`.
    activations : sequence of str
        One activation per layer, as in the forward pass.
    dropout_masks : list of ndarray or None, default=None
        The masks of the forward pass.
    workspace : Workspace, default=None
        Buffers to compute into. With one, each ``dA`` buffer is overwritten
        by its ``dZ``, so the ``dA`` keys are left out of ``grads``.
    compute_dA0 : bool, default=True
        Whether to compute the gradient with respect to the input.
    average : bool, default=True
        See :func:`linear_backward`; ``False`` when ``dAL`` is already
        divided by ``m``.

    Returns
    -------
    grads : dict
        ``dW{l}``, ``db{l}`` for every layer, and ``dA{l-1}`` (down to ``dA0``
        when ``compute_dA0``) when no workspace is given.
    """
    grads = {}
    dA = dAL
    for l in range(len(caches), 0, -1):
        cache = caches[l - 1]
        (A_prev, W, _), _ = cache
        compute_dA_prev = l > 1 or compute_dA0
        out = None
        if workspace is not None:
            m = A_prev.shape[1]
            dA_out = (workspace.get(("dA", l - 1), (W.shape[1], m), W.dtype, "F")
                      if compute_dA_prev else None)
            out = (dA_out, workspace.get(("dW", l), W.shape, W.dtype),
                   workspace.get(("db", l), (W.shape[0], 1), W.dtype))
        dA_prev, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(
            dA, cache, activations[l - 1], compute_dA_prev, out, average)
        if dA_prev is None:
            continue
        if dropout_masks is not None and l > 1 and dropout_masks[l - 2] is not None:
            dA_prev = np.multiply(dA_prev, dropout_masks[l - 2], out=None if out is None else dA_prev)
        if workspace is None:
            grads[f"dA{l - 1}"] = dA_prev
        dA = dA_prev
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

    ``AL`` is clipped to ``[eps, 1 - eps]`` in that formula so that a
    saturated output gives a finite gradient without a RuntimeWarning.

    Parameters
    ----------
    AL : ndarray of shape (1, m)
        Output of :func:`L_model_forward`.
    Y : ndarray of shape (1, m)
        True labels, 0 or 1.
    caches : list of tuple
        From :func:`L_model_forward`.

    Returns
    -------
    grads : dict
        ``dA{l-1}``, ``dW{l}``, ``db{l}`` for ``l = L, ..., 1``.
    """
    Y = np.asarray(Y).reshape(AL.shape)
    eps = np.finfo(AL.dtype).eps
    P = np.clip(AL, eps, 1 - eps)
    dAL = -(np.divide(Y, P) - np.divide(1 - Y, 1 - P))
    activations = ["relu"] * (len(caches) - 1) + ["sigmoid"]
    return backward_propagation(dAL, caches, activations)
