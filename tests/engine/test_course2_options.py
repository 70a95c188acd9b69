"""The estimator options course 2 needs: ``init="zeros"``, ``init="random"``, ``decay_interval``.

Each works with model files, ONNX and the array API; ``decay_interval=1`` (the
default) leaves every earlier fit bit-identical.
"""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_moons

from tests.helpers.model_files import assert_same_predictions, rewrite
from skdnn import LLayerClassifier, LLayerRegressor, engine, load_model, save_model
from skdnn._estimators import schedules

# tol=None: the tests compare fixed runs of max_iter epochs, which ending by
# max_iter is meant to (no "hasn't converged" warning).
SETTINGS = {"hidden_layer_sizes": (5, 2), "solver": "adam", "learning_rate": 0.01,
            "batch_size": 16, "max_iter": 12, "tol": None, "random_state": 0}


def moons():
    return make_moons(n_samples=60, noise=0.2, random_state=3)


def fit_quietly(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X, y)


def test_zeros_and_random_are_initialiser_table_entries():
    rng = np.random.RandomState(3)
    parameters = engine.initialize_network([2, 4, 1], "random", rng)
    np.testing.assert_array_equal(parameters["W1"], np.random.RandomState(3).randn(4, 2) * 10)
    zeros = engine.initialize_network([2, 4, 1], "zeros", np.random.RandomState(3))
    assert not any(p.any() for p in zeros.values())


@pytest.mark.parametrize("Estimator", [LLayerClassifier, LLayerRegressor])
def test_zeros_warns_that_symmetric_weights_cannot_learn(Estimator):
    X, y = moons()
    with pytest.warns(UserWarning, match="init='zeros'.*stay identical.*init='he'"):
        fit_quietly_except_zeros(Estimator(init="zeros", max_iter=3), X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Estimator(init="he", max_iter=3).fit(X, y)
    assert not any("init='zeros'" in str(w.message) for w in caught)


def fit_quietly_except_zeros(estimator, X, y):
    # The zeros network's flat loss also gets the usual ConvergenceWarning.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=sklearn.exceptions.ConvergenceWarning)
        return estimator.fit(X, y)


def test_staircase_learning_rate():
    def rate(epoch, interval):
        return schedules.epoch_learning_rate(0.1, 1.0, "constant", 0.5, epoch, 0, 0, interval)

    assert [rate(e, 1000) for e in (0, 999, 1000, 1999, 2000)] == [0.1, 0.1, 0.05, 0.05,
                                                                   0.1 / 3]
    assert [rate(e, 1) for e in (0, 1, 2)] == [0.1, 0.05, 0.1 / 3]


def test_decay_interval_steps_the_decay():
    X, y = moons()
    base = {**SETTINGS, "decay_rate": 1.0}
    default = LLayerClassifier(**base).fit(X, y)
    every_epoch = LLayerClassifier(**base, decay_interval=1).fit(X, y)
    never = LLayerClassifier(**base, decay_interval=SETTINGS["max_iter"]).fit(X, y)
    constant = LLayerClassifier(**SETTINGS).fit(X, y)
    for key, W in default.parameters_.items():
        assert W.tobytes() == every_epoch.parameters_[key].tobytes()
        assert never.parameters_[key].tobytes() == constant.parameters_[key].tobytes()
    assert not np.array_equal(default.parameters_["W1"], never.parameters_["W1"])


@pytest.mark.parametrize("bad", [0, -1, 1.5])
def test_decay_interval_must_be_a_positive_integer(bad):
    X, y = moons()
    with pytest.raises(ValueError, match="decay_interval"):
        LLayerClassifier(decay_interval=bad).fit(X, y)


@pytest.mark.parametrize("init", ["zeros", "random"])
def test_model_file_round_trip(init, tmp_path):
    X, y = moons()
    model = fit_quietly(LLayerClassifier(**SETTINGS, init=init, decay_rate=0.5,
                                         decay_interval=4), X, y)
    save_model(model, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors")
    assert loaded.get_params() == model.get_params()
    assert_same_predictions(loaded, model, X)
    # Training goes on as the original would.
    fit_quietly(model.set_params(warm_start=True, max_iter=5), X, y)
    fit_quietly(loaded.set_params(warm_start=True, max_iter=5), X, y)
    assert_same_predictions(loaded, model, X)


def test_a_file_from_before_decay_interval_loads_with_every_epoch(tmp_path):
    X, y = moons()
    model = LLayerClassifier(**SETTINGS, decay_rate=0.5).fit(X, y)
    path = tmp_path / "old.safetensors"
    save_model(model, path)
    rewrite(path, lambda metadata, hyper, state, tensors: hyper.pop("decay_interval"))
    assert load_model(path).decay_interval == 1


@pytest.mark.parametrize("init", ["zeros", "random"])
def test_onnx_export(init):
    pytest.importorskip("skl2onnx")
    ort = pytest.importorskip("onnxruntime")
    import skdnn.onnx  # noqa: F401  (registers the converters)
    from skl2onnx import to_onnx

    X, y = moons()
    model = fit_quietly(LLayerClassifier(**SETTINGS, init=init), X, y)
    onx = to_onnx(model, X[:1].astype(np.float64), options={id(model): {"zipmap": False}})
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    labels, proba = session.run(None, {session.get_inputs()[0].name: X})
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=1e-10)


@pytest.mark.parametrize("init", ["zeros", "random"])
def test_array_api_strict(init):
    xp = pytest.importorskip("array_api_strict")
    X, y = moons()
    settings = {**SETTINGS, "init": init, "decay_rate": 0.5, "decay_interval": 3}
    reference = fit_quietly(LLayerClassifier(**settings), X, y)
    with sklearn.config_context(array_api_dispatch=True):
        model = fit_quietly(LLayerClassifier(**settings), xp.asarray(X), xp.asarray(y))
        proba = model.predict_proba(xp.asarray(X))
    assert all(not isinstance(p, np.ndarray) for p in model.parameters_.values())
    np.testing.assert_allclose(np.asarray(proba), reference.predict_proba(X), rtol=0,
                               atol=1e-12)
