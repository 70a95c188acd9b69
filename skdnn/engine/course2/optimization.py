"""Notebook "Optimization Methods" (course 2, week 2; its 2021 version adds learning-rate decay).

Gradient descent and momentum are the engine's
(:func:`skdnn.engine.update_parameters`, :class:`skdnn.engine.Momentum`);
Adam is written with the notebook's bias-corrected moments, ``epsilon``
added to ``sqrt(s_corrected)`` (the engine's :class:`skdnn.engine.Adam` folds
the corrections into the step size, scikit-learn's form: the two differ only
through where ``epsilon`` sits). The estimators' ``solver``, ``batch_size``,
``decay_rate`` and ``decay_interval`` do the same.
"""

import math

import numpy as np

from ..initializers import initialize_network
from ..optimizers import Momentum, update_parameters
from ._network import backward_propagation, forward_propagation, predict, predict_dec

__all__ = [
    "backward_propagation",
    "compute_cost",
    "forward_propagation",
    "initialize_adam",
    "initialize_parameters",
    "initialize_velocity",
    "model",
    "predict",
    "predict_dec",
    "random_mini_batches",
    "schedule_lr_decay",
    "update_lr",
    "update_parameters_with_adam",
    "update_parameters_with_gd",
    "update_parameters_with_momentum",
]


def initialize_parameters(layer_dims):
    """He weights drawn with seed 3, the notebook's ``opt_utils`` initialisation.

    Parameters
    ----------
    layer_dims : sequence of int

    Returns
    -------
    parameters : dict
    """
    return initialize_network(layer_dims, "he", np.random.RandomState(3))


def compute_cost(a3, Y):
    """The summed (not averaged) logistic cost of a mini-batch; the model divides by m.

    Parameters
    ----------
    a3 : ndarray of shape (1, m)
    Y : ndarray of shape (1, m)

    Returns
    -------
    cost_total : float
    """
    return np.sum(np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y))


def update_parameters_with_gd(parameters, grads, learning_rate):
    """One step of gradient descent, ``W = W - learning_rate * dW``.

    Parameters
    ----------
    parameters : dict
    grads : dict
    learning_rate : float

    Returns
    -------
    parameters : dict
        New arrays; the input is left unchanged.
    """
    return update_parameters(parameters, grads, learning_rate)


def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    """Shuffle the columns (a generator seeded with ``seed``) and cut them in mini-batches.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    Y : ndarray of shape (1, m)
    mini_batch_size : int, default=64
    seed : int, default=0

    Returns
    -------
    mini_batches : list of tuple
        ``(mini_batch_X, mini_batch_Y)``; the last is smaller when
        ``mini_batch_size`` does not divide ``m``.
    """
    m = X.shape[1]
    permutation = list(np.random.RandomState(seed).permutation(m))
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation].reshape((1, m))
    return [(shuffled_X[:, k:k + mini_batch_size], shuffled_Y[:, k:k + mini_batch_size])
            for k in range(0, m, mini_batch_size)]


def initialize_velocity(parameters):
    """Zero velocities, keys ``dW1``, ``db1``, ...

    Parameters
    ----------
    parameters : dict

    Returns
    -------
    v : dict
    """
    return {"d" + name: np.zeros_like(p) for name, p in parameters.items()}


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    """``v = beta v + (1 - beta) dW``, ``W = W - learning_rate v``: the engine's :class:`Momentum`.

    Parameters
    ----------
    parameters : dict
    grads : dict
    v : dict
        Velocities, keys ``dW1``, ``db1``, ...
    beta : float
    learning_rate : float

    Returns
    -------
    parameters : dict
    v : dict
        New arrays; the inputs are left unchanged.
    """
    optimizer = Momentum(learning_rate, beta=beta)
    optimizer.velocities = {name: np.array(v["d" + name]) for name in parameters}
    parameters = {name: np.array(p) for name, p in parameters.items()}
    optimizer.update(parameters, grads)
    return parameters, {"d" + name: velocity for name, velocity in optimizer.velocities.items()}


