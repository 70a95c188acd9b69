"""The course-style loop: the course's functions written naively, as a learner would.

Fresh arrays at every step, ``dA0`` computed, ``np.dot``, ``copy.deepcopy``
in ``update_parameters``, ``X`` in the course layout (one example per
column). This is the baseline of the course run (:mod:`benchmarks.course`);
it must reach the same parameters as skdnn, which the benchmark checks.
"""

import copy

import numpy as np

LEARNING_RATE = 0.0075


def initialize_parameters_deep(layer_dims):
    """The course's initialisation: seed 1, ``randn(n_l, n_{l-1}) / sqrt(n_{l-1})``."""
    rng = np.random.RandomState(1)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = rng.randn(layer_dims[l], layer_dims[l - 1]) / np.sqrt(
            layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def sigmoid(Z):
    """Sigmoid of ``Z``, and ``Z`` as the cache."""
    return 1 / (1 + np.exp(-Z)), Z


def relu(Z):
    """ReLU of ``Z``, and ``Z`` as the cache."""
    return np.maximum(0, Z), Z


def linear_forward(A, W, b):
    """``Z = W A + b``, and the cache ``(A, W, b)``."""
    Z = np.dot(W, A) + b
    return Z, (A, W, b)


def linear_activation_forward(A_prev, W, b, activation):
    """One layer forward: the linear part, then ``activation``."""
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    else:
        A, activation_cache = relu(Z)
    return A, (linear_cache, activation_cache)


def L_model_forward(X, parameters):
    """[LINEAR-RELU]*(L-1)-LINEAR-SIGMOID forward; the output and every layer's cache."""
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)],
                                             parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)],
                                          parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches


def compute_cost(AL, Y):
    """Cross-entropy cost of the outputs ``AL`` against the labels ``Y``."""
    m = Y.shape[1]
    cost = (-1 / m) * np.sum(np.multiply(Y, np.log(AL)) + np.multiply(1 - Y, np.log(1 - AL)))
    return np.squeeze(cost)


def relu_backward(dA, cache):
    """``dZ`` from ``dA`` through a ReLU."""
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA, cache):
    """``dZ`` from ``dA`` through a sigmoid."""
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    return dA * s * (1 - s)


def linear_backward(dZ, cache):
    """``dA_prev``, ``dW`` and ``db`` from ``dZ``."""
    A_prev, W, _ = cache
    m = A_prev.shape[1]
    dW = 1 / m * np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_activation_backward(dA, cache, activation):
    """One layer backward: through ``activation``, then the linear part."""
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    else:
        dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)


def L_model_backward(AL, Y, caches):
    """The gradients of every layer, ``dA0`` included, as the course computes them."""
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    current_cache = caches[L - 1]
    dA_prev, dW, db = linear_activation_backward(dAL, current_cache, "sigmoid")
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = dA_prev, dW, db
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)],
                                                     caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = \
            dA_prev, dW, db
    return grads


def update_parameters(params, grads, learning_rate):
    """One step of gradient descent, on a deep copy of the parameters."""
    parameters = copy.deepcopy(params)
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l + 1)] = (parameters["W" + str(l + 1)]
                                        - learning_rate * grads["dW" + str(l + 1)])
        parameters["b" + str(l + 1)] = (parameters["b" + str(l + 1)]
                                        - learning_rate * grads["db" + str(l + 1)])
    return parameters


def L_layer_model(X, Y, layers_dims, learning_rate=LEARNING_RATE, num_iterations=3000):
    """The course's ``L_layer_model`` loop (without printing)."""
    costs = []
    parameters = initialize_parameters_deep(layers_dims)
    for i in range(num_iterations):
        AL, caches = L_model_forward(X, parameters)
        cost = compute_cost(AL, Y)
        grads = L_model_backward(AL, Y, caches)
        parameters = update_parameters(parameters, grads, learning_rate)
        if i % 100 == 0:
            costs.append(cost)
    return parameters, costs
