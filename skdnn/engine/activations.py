"""Activation functions: one table, and the course's functions on top of it.

Each entry of :data:`ACTIVATIONS` is a pair ``forward(Z, out=None) -> A`` and
``backward(dA, Z, out=None) -> dZ``. Both accept ``out`` so that the training
loop can reuse one buffer per layer instead of allocating at every step. The
backward functions take ``Z`` (the course's activation cache), never ``A``:
with dropout the stored ``A`` is the masked one, so ``Z`` is the only safe
input for a derivative.

Adding an activation is adding one entry to the table.
"""

from typing import Callable, NamedTuple

import numpy as np

from .namespace import get_namespace, is_numpy

__all__ = [
    "ACTIVATIONS",
    "LEAKY_RELU_SLOPE",
    "OUTPUT_ACTIVATIONS",
    "Activation",
    "relu",
    "relu_backward",
    "sigmoid",
    "sigmoid_backward",
    "softmax",
]


class Activation(NamedTuple):
    """An activation function and its backward step.

    Attributes
    ----------
    forward : callable
        ``forward(Z, out=None)`` returns ``A = g(Z)``.
    backward : callable
        ``backward(dA, Z, out=None)`` returns ``dZ = dA * g'(Z)``.
    """

    forward: Callable
    backward: Callable


def _sigmoid(Z, out=None):
    # exp(-|Z|) never overflows, and both branches below are exact rewrites of
    # 1 / (1 + exp(-Z)), so large |Z| gives 0 or 1 without a RuntimeWarning.
    xp = get_namespace(Z)
    e = xp.exp(-xp.abs(Z))
    positive = Z >= 0
    if not is_numpy(xp):
        return xp.where(positive, 1.0 / (1.0 + e), e / (1.0 + e))
    # NumPy computes the second branch only where it is needed, into A.
    A = np.divide(1.0, 1.0 + e, out=out)
    np.divide(e, 1.0 + e, out=A, where=~positive)
    return A


def _sigmoid_backward(dA, Z, out=None):
    s = _sigmoid(Z)
    return get_namespace(dA).multiply(dA, s * (1.0 - s), out=out)


def _relu(Z, out=None):
    # A float zero: an int one sends np.maximum through a slower, casting loop.
    return get_namespace(Z).maximum(Z, 0.0, out=out)


def _relu_backward(dA, Z, out=None):
    xp = get_namespace(dA, Z)
    if is_numpy(xp):  # NumPy multiplies by the boolean mask without casting it first
        return np.multiply(dA, Z > 0, out=out)
    return dA * xp.astype(Z > 0, dA.dtype)


LEAKY_RELU_SLOPE = 0.01
"""float: the slope of ``"leaky_relu"`` below zero."""


def _leaky_relu(Z, out=None):
    # With a slope below 1, max(Z, slope * Z) is Z for Z > 0 and slope * Z below.
    return get_namespace(Z).maximum(Z, Z * LEAKY_RELU_SLOPE, out=out)


def _leaky_relu_backward(dA, Z, out=None):
    # Safe when out is dA: the scale is built before dA is overwritten.
    xp = get_namespace(dA, Z)
    scale = xp.where(Z > 0, xp.asarray(1.0, dtype=dA.dtype),
                     xp.asarray(LEAKY_RELU_SLOPE, dtype=dA.dtype))
    return xp.multiply(dA, scale, out=out)


def _tanh(Z, out=None):
    return get_namespace(Z).tanh(Z, out=out)


def _tanh_backward(dA, Z, out=None):
    xp = get_namespace(dA, Z)
    t = xp.tanh(Z)
    return xp.multiply(dA, 1.0 - t * t, out=out)


def _identity(Z, out=None):
    if out is None or out is Z:
        return Z
    return _into(out, Z)


def _identity_backward(dA, Z, out=None):
    return _identity(dA, out)


def _exp(Z, out=None):
    return get_namespace(Z).exp(Z, out=out)


