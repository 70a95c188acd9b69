"""scikit-learn's optimiser tests (neural_network/tests/test_stochastic_optimizers.py, 1.9), ported.

Each test keeps its original name; the line under ``# Port:`` says what was
changed. scikit-learn's optimisers take lists of arrays; skdnn's
(:data:`skdnn.engine.OPTIMIZERS`) take a parameter dict ``{"W1": ...}``,
updated in place, and a gradient dict ``{"dW1": ...}``. scikit-learn's
``trigger_stopping`` (what a stalled loss does) is
:func:`skdnn._estimators.schedules.adaptive_divides` with the step size of
:func:`skdnn._estimators.schedules.epoch_learning_rate`.

Where the expected value is computed in another order of floating-point
operations than the engine's, equality is ``rtol=1e-12`` rather than exact:
the order is the engine's own choice, not part of the formula. One test of
skdnn's own, marked as such, checks the translation of scikit-learn's
momentum that the ported MLP tests use.
"""

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from skdnn._estimators import schedules
from skdnn.engine import OPTIMIZERS

shapes = {"W1": (4, 6), "b1": (6, 8), "W2": (7, 8, 9)}
FORMULA_RTOL = 1e-12


def _zeros():
    return {name: np.zeros(shape) for name, shape in shapes.items()}


def _draw(rng):
    return {name: rng.random_sample(shape) for name, shape in shapes.items()}


def _grads(grads):
    return {"d" + name: g for name, g in grads.items()}


def test_base_optimizer():
    # Port: BaseOptimizer.trigger_stopping is adaptive_divides(schedule="constant"): False = stop.
    for lr in [10**i for i in range(-3, 4)]:
        assert not schedules.adaptive_divides("constant", lr)


def test_sgd_optimizer_no_momentum():
    # Port: SGDOptimizer(momentum=0) is OPTIMIZERS["gd"]; dicts for lists.
    params = _zeros()
    rng = np.random.RandomState(0)

    for lr in [10**i for i in range(-3, 4)]:
        optimizer = OPTIMIZERS["gd"](lr)
        grads = _draw(rng)
        expected = {name: params[name] - lr * grads[name] for name in shapes}
        optimizer.update(params, _grads(grads))

        for name in shapes:
            assert_array_equal(expected[name], params[name])


def test_sgd_optimizer_momentum():
    # Port: expected by skdnn's v = m v + (1 - m) g, p -= lr v; rtol=1e-12 for exact.
    params = _zeros()
    lr = 0.1
    rng = np.random.RandomState(0)

    for momentum in np.arange(0.5, 0.9, 0.1):
        optimizer = OPTIMIZERS["momentum"](lr, beta=momentum, nesterov=False)
        velocities = _draw(rng)
        optimizer.velocities = {name: v.copy() for name, v in velocities.items()}
        grads = _draw(rng)
        new_velocities = {name: momentum * velocities[name] + (1 - momentum) * grads[name]
                          for name in shapes}
        expected = {name: params[name] - lr * new_velocities[name] for name in shapes}
        optimizer.update(params, _grads(grads))

        for name in shapes:
            assert_allclose(params[name], expected[name], rtol=FORMULA_RTOL, atol=0)
            assert_allclose(optimizer.velocities[name], new_velocities[name],
                            rtol=FORMULA_RTOL, atol=0)


def test_sgd_optimizer_trigger_stopping():
    # Port: trigger_stopping is adaptive_divides; the divided rate is epoch_learning_rate's.
    lr = 2e-6
    assert schedules.adaptive_divides("adaptive", lr)
    divided = schedules.epoch_learning_rate(lr, 0.0, "adaptive", 0.5, 0, 0, n_divisions=1)
    assert lr / 5 == divided
    assert not schedules.adaptive_divides("adaptive", divided)


def test_sgd_optimizer_nesterovs_momentum():
    # Port: expected by skdnn's p -= lr (m v + (1 - m) g); rtol=1e-12 for exact.
    params = _zeros()
    lr = 0.1
    rng = np.random.RandomState(0)

    for momentum in np.arange(0.5, 0.9, 0.1):
        optimizer = OPTIMIZERS["momentum"](lr, beta=momentum, nesterov=True)
        velocities = _draw(rng)
        optimizer.velocities = {name: v.copy() for name, v in velocities.items()}
        grads = _draw(rng)
        new_velocities = {name: momentum * velocities[name] + (1 - momentum) * grads[name]
                          for name in shapes}
        expected = {name: params[name]
                    - lr * (momentum * new_velocities[name] + (1 - momentum) * grads[name])
                    for name in shapes}
        optimizer.update(params, _grads(grads))

        for name in shapes:
            assert_allclose(params[name], expected[name], rtol=FORMULA_RTOL, atol=0)


def test_skdnn_momentum_takes_scikit_learns_steps():
    # Not one of scikit-learn's tests: the translation the ported MLP tests rely on
    # (their SGD settings). With learning_rate lr / (1 - m), skdnn's plain and Nesterov
    # momentum take scikit-learn's steps, starting from zero velocity.
    rng = np.random.RandomState(0)
    lr, momentum = 0.1, 0.9
    for nesterov in (False, True):
        params = _zeros()
        optimizer = OPTIMIZERS["momentum"](lr / (1 - momentum), beta=momentum,
                                           nesterov=nesterov)
        sk_params = _zeros()
        sk_velocities = {name: np.zeros(shape) for name, shape in shapes.items()}
        for _ in range(5):
            grads = _draw(rng)
            optimizer.update(params, _grads(grads))
            for name in shapes:
                sk_velocities[name] = momentum * sk_velocities[name] - lr * grads[name]
                update = sk_velocities[name]
                if nesterov:
                    update = momentum * update - lr * grads[name]
                sk_params[name] += update
        for name in shapes:
            assert_allclose(params[name], sk_params[name], rtol=1e-10)


def test_adam_optimizer():
    # Port: OPTIMIZERS["adam"] (ms, vs: first/second_moments); rtol=1e-12 for exact.
    params = _zeros()
    lr = 0.001
    epsilon = 1e-8
    rng = np.random.RandomState(0)

    for beta_1 in np.arange(0.9, 1.0, 0.05):
        for beta_2 in np.arange(0.995, 1.0, 0.001):
            optimizer = OPTIMIZERS["adam"](lr, beta_1, beta_2, epsilon)
            ms = _draw(rng)
            vs = _draw(rng)
            t = 10
            optimizer.first_moments = {name: m.copy() for name, m in ms.items()}
            optimizer.second_moments = {name: v.copy() for name, v in vs.items()}
            optimizer.t = t - 1
            grads = _draw(rng)

            ms = {k: beta_1 * ms[k] + (1 - beta_1) * grads[k] for k in shapes}
            vs = {k: beta_2 * vs[k] + (1 - beta_2) * (grads[k] ** 2) for k in shapes}
            learning_rate = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
            expected = {k: params[k] - learning_rate * ms[k] / (np.sqrt(vs[k]) + epsilon)
                        for k in shapes}

            optimizer.update(params, _grads(grads))
            for k in shapes:
                assert_allclose(params[k], expected[k], rtol=FORMULA_RTOL, atol=0)
