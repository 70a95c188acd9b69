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


def _course_backward_test_case():
    """The course's own inputs for L_model_backward: everything drawn from randn."""
    np.random.seed(3)
    AL = np.random.randn(1, 2)
    Y = np.array([[1, 0]])
    A1, W1, b1, Z1 = (np.random.randn(4, 2), np.random.randn(3, 4), np.random.randn(3, 1),
                      np.random.randn(3, 2))
    A2, W2, b2, Z2 = (np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1),
                      np.random.randn(1, 2))
    return AL, Y, (((A1, W1, b1), Z1), ((A2, W2, b2), Z2))


def _literal_L_model_backward(AL, Y, caches):
    """The course's L_model_backward, written out formula by formula."""
    grads = {}
    L = len(caches)
    dA = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    for l in range(L, 0, -1):
        (A_prev, W, b), Z = caches[l - 1]
        if l == L:
            s = 1 / (1 + np.exp(-Z))
            dZ = dA * s * (1 - s)
        else:
            dZ = np.array(dA, copy=True)
            dZ[Z <= 0] = 0
        m = A_prev.shape[1]
        grads[f"dW{l}"] = 1. / m * np.dot(dZ, A_prev.T)
        grads[f"db{l}"] = 1. / m * np.sum(dZ, axis=1, keepdims=True)
        grads[f"dA{l - 1}"] = dA = np.dot(W.T, dZ)
    return grads


def test_L_model_backward_course_figures_for_randn_AL():
    # AL outside (0, 1): the course's formula still gives its published figures.
    AL, Y, caches = _course_backward_test_case()
    assert (AL > 1).any()
    grads = E.L_model_backward(AL, Y, caches)
    assert_allclose(grads["dW1"], [[0.41010002, 0.07807203, 0.13798444, 0.10502167],
                                   [0.0, 0.0, 0.0, 0.0],
                                   [0.05283652, 0.01005865, 0.01777766, 0.0135308]], atol=1e-8)
    assert_allclose(grads["db1"], [[-0.22007063], [0.0], [-0.02835349]], atol=1e-8)
    assert_allclose(grads["dA1"], [[0.12913162, -0.44014127], [-0.14175655, 0.48317296],
                                   [0.01663708, -0.05670698]], atol=1e-8)
    literal = _literal_L_model_backward(AL, Y, caches)
    assert sorted(grads) == sorted(literal)
    for key in literal:
        assert_allclose(grads[key], literal[key], rtol=1e-14, atol=1e-16, err_msg=key)


def test_L_model_backward_touches_only_the_singular_points():
    # AL = 0 and AL = 1 are moved by eps; every other value, randn ones
    # included, goes through the formula as it is.
    AL, Y, caches = _course_backward_test_case()
    AL = np.array([[1.0, 0.0]])
    grads = E.L_model_backward(AL, Y, caches)
    eps = np.finfo(np.float64).eps
    literal = _literal_L_model_backward(np.array([[1 - eps, eps]]), Y, caches)
    for key in literal:
        assert_allclose(grads[key], literal[key], rtol=1e-14, atol=1e-16, err_msg=key)


def test_backward_propagation_gives_the_parameter_gradients_of_L_model_backward():
    X, Y, parameters = _course_network()
    AL, caches = E.L_model_forward(X, parameters)
    course = E.L_model_backward(AL, Y, caches)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads = E.backward_propagation(dAL, caches, ["relu", "relu", "sigmoid"])
    assert sorted(grads) == ["dW1", "dW2", "dW3", "db1", "db2", "db3"]  # no dA: not trained
    for key in grads:
        assert_array_equal(grads[key], course[key], err_msg=key)


def test_workspace_gives_the_same_gradients():
    X, _, parameters = _course_network(m=9)
    Y = np.random.RandomState(1).randint(0, 2, (1, 9)).astype(float)
    activations = ["tanh", "relu", "sigmoid"]
    masks = E.draw_dropout_masks(np.random.RandomState(2), parameters, 9, [0.5, 0.0])
    workspace = E.Workspace()
    for m in (9, 4):  # a smaller batch after a larger one reuses the buffers
        args = (X[:, :m], Y[:, :m], parameters, activations)
        kwargs = dict(sample_weight=np.linspace(0.5, 2, m), alpha=0.1,
                      dropout_masks=[masks[0][:, :m], None])
        cost, plain = E.loss_and_gradients(*args, **kwargs)
        cost_ws, buffered = E.loss_and_gradients(*args, **kwargs, workspace=workspace)
        assert cost == cost_ws
        # Same formulas; only the memory layout of the buffers (and so the
        # BLAS kernel's order of summation) differs.
        for key in plain:
            assert_allclose(plain[key], buffered[key], rtol=1e-13, atol=1e-16, err_msg=key)


