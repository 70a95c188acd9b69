"""The course functions of skdnn.engine against hand-checked values and shapes."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdnn import engine as E


def test_sigmoid_values_and_cache():
    Z = np.array([[0.0, 2.0, -2.0]])
    A, cache = E.sigmoid(Z)
    assert_allclose(A, [[0.5, 0.8807970779778823, 0.11920292202211755]], rtol=1e-15)
    assert cache is Z


def test_sigmoid_saturates_without_warning():
    A, _ = E.sigmoid(np.array([[-1e4, -800.0, 800.0, 1e4]]))  # RuntimeWarning is an error
    assert_array_equal(A, [[0.0, 0.0, 1.0, 1.0]])


def test_relu_and_backward():
    Z = np.array([[-1.0, 0.0, 2.0]])
    A, cache = E.relu(Z)
    assert_array_equal(A, [[0.0, 0.0, 2.0]])
    assert cache is Z
    assert_array_equal(E.relu_backward(np.array([[1.0, 2.0, 3.0]]), Z), [[0.0, 0.0, 3.0]])


def test_sigmoid_backward():
    # s(0) = 1/2, so dZ = dA / 4.
    assert_allclose(E.sigmoid_backward(np.array([[2.0]]), np.array([[0.0]])), [[0.5]])


def test_softmax_columns_sum_to_one_and_large_inputs_are_finite():
    Z = np.array([[1000.0, 1.0], [1000.0, 2.0], [-1000.0, 3.0]])
    A, cache = E.softmax(Z)
    assert_allclose(A.sum(axis=0), [1.0, 1.0])
    assert_allclose(A[:, 0], [0.5, 0.5, 0.0])
    e = np.exp([1.0, 2.0, 3.0])
    assert_allclose(A[:, 1], e / e.sum())
    assert cache is Z


def test_initialize_parameters_course_values():
    p = E.initialize_parameters(3, 2, 1)
    assert_allclose(p["W1"], [[0.01624345, -0.00611756, -0.00528172],
                              [-0.01072969, 0.00865408, -0.02301539]], atol=1e-8)
    assert_allclose(p["W2"], [[0.01744812, -0.00761207]], atol=1e-8)
    assert_array_equal(p["b1"], np.zeros((2, 1)))
    assert_array_equal(p["b2"], np.zeros((1, 1)))


def test_initialize_parameters_deep_course_values():
    p = E.initialize_parameters_deep([5, 4, 3])
    assert_allclose(p["W1"][0], [0.01788628, 0.0043651, 0.00096497, -0.01863493, -0.00277388],
                    atol=1e-8)
    assert p["W1"].shape == (4, 5) and p["b1"].shape == (4, 1)
    assert p["W2"].shape == (3, 4) and p["b2"].shape == (3, 1)
    assert sorted(p) == ["W1", "W2", "b1", "b2"]


def test_linear_forward_values_and_cache():
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    W = np.array([[1.0, -1.0]])
    b = np.array([[0.5]])
    Z, cache = E.linear_forward(A, W, b)
    assert_array_equal(Z, [[-1.5, -1.5]])
    assert cache[0] is A and cache[1] is W and cache[2] is b


def test_linear_activation_forward_cache_layout():
    A_prev = np.array([[1.0], [2.0]])
    W = np.array([[1.0, 1.0], [-1.0, 0.0]])
    b = np.zeros((2, 1))
    A, (linear_cache, activation_cache) = E.linear_activation_forward(A_prev, W, b, "relu")
    assert_array_equal(A, [[3.0], [0.0]])
    assert_array_equal(activation_cache, [[3.0], [-1.0]])
    assert linear_cache[0] is A_prev
    A, _ = E.linear_activation_forward(A_prev, W, b, "sigmoid")
    assert_allclose(A, 1 / (1 + np.exp(-np.array([[3.0], [-1.0]]))))


def test_L_model_forward_by_hand():
    X = np.array([[1.0], [2.0]])
    parameters = {"W1": np.array([[1.0, 1.0], [-1.0, 0.0]]), "b1": np.zeros((2, 1)),
                  "W2": np.array([[1.0, 2.0]]), "b2": np.array([[-3.0]])}
    AL, caches = E.L_model_forward(X, parameters)
    # Z1 = [3, -1], A1 = [3, 0], Z2 = 3 - 3 = 0, AL = 1/2.
    assert_allclose(AL, [[0.5]])
    assert len(caches) == 2
    assert_array_equal(caches[1][0][0], [[3.0], [0.0]])


def test_compute_cost_course_value():
    Y = np.array([[1, 1, 0]])
    AL = np.array([[0.8, 0.9, 0.4]])
    assert E.compute_cost(AL, Y) == pytest.approx(0.2797765635793422, rel=1e-14)
    assert isinstance(E.compute_cost(AL, Y), float)


def test_compute_cost_finite_when_saturated():
    cost = E.compute_cost(np.array([[0.0, 1.0, 1.0, 0.0]]), np.array([[0, 1, 0, 1]]))
    assert np.isfinite(cost) and cost > 10


def test_linear_backward_by_hand():
    A_prev = np.array([[1.0, 2.0], [3.0, 4.0]])
    W = np.array([[1.0, -1.0]])
    dZ = np.array([[1.0, 2.0]])
    dA_prev, dW, db = E.linear_backward(dZ, (A_prev, W, np.zeros((1, 1))))
    assert_allclose(dW, [[2.5, 5.5]])
    assert_allclose(db, [[1.5]])
    assert_allclose(dA_prev, [[1.0, 2.0], [-1.0, -2.0]])
    assert E.linear_backward(dZ, (A_prev, W, None), compute_dA_prev=False)[0] is None


def test_linear_activation_backward_relu_masks_dZ():
    A_prev = np.array([[1.0, 2.0]])
    W, b = np.array([[1.0], [-1.0]]), np.zeros((2, 1))
    cache = ((A_prev, W, b), np.array([[1.0, 2.0], [-1.0, -2.0]]))
    dA_prev, dW, db = E.linear_activation_backward(np.ones((2, 2)), cache, "relu")
    # dZ = [[1, 1], [0, 0]]
    assert_allclose(dW, [[1.5], [0.0]])
    assert_allclose(db, [[1.0], [0.0]])
    assert_allclose(dA_prev, [[1.0, 1.0]])


def _course_network(seed=0, dims=(4, 5, 3, 1), m=7):
    rng = np.random.RandomState(seed)
    X = rng.randn(dims[0], m)
    Y = rng.randint(0, 2, (1, m))
    parameters = E.initialize_network(list(dims), "he", rng)
    return X, Y, parameters


def test_L_model_backward_keys_and_shapes():
    X, Y, parameters = _course_network()
    AL, caches = E.L_model_forward(X, parameters)
    grads = E.L_model_backward(AL, Y, caches)
    assert sorted(grads) == ["dA0", "dA1", "dA2", "dW1", "dW2", "dW3", "db1", "db2", "db3"]
    for l in (1, 2, 3):
        assert grads[f"dW{l}"].shape == parameters[f"W{l}"].shape
        assert grads[f"db{l}"].shape == parameters[f"b{l}"].shape
    assert grads["dA0"].shape == X.shape


def test_L_model_backward_numerical_gradient():
    X, Y, parameters = _course_network()
    AL, caches = E.L_model_forward(X, parameters)
    grads = E.L_model_backward(AL, Y, caches)
    eps = 1e-6
    for name, p in parameters.items():
        numeric = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            saved = p[i]
            p[i] = saved + eps
            plus = E.compute_cost(E.L_model_forward(X, parameters)[0], Y)
            p[i] = saved - eps
            minus = E.compute_cost(E.L_model_forward(X, parameters)[0], Y)
            p[i] = saved
            numeric[i] = (plus - minus) / (2 * eps)
        assert_allclose(grads["d" + name], numeric, rtol=1e-6, atol=1e-9, err_msg=name)


def test_L_model_backward_finite_when_output_saturates():
    X, _, parameters = _course_network()
    AL, caches = E.L_model_forward(X, parameters)
    AL = np.where(np.arange(AL.shape[1]) % 2 == 0, 1.0, 0.0)[None, :]
    Y = 1 - AL  # the worst case: saturated and wrong
    grads = E.L_model_backward(AL, Y, caches)
    assert all(np.isfinite(g).all() for g in grads.values())


def test_update_parameters_leaves_input_unchanged():
    parameters = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([[0.5]])}
    grads = {"dW1": np.array([[10.0, -10.0]]), "db1": np.array([[1.0]])}
    new = E.update_parameters(parameters, grads, 0.1)
    assert_allclose(new["W1"], [[0.0, 3.0]])
    assert_allclose(new["b1"], [[0.4]])
    assert_array_equal(parameters["W1"], [[1.0, 2.0]])


def _twin_optimizers(name, seed):
    """Two fresh optimisers of one kind, two copies of one start, and the rng."""
    rng = np.random.RandomState(seed)
    start = {"W1": rng.randn(3, 4), "b1": rng.randn(3, 1)}
    copies = [{k: v.copy() for k, v in start.items()} for _ in range(2)]
    return rng, start, copies, [E.OPTIMIZERS[name](0.1) for _ in range(2)]


@pytest.mark.parametrize("name", sorted(E.OPTIMIZERS))
def test_optimizers_take_the_same_steps_with_and_without_scratch(name):
    # scratch=True lets an optimiser compute in the gradients' memory: the
    # steps must be bit-identical, and scratch=False must leave grads alone.
    rng, start, (kept, spent), (first, second) = _twin_optimizers(name, 0)
    for _ in range(3):
        grads = {"d" + k: rng.randn(*v.shape) for k, v in start.items()}
        untouched = {k: v.copy() for k, v in grads.items()}
        first.update(kept, grads, scratch=False)
        for k in grads:
            assert_array_equal(grads[k], untouched[k])
        second.update(spent, grads, scratch=True)
    for k in start:
        assert_array_equal(kept[k], spent[k])
        assert not np.array_equal(kept[k], start[k])


@pytest.mark.parametrize("name", sorted(E.OPTIMIZERS))
def test_optimizers_take_prescaled_gradients(name):
    # update(grads * s, gradient_scale=s) is update(grads): the training loop
    # passes each optimiser's own gradient_scale, folded into the backward pass.
    rng, start, (raw, scaled), (first, second) = _twin_optimizers(name, 1)
    for rate in (0.1, 0.1, 0.05, 0.02):  # a decaying learning rate
        first.learning_rate = second.learning_rate = rate
        grads = {"d" + k: rng.randn(*v.shape) for k, v in start.items()}
        s = second.gradient_scale
        first.update(raw, grads)
        second.update(scaled, {k: g * s for k, g in grads.items()}, scratch=True,
                      gradient_scale=s)
    for k in start:
        assert_allclose(scaled[k], raw[k], rtol=1e-13, atol=1e-15)


def test_predict_thresholds_at_one_half():
    X = np.array([[-1.0, 0.0, 1.0]])
    parameters = {"W1": np.array([[1.0]]), "b1": np.zeros((1, 1))}
    assert_array_equal(E.predict(X, parameters), [[0, 0, 1]])


def test_course_models_learn_a_separable_problem():
    rng = np.random.RandomState(0)
    X = rng.randn(2, 60)
    Y = (X[0] + X[1] > 0).astype(int)[None, :]
    for model, dims in ((E.two_layer_model, (2, 4, 1)), (E.L_layer_model, [2, 5, 3, 1])):
        parameters, costs = model(X, Y, dims, learning_rate=0.5, num_iterations=301)
        assert len(costs) == 4
        assert costs[-1] < costs[0] / 2
        assert (E.predict(X, parameters) == Y).mean() > 0.9


def test_print_cost_every_100_and_after_last(capsys):
    X, Y, _ = _course_network()
    E.L_layer_model(X, Y, [4, 3, 1], num_iterations=250, print_cost=True)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "Cost after iteration 0", "Cost after iteration 100", "Cost after iteration 200",
        "Cost after iteration 249"]


def test_engine_imports_numpy_only():
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-c", _ENGINE_ONLY], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# Load skdnn/engine without running skdnn/__init__ (which imports the estimators).
_ENGINE_ONLY = """
import importlib.util, sys, pathlib
import skdnn
root = pathlib.Path(skdnn.__file__).parent
for name in list(sys.modules):
    if name.split('.')[0] in ('skdnn', 'sklearn', 'scipy', 'h5py', 'joblib'):
        del sys.modules[name]