def initialize_adam(parameters):
    """Zero first and second moments, keys ``dW1``, ``db1``, ...

    Parameters
    ----------
    parameters : dict

    Returns
    -------
    v, s : dict
    """
    return initialize_velocity(parameters), initialize_velocity(parameters)


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9,
                                beta2=0.999, epsilon=1e-8):
    """One Adam step, with the notebook's bias corrections.

    ``v = beta1 v + (1 - beta1) dW``, ``s = beta2 s + (1 - beta2) dW**2``,
    ``W = W - learning_rate * v_corrected / (sqrt(s_corrected) + epsilon)``
    with ``v_corrected = v / (1 - beta1**t)`` and likewise ``s``.

    Parameters
    ----------
    parameters, grads, v, s : dict
    t : int
        Number of Adam steps, this one included.
    learning_rate : float, default=0.01
    beta1 : float, default=0.9
    beta2 : float, default=0.999
    epsilon : float, default=1e-8

    Returns
    -------
    parameters, v, s, v_corrected, s_corrected : dict
        New dicts; the inputs are left unchanged.
    """
    new, v, s = dict(parameters), dict(v), dict(s)
    v_corrected, s_corrected = {}, {}
    for name, p in parameters.items():
        g, key = grads["d" + name], "d" + name
        v[key] = beta1 * v[key] + (1 - beta1) * g
        v_corrected[key] = v[key] / (1 - beta1 ** t)
        s[key] = beta2 * s[key] + (1 - beta2) * np.square(g)
        s_corrected[key] = s[key] / (1 - beta2 ** t)
        new[name] = p - learning_rate * v_corrected[key] / (np.sqrt(s_corrected[key]) + epsilon)
    return new, v, s, v_corrected, s_corrected


def update_lr(learning_rate0, epoch_num, decay_rate):
    """Inverse-time decay, ``learning_rate0 / (1 + decay_rate * epoch_num)``.

    Parameters
    ----------
    learning_rate0 : float
    epoch_num : int
    decay_rate : float

    Returns
    -------
    learning_rate : float
    """
    return learning_rate0 / (1 + decay_rate * epoch_num)


def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    """Staircase decay, ``learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval))``.

    The estimators' ``decay_rate`` with ``decay_interval=time_interval``.

    Parameters
    ----------
    learning_rate0 : float
    epoch_num : int
    decay_rate : float
    time_interval : int, default=1000

    Returns
    -------
    learning_rate : float
    """
    return learning_rate0 / (1 + decay_rate * math.floor(epoch_num / time_interval))


def _step(optimizer, parameters, grads, state, hyper):
    # One update by the chosen optimiser; ``state`` holds v, s and t.
    if optimizer == "gd":
        return update_parameters_with_gd(parameters, grads, hyper["learning_rate"])
    if optimizer == "momentum":
        parameters, state["v"] = update_parameters_with_momentum(
            parameters, grads, state["v"], hyper["beta"], hyper["learning_rate"])
        return parameters
    state["t"] += 1
    parameters, state["v"], state["s"], _, _ = update_parameters_with_adam(
        parameters, grads, state["v"], state["s"], state["t"], hyper["learning_rate"],
        hyper["beta1"], hyper["beta2"], hyper["epsilon"])
    return parameters


def model(X, Y, layers_dims, optimizer, learning_rate=0.0007, mini_batch_size=64, beta=0.9,
          beta1=0.9, beta2=0.999, epsilon=1e-8, num_epochs=5000, print_cost=True, decay=None,
          decay_rate=1):
    """The notebook's three-layer model trained by mini-batches.

    Epoch ``i`` draws its mini-batches with seed ``10 + i + 1``; the cost of
    an epoch is the summed cost of its mini-batches over ``m``. With
    ``decay``, the learning rate after epoch ``i`` is
    ``decay(learning_rate, i, decay_rate)`` (2021 version).

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    Y : ndarray of shape (1, m)
    layers_dims : sequence of int
    optimizer : {"gd", "momentum", "adam"}
    learning_rate : float, default=0.0007
    mini_batch_size : int, default=64
    beta : float, default=0.9
    beta1 : float, default=0.9
    beta2 : float, default=0.999
    epsilon : float, default=1e-8
    num_epochs : int, default=5000
    print_cost : bool, default=True
        Print ``Cost after epoch i: c`` (six decimals) every 1000 epochs,
        and the learning rate after it when it decays.
    decay : callable, default=None
        :func:`update_lr` or :func:`schedule_lr_decay`.
    decay_rate : float, default=1

    Returns
    -------
    parameters : dict
    """
    m = X.shape[1]
    hyper = {"learning_rate": learning_rate, "beta": beta, "beta1": beta1, "beta2": beta2,
             "epsilon": epsilon}
    parameters = initialize_parameters(layers_dims)
    v, s = initialize_adam(parameters)
    state = {"v": v, "s": s, "t": 0}
    seed = 10
    for i in range(num_epochs):
        seed = seed + 1
        cost_total = 0
        for minibatch_X, minibatch_Y in random_mini_batches(X, Y, mini_batch_size, seed):
            a3, caches = forward_propagation(minibatch_X, parameters)
            cost_total += compute_cost(a3, minibatch_Y)
            grads = backward_propagation(minibatch_X, minibatch_Y, caches)
            parameters = _step(optimizer, parameters, grads, state, hyper)
        if decay:
            hyper["learning_rate"] = decay(learning_rate, i, decay_rate)
        if print_cost and i % 1000 == 0:
            print("Cost after epoch %i: %f" % (i, cost_total / m))
            if decay:
                print("learning rate after epoch %i: %f" % (i, hyper["learning_rate"]))
    return parameters