def test_update_parameters_leaves_input_unchanged():
    parameters = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([[0.5]])}
    grads = {"dW1": np.array([[10.0, -10.0]]), "db1": np.array([[1.0]])}
    new = E.update_parameters(parameters, grads, 0.1)
    assert_allclose(new["W1"], [[0.0, 3.0]])
    assert_allclose(new["b1"], [[0.4]])
    assert_array_equal(parameters["W1"], [[1.0, 2.0]])


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


def test_workspace_reuses_one_buffer_per_request():
    ws = E.Workspace()
    Z, A = ws.layer_outputs(1, 4, 10, np.float64)
    assert Z.shape == A.shape == (4, 10) and Z.flags.f_contiguous and A.flags.f_contiguous
    assert not np.shares_memory(Z, A)
    again_Z, _ = ws.layer_outputs(1, 4, 10, np.float64)
    assert np.shares_memory(again_Z, Z)
    # Fewer examples get the leading, still contiguous, part of the same buffer.
    part, _ = ws.layer_outputs(1, 4, 3, np.float64)
    assert part.shape == (4, 3) and part.flags.f_contiguous and np.shares_memory(part, Z)
    rows = ws.batch_rows(7, 5, np.float32)
    assert rows.flags.c_contiguous and rows.dtype == np.float32
    assert np.shares_memory(ws.batch_rows(2, 5, np.float32), rows)
    features = ws.batch_features(7, 5, np.float32)
    assert features.shape == (5, 7) and features.flags.c_contiguous
    fewer = ws.batch_features(2, 5, np.float32)
    assert fewer.shape == (5, 2) and fewer.flags.c_contiguous
    assert np.shares_memory(fewer, features) and not np.shares_memory(features, rows)
    # Layer, kind, dtype tell buffers apart.
    assert not np.shares_memory(ws.layer_outputs(2, 4, 10, np.float64)[0], Z)
    assert not np.shares_memory(ws.layer_outputs(1, 4, 10, np.float32)[0], Z)
    assert not np.shares_memory(ws.activation_gradient(1, 4, 10, np.float64), Z)
    assert not np.shares_memory(ws.output_delta(4, 10, np.float64), Z)
    W = np.ones((4, 3), np.float32)
    dW, db = ws.parameter_gradients(1, W)
    assert dW.shape == (4, 3) and db.shape == (4, 1) and dW.dtype == db.dtype == np.float32
    assert np.shares_memory(ws.parameter_gradients(1, W)[0], dW)
    # More examples replace the buffer; fewer then come from the new one.
    bigger, _ = ws.layer_outputs(1, 4, 12, np.float64)
    assert bigger.shape == (4, 12) and not np.shares_memory(bigger, Z)
    assert np.shares_memory(ws.layer_outputs(1, 4, 3, np.float64)[0], bigger)


@pytest.mark.parametrize("batch_size, n_batches", [(8, 4), (10, 3), (None, 1), (50, 1)])
def test_train_epoch_calls_on_batch_after_each_step_and_changes_nothing(batch_size, n_batches):
    rng = np.random.RandomState(0)
    X, Y = rng.randn(3, 30), (rng.rand(1, 30) > 0.5).astype(float)
    # The first eight examples weigh nothing: with batches of 8 in order, the first
    # batch is skipped (no step), yet reported, so that every epoch reports as many.
    weights = np.r_[np.zeros(8), np.ones(22)]
    start = E.initialize_parameters_deep([3, 4, 1])
    runs = {}
    for hooked in (False, True):
        parameters = {k: v.copy() for k, v in start.items()}
        reported = []
        hook = (lambda: reported.append(parameters["W1"].copy())) if hooked else None
        cost = E.train_epoch(X, Y, parameters, ["relu", "sigmoid"], E.Adam(0.01),
                             batch_size=batch_size, shuffle=False, rng=np.random.RandomState(1),
                             sample_weight=weights, dropout=[0.2], on_batch=hook)
        runs[hooked] = cost, parameters, reported
    (cost, parameters, _), (hooked_cost, hooked_parameters, reported) = runs[False], runs[True]
    assert hooked_cost == cost
    for name, value in parameters.items():
        assert_array_equal(hooked_parameters[name], value)
    assert len(reported) == n_batches
    assert_array_equal(reported[-1], parameters["W1"])
    if batch_size == 8:
        assert_array_equal(reported[0], start["W1"])
        assert not np.array_equal(reported[1], start["W1"])
    elif n_batches > 1:  # called after the step: the first report follows its update
        assert not np.array_equal(reported[0], start["W1"])
