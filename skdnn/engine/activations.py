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
    "ELU_ALPHA",
    "GELU_CUBIC",
    "GELU_SATURATION",
    "LEAKY_RELU_SLOPE",
    "OUTPUT_ACTIVATIONS",
    "SELU_ALPHA",
    "SELU_SCALE",
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


# --- Smooth activations of the deep-learning literature since the course. ---

ELU_ALPHA = 1.0
"""float: ``"elu"``'s value at minus infinity is ``-ELU_ALPHA``."""

SELU_ALPHA = 1.6732632423543772
"""float: ``"selu"``'s alpha (Klambauer et al., 2017, self-normalising)."""

SELU_SCALE = 1.0507009873554805
"""float: ``"selu"``'s scale (Klambauer et al., 2017)."""

GELU_CUBIC = 0.044715
"""float: the cubic coefficient of ``"gelu"``'s tanh approximation."""

GELU_SATURATION = 100.0
"""float: beyond ``|Z| = GELU_SATURATION`` the sigmoid of ``"gelu"`` is exactly 0 or 1."""

_SQRT_2_OVER_PI = 0.7978845608028654  # sqrt(2 / pi)


def _elu_like(Z, alpha, scale, out):
    # max(Z, 0) + alpha * (exp(min(Z, 0)) - 1) is Z above 0 and alpha * (exp(Z) - 1)
    # below: exp never sees a positive Z, so it never overflows, and no branch is masked.
    xp = get_namespace(Z)
    negative_part = alpha * xp.expm1(xp.minimum(Z, 0.0))
    A = xp.add(xp.maximum(Z, 0.0), negative_part, out=out)
    return A if scale == 1.0 else xp.multiply(A, scale, out=None if out is None else A)


def _elu_like_backward(dA, Z, alpha, scale, out):
    # g'(Z) = scale above 0, scale * alpha * exp(Z) below (exp of min(Z, 0) again).
    xp = get_namespace(dA, Z)
    below = (scale * alpha) * xp.exp(xp.minimum(Z, 0.0))
    slope = xp.where(Z > 0, scale, below)
    return xp.multiply(dA, slope, out=out)


def _elu(Z, out=None):
    return _elu_like(Z, ELU_ALPHA, 1.0, out)


def _elu_backward(dA, Z, out=None):
    return _elu_like_backward(dA, Z, ELU_ALPHA, 1.0, out)


def _selu(Z, out=None):
    return _elu_like(Z, SELU_ALPHA, SELU_SCALE, out)


def _selu_backward(dA, Z, out=None):
    return _elu_like_backward(dA, Z, SELU_ALPHA, SELU_SCALE, out)


def _gelu_gate(Z):
    """``Zc``, ``Z`` clipped to ±GELU_SATURATION, and ``s = sigmoid(2 u(Zc))``.

    ``u(Z) = sqrt(2/pi) (Z + 0.044715 Z^3)``; ``(1 + tanh(u)) / 2`` is
    ``sigmoid(2 u)``, which has no cancellation where ``tanh(u)`` is near -1.
    The clip changes no result (``s`` is already exactly 0 or 1 there) but
    keeps ``Z^3`` finite.
    """
    xp = get_namespace(Z)
    Z_clipped = xp.clip(Z, -GELU_SATURATION, GELU_SATURATION)
    u = _SQRT_2_OVER_PI * (Z_clipped + GELU_CUBIC * Z_clipped ** 3)
    return Z_clipped, _sigmoid(2.0 * u)


def _gelu(Z, out=None):
    # The tanh approximation, 0.5 Z (1 + tanh(u)) = Z sigmoid(2u).
    _, s = _gelu_gate(Z)
    return get_namespace(Z).multiply(Z, s, out=out)


def _gelu_backward(dA, Z, out=None):
    # g'(Z) = s + 2 Z s (1 - s) u'(Z), u'(Z) = sqrt(2/pi) (1 + 3 * 0.044715 Z^2); the
    # second term is exactly 0 where Z is clipped, so the clipped Z serves there.
    xp = get_namespace(dA, Z)
    Z_clipped, s = _gelu_gate(Z)
    u_slope = _SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * Z_clipped * Z_clipped)
    return xp.multiply(dA, s + 2.0 * Z_clipped * s * (1.0 - s) * u_slope, out=out)


def _silu(Z, out=None):
    return get_namespace(Z).multiply(Z, _sigmoid(Z), out=out)


def _silu_backward(dA, Z, out=None):
    # g'(Z) = s + Z s (1 - s) = s (1 + Z (1 - s)), s = sigmoid(Z): finite for any Z.
    s = _sigmoid(Z)
    return get_namespace(dA, Z).multiply(dA, s * (1.0 + Z * (1.0 - s)), out=out)


def _softplus(Z, out=None):
    # log(1 + exp(Z)) = max(Z, 0) + log(1 + exp(-|Z|)): exp never overflows.
    xp = get_namespace(Z)
    return xp.add(xp.maximum(Z, 0.0), xp.log1p(xp.exp(-xp.abs(Z))), out=out)


def _softplus_backward(dA, Z, out=None):
    return get_namespace(dA, Z).multiply(dA, _sigmoid(Z), out=out)


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
    "elu": Activation(_elu, _elu_backward),
    "selu": Activation(_selu, _selu_backward),
    "gelu": Activation(_gelu, _gelu_backward),
    "silu": Activation(_silu, _silu_backward),
    "softplus": Activation(_softplus, _softplus_backward),
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
