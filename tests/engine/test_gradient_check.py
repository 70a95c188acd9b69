"""The backward pass against centred finite differences, for many random networks.

:func:`skdnn.engine.gradient_check` nudges every parameter by ``±epsilon`` and
compares the centred difference of the cost with the gradient of
:func:`skdnn.engine.loss_and_gradients`. Here it runs on a seeded family of
random architectures: 1 to 3 hidden layers of 1 to 5 units, every hidden
activation, every output (with the loss it is paired with), with and without
the L2 penalty and random positive sample weights.

ReLU kinks: ``relu``, ``leaky_relu`` and ``selu`` are not differentiable at 0, so a
pre-activation within ``epsilon`` of 0 would make the numerical derivative
straddle the kink and fail a correct backward pass. The guard: the data and
weights are re-drawn until every hidden pre-activation is at least
:data:`KINK_MARGIN` away from 0. A nudge of ``epsilon = 1e-6`` on one
parameter moves a pre-activation by at most ``1e-6 * |input|`` (inputs are
below 10 here), far less than the margin, so no nudge crosses a kink.

Saturated outputs: the cross-entropy takes ``log(1 - AL)``, whose rounding
error is about ``1e-16 / (1 - AL)``; divided by ``2 * epsilon`` it swamps the
threshold once an output is within about 1e-4 of 0 or 1 (a draw with an ELU
layer hit ``1 - AL = 3e-5`` and a relative error of 1.4e-7, falling to 5e-9
with ``epsilon = 1e-4``: round-off, not the backward pass). So probability
outputs are also re-drawn until they lie in ``[OUTPUT_MARGIN, 1 - OUTPUT_MARGIN]``.

The last tests prove the check can fail: a backward pass that is wrong by a
factor, or a gradient off by a few per cent, is reported.
"""

import importlib

import numpy as np
import pytest

from skdnn import engine
from skdnn.engine import (
    ACTIVATIONS,
    forward_propagation,
    gradient_check,
    initialize_network,
)
from skdnn.engine.activations import Activation

HIDDEN = ["relu", "leaky_relu", "tanh", "sigmoid", "identity", "elu", "selu", "gelu", "silu",
          "softplus"]
OUTPUTS = ["sigmoid", "softmax", "identity", "exp"]
EPSILON = 1e-6
KINK_MARGIN = 1e-4
OUTPUT_MARGIN = 1e-2
THRESHOLD = 1e-7
N_ARCHITECTURES = 4  # random networks per parametrised case

# The module, not the function that skdnn.engine exports under the same name.
GC_MODULE = importlib.import_module("skdnn.engine.gradient_check")


def test_hidden_activations_cover_the_estimators():
    # The parametrisation below must exercise every hidden activation the
    # estimators accept, and every output activation the engine knows.
    from skdnn._estimators.base import HIDDEN_ACTIVATIONS

    assert sorted(HIDDEN) == sorted(HIDDEN_ACTIVATIONS)
    assert sorted(OUTPUTS) == sorted(engine.OUTPUT_ACTIVATIONS)


def _targets(rng, output, n_out, m):
    if output == "sigmoid":
        return rng.randint(0, 2, (n_out, m)).astype(np.float64)
    if output == "softmax":
        return np.eye(n_out)[rng.randint(0, n_out, m)].T.copy()
    if output == "exp":  # the Poisson loss: counts
        return rng.poisson(2.0, (n_out, m)).astype(np.float64)
    return rng.randn(n_out, m) * 2.0


def _well_conditioned(X, parameters, activations):
    """Whether hidden pre-activations avoid the kinks and probabilities avoid 0 and 1."""
    if _min_abs_hidden_z(X, parameters, activations) < KINK_MARGIN:
        return False
    if activations[-1] not in ("sigmoid", "softmax"):
        return True
    AL, _ = forward_propagation(X, parameters, activations)
    return OUTPUT_MARGIN <= AL.min() and AL.max() <= 1 - OUTPUT_MARGIN


def _min_abs_hidden_z(X, parameters, activations):
    _, caches = forward_propagation(X, parameters, activations)
    return min(np.abs(Z).min() for (_, Z) in caches[:-1])


def _random_problem(rng, first_activation, output):
    """A random network and data whose hidden pre-activations avoid 0."""
    depth = rng.randint(1, 4)
    widths = [int(w) for w in rng.randint(1, 6, depth)]
    activations = [first_activation] + [HIDDEN[i] for i in rng.randint(0, len(HIDDEN), depth - 1)]
    rng.shuffle(activations)  # the imposed activation may sit at any depth
    activations.append(output)
    n_x = int(rng.randint(1, 5))
    n_out = int(rng.randint(2, 4)) if output == "softmax" else int(rng.randint(1, 3))
    m = int(rng.randint(3, 8))
    init = ["xavier", "he", "glorot_uniform"][rng.randint(3)]
    for _ in range(1000):
        X = rng.randn(n_x, m) * 2.0
        parameters = initialize_network([n_x, *widths, n_out], init, rng)
        # Non-zero biases, so that b's gradient is not checked only at 0.
        for l in range(1, depth + 2):
            parameters[f"b{l}"] = rng.randn(*parameters[f"b{l}"].shape) * 0.5
        if _well_conditioned(X, parameters, activations):
            break
    else:  # pragma: no cover - a width-1 layer would need very bad luck
        raise AssertionError("could not draw a problem away from the kinks and saturation")
    Y = _targets(rng, output, n_out, m)
    return X, Y, parameters, activations


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample_weight"])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_backward_matches_finite_differences(hidden, output, alpha, weighted):
    seed = (HIDDEN.index(hidden) * 100 + OUTPUTS.index(output) * 10
            + int(alpha * 10) + weighted)
    rng = np.random.RandomState(seed)
    for _ in range(N_ARCHITECTURES):
        X, Y, parameters, activations = _random_problem(rng, hidden, output)
        sample_weight = rng.uniform(0.2, 3.0, X.shape[1]) if weighted else None
        before = {k: v.copy() for k, v in parameters.items()}
        error = gradient_check(X, Y, parameters, activations, sample_weight=sample_weight,
                               alpha=alpha, epsilon=EPSILON)
        assert error < THRESHOLD, (activations, [p.shape for p in parameters.values()],
                                   alpha, weighted, error)
        # gradient_check leaves the parameters unchanged.
        for k in parameters:
            np.testing.assert_array_equal(parameters[k], before[k])


