"""The estimators and the engine under scikit-learn's array API dispatch.

Every fit on PyTorch or ``array_api_strict`` arrays is compared with the same
fit on NumPy arrays of the same dtype (see :mod:`array_api_helpers`);
:mod:`test_gpu` runs the core of these checks on CUDA.
"""

import warnings

import numpy as np
import pytest
import sklearn
from tests.helpers.array_api import (ADAM, CASES, NAMESPACES, SMALL, Namespace, adam_classifier,
                               assert_same_fit, assert_same_outputs, binary, fit_pair,
                               multiclass, regression)
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._array_api import move_estimator_to, yield_namespace_device_dtype_combinations
from sklearn.utils.estimator_checks import check_array_api_input

from skdnn import LLayerClassifier, LLayerRegressor, engine
from skdnn.model_io import load_model, save_model
from tests.helpers.training import course


@pytest.fixture(params=NAMESPACES, ids=repr)
def ns(request):
    """The namespace under test, loaded (skipped where its library is missing)."""
    return request.param.load()


@pytest.mark.parametrize("estimator, data, weighted", [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_fit_equals_numpy(estimator, data, weighted, ns):
    reference, fitted, X, y, X_ns, y_ns = fit_pair(estimator, data, weighted, ns)
    assert_same_fit(reference, fitted, ns)
    assert_same_outputs(reference, fitted, X, y, X_ns, y_ns, ns)
    if fitted.early_stopping:
        assert_allclose(fitted.validation_scores_, reference.validation_scores_,
                        **ns.tolerance)


@pytest.mark.parametrize("estimator, data", [(adam_classifier(), multiclass),
                                             (LLayerRegressor(**course(**SMALL, **ADAM)),
                                              regression)],
                         ids=["classifier", "regressor"])
def test_partial_fit_and_warm_start_equal_numpy(estimator, data, ns):
    X, y = data()
    X, y = ns.host(X), ns.host(y)
    X_ns, y_ns = ns.put(X), ns.put(y)
    classes = {"classes": np.unique(y)} if isinstance(estimator, LLayerClassifier) else {}
    incremental, incremental_ns = clone(estimator), clone(estimator)
    warm, warm_ns = clone(estimator).set_params(warm_start=True), clone(estimator).set_params(
        warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for call in range(3):
            incremental.partial_fit(X, y, **classes)
            warm.set_params(max_iter=3 + call).fit(X, y)
            with sklearn.config_context(array_api_dispatch=True):
                incremental_ns.partial_fit(X_ns, y_ns, **classes)
                warm_ns.set_params(max_iter=3 + call).fit(X_ns, y_ns)
    assert_same_fit(incremental, incremental_ns, ns)
    assert_same_fit(warm, warm_ns, ns)
    assert warm_ns.n_iter_ == 3 + 4 + 5


def test_partial_fit_takes_classes_in_the_namespace(ns):
    X, y = multiclass()
    X = ns.host(X)
    reference = adam_classifier().partial_fit(X, y, classes=np.unique(y))
    with sklearn.config_context(array_api_dispatch=True):
        fitted = adam_classifier().partial_fit(ns.put(X), ns.put(y),
                                                classes=ns.put(np.unique(y)))
        predicted = fitted.predict(ns.put(X))
    assert isinstance(fitted.classes_, np.ndarray)
    assert_array_equal(engine.to_numpy(predicted), reference.predict(X))


def test_score_equals_numpy_in_float64(ns):
    if ns.dtype_name != "float64":
        pytest.skip("a float32 model's score may round to float32")
    X, y = multiclass()
    reference = adam_classifier().set_params(max_iter=2).fit(X, y)
    with sklearn.config_context(array_api_dispatch=True):
        fitted = adam_classifier().set_params(max_iter=2).fit(ns.put(X), ns.put(y))
        score = fitted.score(ns.put(X), ns.put(y))
    assert score == pytest.approx(reference.score(X, y), rel=1e-12, abs=0)
    assert score not in (0.0, 1.0)  # a score that float32 cannot hold exactly


def _other_namespace_of(ns):
    """A namespace (loaded) whose arrays a model fitted on ``ns`` must refuse."""
    if ns.name == "array_api_strict":
        other_device = None if ns.device_name == "device1" else "device1"
        return Namespace("array_api_strict", other_device, ns.dtype_name).load()
    return Namespace("torch", "cpu", ns.dtype_name).load() if ns.name == "numpy" else (
        Namespace("numpy", dtype_name=ns.dtype_name).load())


@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba", "score"])
def test_another_namespace_or_device_is_refused(method, ns):
    other = _other_namespace_of(ns)
    X, y = binary()
    model = LLayerClassifier(**course(**SMALL, learning_rate=0.1)).set_params(max_iter=2)
    with sklearn.config_context(array_api_dispatch=True):
        model.fit(ns.put(X), ns.put(y))
        args = (other.put(X), other.put(y)) if method == "score" else (other.put(X),)
        with pytest.raises(ValueError, match="must use the same namespace"):
            getattr(model, method)(*args)


def test_without_dispatch_torch_tensors_become_numpy():
    torch = pytest.importorskip("torch")
    X, y = multiclass()
    reference = adam_classifier().fit(X, y)
    fitted = adam_classifier().fit(torch.asarray(X), torch.asarray(y))
    assert all(isinstance(p, np.ndarray) for p in fitted.parameters_.values())
    for key in reference.parameters_:
        assert_array_equal(fitted.parameters_[key], reference.parameters_[key], err_msg=key)
    proba = fitted.predict_proba(torch.asarray(X))
    assert isinstance(proba, np.ndarray)
    assert_array_equal(proba, reference.predict_proba(X))


def _on_another_library(ns):
    if ns.name == "numpy":
        pytest.skip("a NumPy model is what save_model stores and load_model gives")


def test_saved_model_loads_on_numpy(ns, tmp_path):
    _on_another_library(ns)
    X, y = multiclass()
    X, y = ns.host(X), ns.host(y)
    with sklearn.config_context(array_api_dispatch=True):
        fitted = adam_classifier().fit(ns.put(X), ns.put(y))
        expected_proba = fitted.predict_proba(ns.put(X))
        expected_labels = engine.to_numpy(fitted.predict(ns.put(X)))
    save_model(fitted, tmp_path / "model.safetensors")
    loaded = load_model(tmp_path / "model.safetensors")
    for key, value in loaded.parameters_.items():
        assert isinstance(value, np.ndarray)
        assert_array_equal(value, engine.to_numpy(fitted.parameters_[key]), err_msg=key)
    assert_array_equal(loaded.predict(X), expected_labels)
    ns.assert_close(expected_proba, loaded.predict_proba(X))


def _moved_and_continued(estimator, X, y, ns, tmp_path):
    """A NumPy model saved, loaded twice: one continued on NumPy, one moved to ``ns``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        save_model(clone(estimator).fit(X, y), tmp_path / "model.safetensors")
        on_numpy = load_model(tmp_path / "model.safetensors")
        moved = move_estimator_to(load_model(tmp_path / "model.safetensors"), ns.xp, ns.device)
        with sklearn.config_context(array_api_dispatch=True):
            first_output = moved.predict(ns.put(X))
            moved.partial_fit(ns.put(X), ns.put(y))
        ns.assert_close(first_output, on_numpy.predict(X))
        on_numpy.partial_fit(X, y)
    return on_numpy, moved


def test_moved_regressor_predicts_and_continues(ns, tmp_path):
    _on_another_library(ns)
    X, y = regression(2)
    X, y = ns.host(X), ns.host(y)
    on_numpy, moved = _moved_and_continued(LLayerRegressor(**course(**SMALL, **ADAM)), X, y, ns,
                                           tmp_path)
    # The Adam moments moved too: the continued fits agree.
    assert_same_fit(on_numpy, moved, ns)
    assert_same_outputs(on_numpy, moved, X, y, ns.put(X), ns.put(y), ns)


def test_moved_classifier_predicts_and_continues(ns, tmp_path):
    _on_another_library(ns)
    X, y = multiclass()
    X = ns.host(X)
    on_numpy, moved = _moved_and_continued(adam_classifier(), X, y, ns, tmp_path)
    assert_same_fit(on_numpy, moved, ns)
    assert_same_outputs(on_numpy, moved, X, y, ns.put(X), ns.put(y), ns)


def test_moving_a_model_leaves_the_original_as_it_was(ns):
    _on_another_library(ns)
    X, y = regression()
    X, y = ns.host(X), ns.host(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        original = LLayerRegressor(**course(**SMALL, **ADAM)).fit(X, y)
        before = {k: v.copy() for k, v in original.parameters_.items()}
        moved = move_estimator_to(original, ns.xp, ns.device)
        with sklearn.config_context(array_api_dispatch=True):
            moved.partial_fit(ns.put(X), ns.put(y))
    for key, value in original.parameters_.items():
        assert_array_equal(value, before[key], err_msg=key)
    assert all(isinstance(m, np.ndarray) for m in original._optimizer.first_moments.values())


def test_moved_batch_norm_model_moves_its_running_statistics(ns, tmp_path):
    _on_another_library(ns)
    X, y = multiclass()
    X = ns.host(X)
    estimator = adam_classifier().set_params(batch_norm=[True, False], batch_norm_momentum=0.8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        original = clone(estimator).fit(X, y)
    before = {k: v.copy() for k, v in original.running_stats_.items()}
    moved = move_estimator_to(original, ns.xp, ns.device)
    assert moved.running_stats_.keys() == {"running_mean1", "running_var1"}
    for key, value in moved.running_stats_.items():
        ns.assert_lives_here(value)
        assert_array_equal(engine.to_numpy(value), before[key], err_msg=key)
    for key, value in original.running_stats_.items():  # the original keeps its own
        assert isinstance(value, np.ndarray)
        assert_array_equal(value, before[key], err_msg=key)
    # The moved model predicts by them, and partial_fit moves them as on NumPy.
    on_numpy, moved = _moved_and_continued(estimator, X, y, ns, tmp_path)
    assert not np.allclose(on_numpy.running_stats_["running_mean1"], before["running_mean1"])
    assert_same_fit(on_numpy, moved, ns)
    assert_same_outputs(on_numpy, moved, X, y, ns.put(X), ns.put(y), ns)


def test_same_random_state_same_parameters(ns):
    _on_another_library(ns)
    X, y = binary()
    # Mini-batches and dropout: the random draws all matter.
    estimator = LLayerClassifier(**course(**SMALL, **ADAM, dropout=0.3))
    with sklearn.config_context(array_api_dispatch=True):
        first, second = (clone(estimator).fit(ns.put(X), ns.put(y)) for _ in range(2))
        other_seed = clone(estimator).set_params(random_state=1).fit(ns.put(X), ns.put(y))
    for key in first.parameters_:
        assert_array_equal(engine.to_numpy(first.parameters_[key]),
                           engine.to_numpy(second.parameters_[key]), err_msg=key)
    assert not np.allclose(engine.to_numpy(first.parameters_["W1"]),
                           engine.to_numpy(other_seed.parameters_["W1"]))


# --------------------------------------------------------------------------- the engine

def _course_problem(ns):
    rng = np.random.RandomState(3)
    X, Y = rng.randn(4, 24), (rng.rand(1, 24) > 0.5).astype(float)
    parameters = engine.initialize_network([4, 5, 3, 1], "he", np.random.RandomState(0),
                                           ns.dtype)
    return ns.host(X), ns.host(Y), parameters


def test_course_functions_equal_numpy(ns):
    X, Y, parameters = _course_problem(ns)
    parameters_ns = {k: ns.put(v) for k, v in parameters.items()}
    AL, caches = engine.L_model_forward(X, parameters)
    AL_ns, caches_ns = engine.L_model_forward(ns.put(X), parameters_ns)
    ns.assert_lives_here(AL_ns)
    ns.assert_close(AL_ns, AL)
    assert float(engine.compute_cost(AL_ns, ns.put(Y))) == pytest.approx(
        engine.compute_cost(AL, Y), rel=ns.tolerance["rtol"])
    grads = engine.L_model_backward(AL, Y, caches)
    grads_ns = engine.L_model_backward(AL_ns, ns.put(Y), caches_ns)
    assert grads_ns.keys() == grads.keys()
    for key, value in grads_ns.items():
        ns.assert_lives_here(value)
        ns.assert_close(value, grads[key], err_msg=key)
    updated = engine.update_parameters(parameters, grads, 0.1)
    for key, value in engine.update_parameters(parameters_ns, grads_ns, 0.1).items():
        ns.assert_lives_here(value)
        ns.assert_close(value, updated[key], err_msg=key)


@pytest.mark.parametrize("new_optimizer", [lambda: engine.GradientDescent(0.1),
                                           lambda: engine.Momentum(0.1, nesterov=True),
                                           lambda: engine.Adam(0.01)],
                         ids=["gd", "nesterov", "adam"])
def test_train_epoch_equals_numpy(new_optimizer, ns):
    X, Y, parameters = _course_problem(ns)
    parameters_ns = {k: ns.put(v) for k, v in parameters.items()}
    settings = {"batch_size": 8, "alpha": 0.1, "dropout": [0.2, 0.0]}
    activations = ["relu", "tanh", "sigmoid"]
    optimizer, optimizer_ns = new_optimizer(), new_optimizer()
    costs, costs_ns = [], []
    for _ in range(3):  # the optimiser's state carries from epoch to epoch
        costs.append(engine.train_epoch(X, Y, parameters, activations, optimizer,
                                        rng=np.random.RandomState(len(costs)), **settings))
        costs_ns.append(engine.train_epoch(ns.put(X), ns.put(Y), parameters_ns, activations,
                                           optimizer_ns, rng=np.random.RandomState(len(costs_ns)),
                                           **settings))
    assert all(isinstance(cost, float) for cost in costs_ns)
    assert_allclose(costs_ns, costs, **ns.tolerance)
    for key, value in parameters_ns.items():
        ns.assert_lives_here(value)
        ns.assert_close(value, parameters[key], err_msg=key)


# --------------------------------------------------------------------------- scikit-learn's checks

@pytest.mark.parametrize("estimator", [LLayerClassifier(**course(**SMALL)),
                                       LLayerRegressor(**course(**SMALL))],
                         ids=["classifier", "regressor"])
@pytest.mark.parametrize("array_namespace, device_name, dtype_name", [
    pytest.param(*combination, id="-".join(map(str, combination)))
    for combination in yield_namespace_device_dtype_combinations()])
def test_sklearn_check_array_api_input(estimator, array_namespace, device_name, dtype_name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_array_api_input(type(estimator).__name__, estimator, array_namespace,
                              device_name=device_name, dtype_name=dtype_name,
                              check_values=True, check_sample_weight=True)


def test_placement_keeps_arrays_where_they_are(ns):
    # scikit-learn names its namespaces after its own copy of array_api_compat;
    # an array already in place must not make a round trip through the host.
    from sklearn.utils._array_api import get_namespace, get_namespace_and_device

    with sklearn.config_context(array_api_dispatch=True):
        on_device = ns.put(np.arange(3.0))
        xp, _, device = get_namespace_and_device(on_device)
        assert engine.to_device(on_device, xp, device) is on_device
        numpy_xp = get_namespace(np.ones(2))[0]
    assert engine.is_numpy(numpy_xp)
    assert engine.is_numpy(xp) == (ns.name == "numpy")
    host = np.arange(4.0)[::-1]  # negative strides, which PyTorch cannot take
    moved = engine.to_device(host, xp, device)
    ns.assert_lives_here(moved)
    assert_array_equal(engine.to_numpy(moved), host)
    assert engine.to_device(host, numpy_xp, None) is host  # NumPy's stays itself