spec = importlib.util.spec_from_file_location(
    'engine_alone', root / 'engine' / '__init__.py', submodule_search_locations=[str(root / 'engine')])
module = importlib.util.module_from_spec(spec)
sys.modules['engine_alone'] = module
spec.loader.exec_module(module)
bad = [m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy', 'h5py', 'joblib')]
sys.exit(f'engine imported {bad}' if bad else 0)
"""


def test_workspace_reuses_one_buffer_per_name():
    ws = E.Workspace()
    full = ws.get(("Z", 1), (4, 10), np.float64, "F")
    assert full.shape == (4, 10) and full.flags.f_contiguous
    assert ws.get(("Z", 1), (4, 10), np.float64, "F") is full
    # A smaller batch gets the leading, still contiguous, part of the same buffer.
    part = ws.get(("Z", 1), (4, 3), np.float64, "F")
    assert part.shape == (4, 3) and part.flags.f_contiguous and np.shares_memory(part, full)
    rows = ws.get("X_batch", (7, 5), np.float32)
    assert rows.flags.c_contiguous and rows.dtype == np.float32
    assert np.shares_memory(ws.get("X_batch", (2, 5), np.float32), rows)
    # Name, dtype and order tell buffers apart.
    assert not np.shares_memory(ws.get(("Z", 2), (4, 10), np.float64, "F"), full)
    assert not np.shares_memory(ws.get(("Z", 1), (4, 10), np.float32, "F"), full)
    # A larger request replaces the buffer; smaller ones then come from the new one.
    bigger = ws.get(("Z", 1), (4, 12), np.float64, "F")
    assert bigger.shape == (4, 12) and not np.shares_memory(bigger, full)
    again = ws.get(("Z", 1), (4, 3), np.float64, "F")
    assert again.shape == (4, 3) and np.shares_memory(again, bigger)
    assert ws.get(("Z", 1), (4, 10), np.float64, "F").base is bigger