def test_kink_guard_is_needed_and_works():
    # Without the guard, a ReLU pre-activation sitting on the kink breaks the
    # numerical derivative: this shows the guard above is not decoration.
    X = np.array([[1.0, -1.0, 2.0]])
    Y = np.array([[0.5, -0.3, 1.0]])
    parameters = {"W1": np.array([[1.0]]), "b1": np.array([[1.0]]),  # Z = X + 1: 0 at X = -1
                  "W2": np.array([[1.5]]), "b2": np.array([[0.1]])}
    activations = ["relu", "identity"]
    assert _min_abs_hidden_z(X, parameters, activations) < KINK_MARGIN
    assert gradient_check(X, Y, parameters, activations) > THRESHOLD
    X_away = np.array([[1.0, -1.5, 2.0]])
    assert _min_abs_hidden_z(X_away, parameters, activations) >= KINK_MARGIN
    assert gradient_check(X_away, Y, parameters, activations) < THRESHOLD


def _fixed_problem(hidden="tanh", output="sigmoid"):
    rng = np.random.RandomState(7)
    X = rng.randn(3, 6)
    parameters = initialize_network([3, 4, 3, 2], "xavier", rng)
    Y = _targets(rng, output, 2, 6)
    return X, Y, parameters, [hidden, hidden, output]


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "leaky_relu"])
def test_detects_a_backward_off_by_a_factor(monkeypatch, hidden):
    X, Y, parameters, activations = _fixed_problem(hidden)
    assert gradient_check(X, Y, parameters, activations) < THRESHOLD
    right = ACTIVATIONS[hidden]

    def wrong_backward(dA, Z, out=None):
        return right.backward(dA, Z, out=out) * 1.5

    monkeypatch.setitem(ACTIVATIONS, hidden, Activation(right.forward, wrong_backward))
    assert gradient_check(X, Y, parameters, activations) > 1e-2


def test_detects_a_gradient_slightly_off(monkeypatch):
    # Scale the backpropagated gradient of one parameter by 1.01; the cost
    # (and so the numerical gradient) is untouched.
    X, Y, parameters, activations = _fixed_problem()
    real = GC_MODULE.loss_and_gradients

    def slightly_wrong(*args, **kwargs):
        cost, grads = real(*args, **kwargs)
        grads = dict(grads, dW2=grads["dW2"] * 1.01)
        return cost, grads

    monkeypatch.setattr(GC_MODULE, "loss_and_gradients", slightly_wrong)
    assert gradient_check(X, Y, parameters, activations) > 1e-4


def test_detects_a_wrong_penalty_gradient(monkeypatch):
    # The L2 term: a gradient of alpha / m * W missing its factor would be a
    # classic bug; here the cost keeps the right penalty but dW gets twice it.
    X, Y, parameters, activations = _fixed_problem("relu", "identity")
    real = GC_MODULE.loss_and_gradients
    alpha = 0.3

    def doubled_penalty(X_, Y_, params, acts, *, alpha=0.0, **kwargs):
        cost, grads = real(X_, Y_, params, acts, alpha=alpha, **kwargs)
        m = X_.shape[1]
        grads = {name: g + (alpha / m) * params["W" + name[2:]] if name.startswith("dW")
                 else g for name, g in grads.items()}
        return cost, grads

    assert gradient_check(X, Y, parameters, activations, alpha=alpha) < THRESHOLD
    monkeypatch.setattr(GC_MODULE, "loss_and_gradients", doubled_penalty)
    assert gradient_check(X, Y, parameters, activations, alpha=alpha) > 1e-3
    # Without the penalty the wrong term vanishes: the check is specific.
    assert gradient_check(X, Y, parameters, activations, alpha=0.0) < THRESHOLD


def test_weighted_gradient_is_the_gradient_of_the_weighted_cost():
    # Integer weights are duplicated rows: cost and gradient agree exactly.
    X, Y, parameters, activations = _fixed_problem("tanh", "softmax")
    Y = _targets(np.random.RandomState(3), "softmax", 2, 6)
    w = np.array([1, 2, 1, 3, 1, 1], dtype=float)
    rows = np.repeat(np.arange(6), w.astype(int))
    cost_w, grads_w = engine.loss_and_gradients(X, Y, parameters, activations, sample_weight=w,
                                                alpha=0.3)
    cost_d, grads_d = engine.loss_and_gradients(X[:, rows], Y[:, rows], parameters,
                                                activations, alpha=0.3)
    np.testing.assert_allclose(cost_w, cost_d, rtol=1e-12)
    for name in parameters:
        np.testing.assert_allclose(grads_w["d" + name], grads_d["d" + name], rtol=1e-10,
                                   atol=1e-14)
