"""The course-2 notebooks' fixed network helpers, over the engine's general forms.

Every course-2 notebook trains the same kind of network, LINEAR -> RELU ->
LINEAR -> RELU -> LINEAR -> SIGMOID, through helper files it provides
(``init_utils.py``, ``reg_utils.py``, ``opt_utils_v1a.py``). Their cache is a
flat tuple ``(Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)``; here it holds
four entries per layer for any number of layers, and the passes are the
engine's (:func:`skdnn.engine.forward_propagation`,
:func:`skdnn.engine.linear_backward`).
"""

import numpy as np

from ..activations import relu_backward
from ..layers import linear_backward
from ..propagation import course_activations
from ..propagation import forward_propagation as _engine_forward

__all__ = ["backward_propagation", "compute_loss", "forward_propagation", "predict",
           "predict_dec"]


def flat_cache(X, AL, caches):
    """The notebooks' flat cache ``(Z1, A1, W1, b1, ...)`` from the engine's caches."""
    flat = []
    for l, ((_, W, b), Z) in enumerate(caches, start=1):
        A = caches[l][0][0] if l < len(caches) else AL
        flat.extend((Z, A, W, b))
    return tuple(flat)


def backward_from_output(X, Y, layers, lambd=0.0, masks=None, keep_prob=1.0):
    """Gradients from ``dZL = AL - Y`` down to ``dW1``, the notebooks' keys.

    ``layers`` is one ``(Z, A, W, b)`` per layer (``A`` after dropout);
    ``lambd`` adds the L2 term ``lambd / m * W`` to each ``dW``; ``masks``
    (one 0/1 array per hidden layer) are applied to each ``dA`` and divided
    by ``keep_prob``, as inverted dropout's backward pass does.
    """
    m = X.shape[1]
    L = len(layers)
    grads = {}
    dZ = layers[-1][1] - Y
    for l in range(L, 0, -1):
        Z, _, W, b = layers[l - 1]
        if l < L:
            dZ = relu_backward(grads[f"dA{l}"], Z)
        A_prev = X if l == 1 else layers[l - 2][1]
        dA_prev, dW, db = linear_backward(dZ, (A_prev, W, b))
        if lambd:
            dW = dW + lambd / m * W
        grads[f"dZ{l}"], grads[f"dW{l}"], grads[f"db{l}"] = dZ, dW, db
        if l > 1:
            if masks is not None:
                dA_prev = dA_prev * masks[l - 2] / keep_prob
            grads[f"dA{l - 1}"] = dA_prev
    return grads


def forward_propagation(X, parameters):
    """The notebooks' forward pass: ReLU hidden layers, a sigmoid output.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}`` (three layers in the notebooks).

    Returns
    -------
    a3 : ndarray of shape (1, m)
        Output probabilities.
    cache : tuple
        ``(Z1, A1, W1, b1, ..., ZL, AL, WL, bL)``.
    """
    AL, caches = _engine_forward(X, parameters, course_activations(parameters))
    return AL, flat_cache(X, AL, caches)


def layers_of(cache):
    """Split a flat cache ``(Z1, A1, W1, b1, ...)`` into one 4-tuple per layer."""
    return [tuple(cache[i:i + 4]) for i in range(0, len(cache), 4)]


def backward_propagation(X, Y, cache):
    """The notebooks' backward pass from ``dZL = AL - Y``.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    Y : ndarray of shape (1, m)
    cache : tuple
        From :func:`forward_propagation`.

    Returns
    -------
    gradients : dict
        ``dZ{l}``, ``dW{l}``, ``db{l}`` for every layer and ``dA{l}`` for
        the hidden layers.
    """
    return backward_from_output(X, Y, layers_of(cache))


def compute_loss(a3, Y):
    """The notebooks' logistic cost, ``1/m nansum(-Y log a3 - (1-Y) log(1-a3))``.

    A saturated output gives the infinite cost the Initialization notebook
    prints for its large random weights (its lesson), without a RuntimeWarning.

    Parameters
    ----------
    a3 : ndarray of shape (1, m)
    Y : ndarray of shape (1, m)

    Returns
    -------
    loss : float
    """
    m = Y.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        logprobs = np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y)
    return 1.0 / m * np.nansum(logprobs)


def predict(X, y, parameters):
    """Predict 0/1 labels and print the accuracy, as the notebooks do.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    y : ndarray of shape (1, m)
    parameters : dict

    Returns
    -------
    p : ndarray of shape (1, m)
        1 where the output probability is above 0.5, else 0.
    """
    a3, _ = forward_propagation(X, parameters)
    p = (a3 > 0.5).astype(int)
    print("Accuracy: " + str(np.mean(p[0, :] == y[0, :])))
    return p


def predict_dec(parameters, X):
    """Boolean predictions for plotting a decision boundary.

    Parameters
    ----------
    parameters : dict
    X : ndarray of shape (n_x, m)

    Returns
    -------
    predictions : ndarray of bool, shape (1, m)
    """
    a3, _ = forward_propagation(X, parameters)
    return a3 > 0.5