def _exp_backward(dA, Z, out=None):
    xp = get_namespace(dA, Z)
    return xp.multiply(dA, xp.exp(Z), out=out)


def _softmax(Z, out=None):
    # Subtracting the column maximum keeps exp() finite; examples are columns.
    xp = get_namespace(Z)
    A = xp.subtract(Z, xp.max(Z, axis=0, keepdims=True), out=out)
    A = xp.exp(A, out=None if out is None else A)
    return xp.divide(A, xp.sum(A, axis=0, keepdims=True), out=None if out is None else A)


def _softmax_backward(dA, Z, out=None):
    # Full Jacobian-vector product of softmax, column by column.
    xp = get_namespace(dA, Z)
    s = _softmax(Z)
    inner = xp.sum(dA * s, axis=0, keepdims=True)
    return xp.multiply(s, dA - inner, out=out)


def _into(out, values):
    out[...] = values
    return out


ACTIVATIONS = {
    "relu": Activation(_relu, _relu_backward),
    "leaky_relu": Activation(_leaky_relu, _leaky_relu_backward),
    "tanh": Activation(_tanh, _tanh_backward),
    "sigmoid": Activation(_sigmoid, _sigmoid_backward),
    "identity": Activation(_identity, _identity_backward),
    "softmax": Activation(_softmax, _softmax_backward),
    "exp": Activation(_exp, _exp_backward),
}
"""dict of str to :class:`Activation`: every activation the engine knows."""

OUTPUT_ACTIVATIONS = ("sigmoid", "softmax", "identity", "exp")
"""The activations an output layer may use (each has a matching loss)."""


# --- The course's functions: the same table, with the course's signatures. ---


def sigmoid(Z):
    """Sigmoid activation, ``A = 1 / (1 + exp(-Z))``.

    Stays finite and warning-free for any ``Z``: saturated units give exactly
    0 or 1.

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.

    Returns
    -------
    A : ndarray of the shape of ``Z``
        Activations.
    cache : ndarray
        ``Z``, kept for :func:`sigmoid_backward`.
    """
    return ACTIVATIONS["sigmoid"].forward(Z), Z


def relu(Z):
    """ReLU activation, ``A = max(0, Z)``.

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.

    Returns
    -------
    A : ndarray of the shape of ``Z``
        Activations.
    cache : ndarray
        ``Z``, kept for :func:`relu_backward`.
    """
    return ACTIVATIONS["relu"].forward(Z), Z


def relu_backward(dA, cache):
    """Backward step of ReLU: ``dZ = dA`` where ``Z > 0``, else 0.

    Parameters
    ----------
    dA : ndarray
        Gradient of the cost with respect to the layer's activations.
    cache : ndarray
        ``Z``, as returned by :func:`relu`.

    Returns
    -------
    dZ : ndarray of the shape of ``dA``
        Gradient of the cost with respect to ``Z``.
    """
    return ACTIVATIONS["relu"].backward(dA, cache)


def sigmoid_backward(dA, cache):
    """Backward step of the sigmoid: ``dZ = dA * s * (1 - s)``, ``s = sigmoid(Z)``.

    Parameters
    ----------
    dA : ndarray
        Gradient of the cost with respect to the layer's activations.
    cache : ndarray
        ``Z``, as returned by :func:`sigmoid`.

    Returns
    -------
    dZ : ndarray of the shape of ``dA``
        Gradient of the cost with respect to ``Z``.
    """
    return ACTIVATIONS["sigmoid"].backward(dA, cache)


def softmax(Z):
    """Numerically stable softmax over each column (one example per column).

    The column maximum is subtracted before ``exp`` so that no value
    overflows.

    Parameters
    ----------
    Z : ndarray of shape (n_classes, m)
        Pre-activations.

    Returns
    -------
    A : ndarray of shape (n_classes, m)
        Probabilities; each column sums to 1.
    cache : ndarray
        ``Z``.
    """
    return ACTIVATIONS["softmax"].forward(Z), Z
