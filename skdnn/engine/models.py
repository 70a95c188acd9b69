"""The course's models: ``two_layer_model``, ``L_layer_model`` and ``predict``.

Both models are plain gradient descent on the course layout, one
:func:`skdnn.engine.training.train_epoch` per iteration: the very step that
:class:`skdnn.LLayerClassifier` takes with its default settings.
"""

import numpy as np

from .initializers import initialize_network, initialize_parameters
from .optimizers import GradientDescent
from .propagation import L_model_forward, course_activations
from .training import train_epoch
from .workspace import Workspace

__all__ = ["L_layer_model", "predict", "two_layer_model"]


def _gradient_descent(X, Y, parameters, learning_rate, num_iterations, print_cost):
    activations = course_activations(parameters)
    optimizer = GradientDescent(learning_rate)
    workspace = Workspace()
    costs = []
    for i in range(num_iterations):
        cost = train_epoch(X, Y, parameters, activations, optimizer, workspace=workspace)
        if i % 100 == 0:
            costs.append(cost)
        if print_cost and (i % 100 == 0 or i == num_iterations - 1):
            print(f"Cost after iteration {i}: {cost}")
    return parameters, costs


def two_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=3000,
                    print_cost=False):
    """Train the course's two-layer network, LINEAR-RELU-LINEAR-SIGMOID.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
        Input, one example per column.
    Y : ndarray of shape (1, m)
        Labels, 0 or 1.
    layers_dims : tuple of int
        ``(n_x, n_h, n_y)``.
    learning_rate : float, default=0.0075
    num_iterations : int, default=3000
    print_cost : bool, default=False
        Print ``Cost after iteration i: c`` every 100 iterations and after the
        last one.

    Returns
    -------
    parameters : dict
        ``W1``, ``b1``, ``W2``, ``b2``, initialised by
        :func:`skdnn.engine.initialize_parameters`.
    costs : list of float
        The cost at iterations 0, 100, 200, ...
    """
    n_x, n_h, n_y = layers_dims
    parameters = initialize_parameters(n_x, n_h, n_y)
    return _gradient_descent(X, np.asarray(Y).reshape(n_y, -1), parameters, learning_rate,
                             num_iterations, print_cost)


def L_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=3000,
                  print_cost=False):
    """Train the course's L-layer network, [LINEAR-RELU]*(L-1)-LINEAR-SIGMOID.

    Initialised as in the application that published the four-layer table:
    a generator seeded with 1 and ``Wl = randn(n_l, n_{l-1}) / sqrt(n_{l-1})``,
    drawn in layer order (``init="xavier"``).

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
        Input, one example per column.
    Y : ndarray of shape (1, m)
        Labels, 0 or 1.
    layers_dims : sequence of int
        ``[n_x, n_1, ..., n_L]``.
    learning_rate : float, default=0.0075
    num_iterations : int, default=3000
    print_cost : bool, default=False
        Print ``Cost after iteration i: c`` every 100 iterations and after the
        last one.

    Returns
    -------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``.
    costs : list of float
        The cost at iterations 0, 100, 200, ...
    """
    parameters = initialize_network(layers_dims, "xavier", np.random.RandomState(1))
    return _gradient_descent(X, np.asarray(Y).reshape(layers_dims[-1], -1), parameters,
                             learning_rate, num_iterations, print_cost)


def predict(X, parameters):
    """Predict 0/1 labels with a trained course network.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``.

    Returns
    -------
    p : ndarray of shape (1, m)
        1 where the output probability is above 0.5, else 0.
    """
    AL, _ = L_model_forward(X, parameters)
    return (AL > 0.5).astype(int)
