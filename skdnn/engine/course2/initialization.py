"""Notebook "Initialization" (course 2, week 1): zeros, large random and He weights.

The three initialisations are entries of :data:`skdnn.engine.INITIALIZERS`
(``"zeros"``, ``"random"``, ``"he"``), drawn layer by layer from a generator
seeded with 3, as the notebook seeds NumPy's. The estimators' ``init`` takes
the same names.
"""

import numpy as np

from ..initializers import initialize_network
from ._network import (backward_propagation, compute_loss, forward_propagation, predict,
                       predict_dec)
from ..optimizers import update_parameters

__all__ = [
    "backward_propagation",
    "compute_loss",
    "forward_propagation",
    "initialize_parameters_he",
    "initialize_parameters_random",
    "initialize_parameters_zeros",
    "model",
    "predict",
    "predict_dec",
    "update_parameters",
]

SEED = 3
"""int: the seed the notebook gives NumPy before drawing the weights."""


def initialize_parameters_zeros(layers_dims):
    """All weights and biases zero: every unit of a layer stays the same unit.

    Parameters
    ----------
    layers_dims : sequence of int
        ``[n_x, n_1, ..., n_L]``.

    Returns
    -------
    parameters : dict
        ``Wl`` zeros of shape (n_l, n_{l-1}), ``bl`` zeros of shape (n_l, 1).
    """
    return initialize_network(layers_dims, "zeros", np.random.RandomState(SEED))


def initialize_parameters_random(layers_dims):
    """Large random weights, ``randn(n_l, n_{l-1}) * 10``, seed 3; biases zero.

    Parameters
    ----------
    layers_dims : sequence of int
        ``[n_x, n_1, ..., n_L]``.

    Returns
    -------
    parameters : dict
    """
    return initialize_network(layers_dims, "random", np.random.RandomState(SEED))


def initialize_parameters_he(layers_dims):
    """He weights, ``randn(n_l, n_{l-1}) * sqrt(2 / n_{l-1})``, seed 3; biases zero.

    Parameters
    ----------
    layers_dims : sequence of int
        ``[n_x, n_1, ..., n_L]``.

    Returns
    -------
    parameters : dict
    """
    return initialize_network(layers_dims, "he", np.random.RandomState(SEED))


_INITIALIZATIONS = {"zeros": initialize_parameters_zeros,
                    "random": initialize_parameters_random,
                    "he": initialize_parameters_he}


def model(X, Y, learning_rate=0.01, num_iterations=15000, print_cost=True,
          initialization="he"):
    """The notebook's three-layer model, ``[n_x, 10, 5, 1]``, full-batch gradient descent.

    Parameters
    ----------
    X : ndarray of shape (2, m)
    Y : ndarray of shape (1, m)
    learning_rate : float, default=0.01
    num_iterations : int, default=15000
    print_cost : bool, default=True
        Print ``Cost after iteration i: c`` every 1000 iterations.
    initialization : {"zeros", "random", "he"}, default="he"

    Returns
    -------
    parameters : dict
        The trained ``W1``, ``b1``, ..., ``W3``, ``b3``.
    """
    parameters = _INITIALIZATIONS[initialization]([X.shape[0], 10, 5, 1])
    for i in range(num_iterations):
        a3, cache = forward_propagation(X, parameters)
        cost = compute_loss(a3, Y)
        grads = backward_propagation(X, Y, cache)
        parameters = update_parameters(parameters, grads, learning_rate)
        if print_cost and i % 1000 == 0:
            print(f"Cost after iteration {i}: {cost}")
    return parameters
