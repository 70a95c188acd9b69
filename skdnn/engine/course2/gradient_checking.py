"""Notebook "Gradient Checking" (course 2, week 1): centred differences, 1-D and N-D.

The N-D check flattens the parameters into one column (``W1``, ``b1``, ...,
each in row-major order), nudges each entry by ``+epsilon`` and
``-epsilon``, and compares ``(J+ - J-) / (2 epsilon)`` with the
backpropagated gradient by ``||g - g_approx|| / (||g|| + ||g_approx||)``.
:func:`skdnn.engine.gradient_check` is the same check for any network the
engine trains (any activations, L2, sample weights); this module keeps the
notebook's names and signatures.
"""

import numpy as np

from ..propagation import n_layers
from ._network import backward_propagation, forward_propagation

__all__ = [
    "backward_propagation_n",
    "dictionary_to_vector",
    "forward_propagation_n",
    "gradient_check",
    "gradient_check_n",
    "gradients_to_vector",
    "vector_to_dictionary",
]

LAYER_DIMS = (4, 5, 3, 1)
"""tuple of int: the notebook's network, ``W1`` (5, 4), ``W2`` (3, 5), ``W3`` (1, 3)."""


def _difference(grad, gradapprox):
    numerator = np.linalg.norm(grad - gradapprox)
    return numerator / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))


def _report(difference, print_msg):
    if not print_msg:
        return
    if difference > 2e-7:
        print("There is a mistake in the backward propagation! difference = "
              + str(difference))
    else:
        print("Your backward propagation works perfectly fine! difference = " + str(difference))


def gradient_check(x, theta, epsilon=1e-7, print_msg=False):
    """Check the derivative of ``J(theta) = theta * x``, which is ``x``.

    Parameters
    ----------
    x : float
    theta : float
    epsilon : float, default=1e-7
    print_msg : bool, default=False
        Print whether the difference is below 2e-7.

    Returns
    -------
    difference : float
        ``|grad - gradapprox| / (|grad| + |gradapprox|)``.
    """
    gradapprox = (theta + epsilon) * x - (theta - epsilon) * x
    gradapprox = gradapprox / (2 * epsilon)
    difference = _difference(x, gradapprox)
    _report(difference, print_msg)
    return difference


def dictionary_to_vector(parameters):
    """Roll ``W1``, ``b1``, ``W2``, ... into one column.

    Parameters
    ----------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``.

    Returns
    -------
    theta : ndarray of shape (n_parameters, 1)
    keys : list of str
        The name of the parameter each entry comes from.
    """
    names = [f"{kind}{l}" for l in range(1, n_layers(parameters) + 1) for kind in "Wb"]
    theta = np.concatenate([np.reshape(parameters[name], (-1, 1)) for name in names])
    keys = [name for name in names for _ in range(np.size(parameters[name]))]
    return theta, keys


def vector_to_dictionary(theta, layer_dims=LAYER_DIMS):
    """Unroll a column into ``W1``, ``b1``, ... of a network's shapes.

    Parameters
    ----------
    theta : ndarray of shape (n_parameters, 1)
    layer_dims : sequence of int, default=(4, 5, 3, 1)
        ``[n_x, n_1, ..., n_L]``; the notebook's network by default.

    Returns
    -------
    parameters : dict
    """
    parameters, start = {}, 0
    for l in range(1, len(layer_dims)):
        for name, shape in ((f"W{l}", (layer_dims[l], layer_dims[l - 1])),
                            (f"b{l}", (layer_dims[l], 1))):
            stop = start + shape[0] * shape[1]
            parameters[name] = theta[start:stop].reshape(shape)
            start = stop
    return parameters


def gradients_to_vector(gradients):
    """Roll ``dW1``, ``db1``, ``dW2``, ... into one column (:func:`dictionary_to_vector`'s order).

    Parameters
    ----------
    gradients : dict
        ``dW{l}`` and ``db{l}`` (other keys are ignored).

    Returns
    -------
    theta : ndarray of shape (n_parameters, 1)
    """
    L = sum(1 for key in gradients if key.startswith("dW"))
    return np.concatenate([np.reshape(gradients[f"d{kind}{l}"], (-1, 1))
                           for l in range(1, L + 1) for kind in "Wb"])


def forward_propagation_n(X, Y, parameters):
    """Forward pass and the mean logistic cost of the notebook's network.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    Y : ndarray of shape (m,) or (1, m)
    parameters : dict

    Returns
    -------
    cost : float
    cache : tuple
        ``(Z1, A1, W1, b1, ..., ZL, AL, WL, bL)``.
    """
    m = X.shape[1]
    A3, cache = forward_propagation(X, parameters)
    log_probs = np.multiply(-np.log(A3), Y) + np.multiply(-np.log(1 - A3), 1 - Y)
    return 1.0 / m * np.sum(log_probs), cache


def backward_propagation_n(X, Y, cache):
    """Backward pass of :func:`forward_propagation_n` (the correct one).

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    Y : ndarray of shape (m,) or (1, m)
    cache : tuple

    Returns
    -------
    gradients : dict
        ``dZ{l}``, ``dW{l}``, ``db{l}`` and the hidden layers' ``dA{l}``.
    """
    return backward_propagation(X, np.reshape(Y, (1, -1)), cache)


def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
    """Check ``gradients`` against centred differences of :func:`forward_propagation_n`.

    Parameters
    ----------
    parameters : dict
        Left unchanged.
    gradients : dict
        The gradients to check, e.g. from :func:`backward_propagation_n`.
    X : ndarray of shape (n_x, m)
    Y : ndarray of shape (m,) or (1, m)
    epsilon : float, default=1e-7
    print_msg : bool, default=False
        Print whether the difference is below 2e-7.

    Returns
    -------
    difference : float
    """
    parameters_values, _ = dictionary_to_vector(parameters)
    layer_dims = [parameters["W1"].shape[1]] + [
        parameters[f"W{l}"].shape[0] for l in range(1, n_layers(parameters) + 1)]
    grad = gradients_to_vector(gradients)
    gradapprox = np.zeros_like(parameters_values)
    for i in range(parameters_values.shape[0]):
        costs = []
        for shift in (epsilon, -epsilon):
            theta = np.copy(parameters_values)
            theta[i] += shift
            costs.append(forward_propagation_n(X, Y, vector_to_dictionary(theta, layer_dims))[0])
        gradapprox[i] = (costs[0] - costs[1]) / (2 * epsilon)
    difference = _difference(grad, gradapprox)
    _report(difference, print_msg)
    return difference
