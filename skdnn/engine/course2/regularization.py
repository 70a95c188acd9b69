"""Notebook "Regularization" (course 2, week 1): L2 and inverted dropout.

The L2 term is the engine's (``alpha`` of :func:`skdnn.engine.loss_and_gradients`,
``alpha / (2m) * sum of squared weights``), spelled ``lambd`` as in the
notebook; dropout is the engine's inverted dropout
(:func:`skdnn.engine.forward_propagation` with ``dropout_masks``) with the
notebook's masks, ``rand < keep_prob`` drawn from a generator seeded with 1.
The estimators' ``alpha`` and ``dropout = 1 - keep_prob`` do the same.
"""

import numpy as np

from ..propagation import course_activations, n_layers
from ..propagation import forward_propagation as _engine_forward
from ._network import (backward_from_output, backward_propagation, compute_loss,
                       flat_cache, forward_propagation, layers_of, predict, predict_dec)

__all__ = [
    "backward_propagation",
    "backward_propagation_with_dropout",
    "backward_propagation_with_regularization",
    "compute_cost",
    "compute_cost_with_regularization",
    "forward_propagation",
    "forward_propagation_with_dropout",
    "predict",
    "predict_dec",
]

compute_cost = compute_loss
"""The notebook's ``compute_cost``: :func:`skdnn.engine.course2.initialization.compute_loss`."""


def compute_cost_with_regularization(A3, Y, parameters, lambd):
    """Cross-entropy cost plus the L2 term ``lambd / (2m) * sum of squared weights``.

    Parameters
    ----------
    A3 : ndarray of shape (1, m)
        Output of the forward pass.
    Y : ndarray of shape (1, m)
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``; only the weights are penalised.
    lambd : float
        The L2 penalty (the estimators' ``alpha``).

    Returns
    -------
    cost : float
    """
    m = Y.shape[1]
    L = n_layers(parameters)
    squares = sum(np.sum(np.square(parameters[f"W{l}"])) for l in range(1, L + 1))
    return compute_cost(A3, Y) + lambd / (2 * m) * squares


def backward_propagation_with_regularization(X, Y, cache, lambd):
    """The backward pass of :func:`compute_cost_with_regularization`: ``dW += lambd/m * W``.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    Y : ndarray of shape (1, m)
    cache : tuple
        ``(Z1, A1, W1, b1, ..., ZL, AL, WL, bL)`` from :func:`forward_propagation`.
    lambd : float

    Returns
    -------
    gradients : dict
        ``dZ{l}``, ``dW{l}``, ``db{l}`` and the hidden layers' ``dA{l}``.
    """
    return backward_from_output(X, Y, layers_of(cache), lambd=lambd)


def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
    """Forward pass with inverted dropout on every hidden layer.

    The masks are ``D = rand(n_l, m) < keep_prob``, drawn layer by layer from
    a generator seeded with 1 (the notebook seeds NumPy with 1 in this
    function, so each call draws the same masks); each hidden layer's
    activations are multiplied by ``D / keep_prob``.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    parameters : dict
    keep_prob : float, default=0.5
        Probability of keeping a unit.

    Returns
    -------
    A3 : ndarray of shape (1, m)
    cache : tuple
        ``(Z1, D1, A1, W1, b1, ..., ZL, AL, WL, bL)``: each hidden layer's
        mask before its activations (after dropout).
    """
    rng = np.random.RandomState(1)
    L = n_layers(parameters)
    m = X.shape[1]
    masks = [(rng.rand(parameters[f"W{l}"].shape[0], m) < keep_prob).astype(int)
             for l in range(1, L)]
    AL, caches = _engine_forward(X, parameters, course_activations(parameters),
                                 dropout_masks=[D / keep_prob for D in masks])
    flat = []
    for l, layer in enumerate(layers_of(flat_cache(X, AL, caches)), start=1):
        flat.extend(layer[:1] + ((masks[l - 1],) if l < L else ()) + layer[1:])
    return AL, tuple(flat)


def backward_propagation_with_dropout(X, Y, cache, keep_prob):
    """The backward pass of :func:`forward_propagation_with_dropout`.

    Each hidden layer's ``dA`` is multiplied by its mask and divided by
    ``keep_prob``, as its activations were.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    Y : ndarray of shape (1, m)
    cache : tuple
        From :func:`forward_propagation_with_dropout`.
    keep_prob : float

    Returns
    -------
    gradients : dict
        ``dZ{l}``, ``dW{l}``, ``db{l}`` and the hidden layers' ``dA{l}``.
    """
    layers, masks, i = [], [], 0
    while i < len(cache):
        hidden = i + 4 < len(cache)
        if hidden:
            masks.append(cache[i + 1])
            layers.append((cache[i],) + tuple(cache[i + 2:i + 5]))
        else:
            layers.append(tuple(cache[i:i + 4]))
        i += 5 if hidden else 4
    return backward_from_output(X, Y, layers, masks=masks, keep_prob=keep_prob)
