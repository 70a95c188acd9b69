"""The optimisers of skdnn.engine against their formulas, bit for bit.

Each formula is written out here with temporaries, in the order of
operations its docstring gives; the optimiser computes it in place and must
give the very same bits, float32 staying float32.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skdnn import engine as E


def _literal_steps(name, parameters, grads_per_step, rates, settings):
    """Each optimiser's formula written out with temporaries, in its order of operations."""
    p = {k: v.copy() for k, v in parameters.items()}
    state = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in p.items()}
    for t, (grads, lr) in enumerate(zip(grads_per_step, rates), start=1):
        for k in p:
            g = grads["d" + k]
            if name == "gd":
                p[k] = p[k] - lr * g
            elif name == "momentum":
                beta = settings["beta"]
                v = beta * state[k][0] + (1 - beta) * g
                state[k] = (v, None)
                if settings.get("nesterov"):
                    p[k] = p[k] - lr * (beta * v + (1 - beta) * g)
                else:
                    p[k] = p[k] - lr * v
            else:
                b1, b2, eps = settings["beta_1"], settings["beta_2"], settings["epsilon"]
                m = b1 * state[k][0] + (1 - b1) * g
                v = b2 * state[k][1] + (1 - b2) * g ** 2
                state[k] = (m, v)
                lr_t = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)  # a Python float
                p[k] = p[k] - lr_t * (m / (np.sqrt(v) + eps))
    return p, state


SETTINGS = {"gd": {}, "momentum": {"beta": 0.8}, "adam": {"beta_1": 0.85, "beta_2": 0.99,
                                                          "epsilon": 1e-7}}
# Each case: an optimiser of OPTIMIZERS and its settings.
CASES = {**{name: (name, settings) for name, settings in SETTINGS.items()},
         "nesterov": ("momentum", {"beta": 0.8, "nesterov": True})}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", sorted(CASES))
def test_optimizer_steps_are_their_formulas_bit_for_bit(case, dtype):
    name, settings = CASES[case]
    rng = np.random.RandomState(0)
    start = {"W1": rng.randn(3, 4).astype(dtype), "b1": rng.randn(3, 1).astype(dtype)}
    steps = [{"d" + k: rng.randn(*v.shape).astype(dtype) for k, v in start.items()}
             for _ in range(5)]
    rates = [0.1, 0.1, 0.05, 0.02, 0.02]  # a learning rate decayed between steps
    optimizer = E.OPTIMIZERS[name](rates[0], **settings)
    for setting, value in settings.items():
        assert getattr(optimizer, setting) == value
    parameters = {k: v.copy() for k, v in start.items()}
    for grads, lr in zip(steps, rates):
        untouched = {k: g.copy() for k, g in grads.items()}
        optimizer.learning_rate = lr
        optimizer.update(parameters, grads)
        for k in grads:  # the gradients are read, never written
            assert_array_equal(grads[k], untouched[k])
    expected, state = _literal_steps(name, start, steps, rates, settings)
    for k in start:
        assert parameters[k].dtype == dtype
        assert_array_equal(parameters[k], expected[k], err_msg=k)
        assert not np.array_equal(parameters[k], start[k])
    if name == "momentum":
        for k in start:
            assert_array_equal(optimizer.velocities[k], state[k][0])
    if name == "adam":
        assert optimizer.t == 5
        for k in start:
            assert_array_equal(optimizer.first_moments[k], state[k][0])
            assert_array_equal(optimizer.second_moments[k], state[k][1])


@pytest.mark.parametrize("name", sorted(E.OPTIMIZERS))
def test_optimizer_resumes_from_its_state_names_bit_for_bit(name):
    rng = np.random.RandomState(1)
    start = {"W1": rng.randn(3, 2), "b1": rng.randn(3, 1)}
    steps = [{"d" + k: rng.randn(*v.shape) for k, v in start.items()} for _ in range(4)]
    through = E.OPTIMIZERS[name](0.05, **SETTINGS[name])
    first = E.OPTIMIZERS[name](0.05, **SETTINGS[name])
    straight, resumed = ({k: v.copy() for k, v in start.items()} for _ in range(2))
    for grads in steps:
        through.update(straight, grads)
    for grads in steps[:2]:
        first.update(resumed, grads)
    # A fresh optimiser given the state (as a model file would give it) goes on.
    second = E.OPTIMIZERS[name](0.05, **SETTINGS[name])
    assert second.state_names == type(second).state_names
    for state_name in second.state_names:
        value = getattr(first, state_name)
        setattr(second, state_name,
                {k: v.copy() for k, v in value.items()} if isinstance(value, dict) else value)
    for grads in steps[2:]:
        second.update(resumed, grads)
    for k in start:
        assert_array_equal(resumed[k], straight[k], err_msg=k)


def test_state_names_are_the_training_state():
    assert E.GradientDescent.state_names == ()
    assert E.Momentum.state_names == ("velocities",)
    assert E.Adam.state_names == ("t", "first_moments", "second_moments")


def test_cast_state_casts_the_state_and_steps_stay_in_the_new_dtype():
    parameters = {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}
    grads = {"dW1": np.full((2, 2), 0.5), "db1": np.full((2, 1), 0.5)}
    optimizer = E.Adam(0.1)
    optimizer.update(parameters, grads)
    E.cast_state(optimizer, np.float32)
    assert all(v.dtype == np.float32 for v in optimizer.first_moments.values())
    assert all(v.dtype == np.float32 for v in optimizer.second_moments.values())
    parameters = {k: v.astype(np.float32) for k, v in parameters.items()}
    optimizer.update(parameters, {k: g.astype(np.float32) for k, g in grads.items()})
    assert all(p.dtype == np.float32 for p in parameters.values())
    assert all(v.dtype == np.float32 for v in optimizer.second_moments.values())


def test_nesterov_steps_differ_from_plain_momentum():
    parameters = {"W1": np.ones((2, 2))}
    plain, ahead = {"W1": np.ones((2, 2))}, {"W1": np.ones((2, 2))}
    grads = {"dW1": np.full((2, 2), 0.5)}
    E.Momentum(0.1, beta=0.9).update(plain, grads)
    E.Momentum(0.1, beta=0.9, nesterov=True).update(ahead, grads)
    # First step from zero velocity: v = 0.05; plain moves lr * v, Nesterov
    # lr * (0.9 * 0.05 + 0.05).
    np.testing.assert_allclose(parameters["W1"] - plain["W1"], 0.1 * 0.05)
    np.testing.assert_allclose(parameters["W1"] - ahead["W1"], 0.1 * 0.095)
