"""normalize_y: a regressor trains on standardised targets and predicts in the target's units.

The scale is each output's (weighted) mean and standard deviation at the first
fit; partial_fit and warm starts keep it; model files, ONNX and the array API
carry it.
"""

import warnings

import numpy as np
import pytest
import sklearn
from tests.helpers.model_files import rewrite
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skdnn import LLayerRegressor
from skdnn.model_io import ModelFileError, load_model, save_model

ADAM = dict(solver="adam", learning_rate=0.01, max_iter=20, random_state=0)


def _data(n=90, n_outputs=1, seed=0):
    """A target far from 0 and of a large spread, as loaded data often is."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, (n, 3))
    Y = np.column_stack([150 + 70 * (np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]) * (k + 1)
                         + 5 * rng.randn(n) for k in range(n_outputs)])
    return X, Y.ravel() if n_outputs == 1 else Y


def _fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_training_on_standardised_targets_is_training_on_scaled_y(n_outputs):
    X, y = _data(n_outputs=n_outputs)
    reg = _fit(LLayerRegressor((8,), **ADAM), X, y)
    mean, std = y.mean(axis=0), y.std(axis=0)
    assert_allclose(reg.y_offset_, np.atleast_1d(mean), rtol=1e-12)
    assert_allclose(reg.y_scale_, np.atleast_1d(std), rtol=1e-12)
    by_hand = _fit(LLayerRegressor((8,), normalize_y=False, **ADAM), X, (y - mean) / std)
    assert_array_equal(reg.loss_curve_, by_hand.loss_curve_)
    assert_allclose(reg.predict(X), by_hand.predict(X) * std + mean, rtol=1e-12)
    assert reg.predict(X).shape == y.shape


def test_raw_targets_score_as_standardised_ones():
    X, y = _data(300)
    raw = _fit(LLayerRegressor((16,), normalize_y=False, **{**ADAM, "max_iter": 200}), X, y)
    scaled = _fit(LLayerRegressor((16,), **{**ADAM, "max_iter": 200}), X, y)
    assert scaled.score(X, y) > 0.9 > raw.score(X, y)


def test_sample_weight_weighs_the_scale_as_repeated_rows():
    X, y = _data(40)
    weights = np.random.RandomState(1).randint(0, 4, len(y))
    weighted = _fit(LLayerRegressor((5,), **ADAM), X, y, sample_weight=weights)
    repeated = np.repeat(np.arange(len(y)), weights)
    assert_allclose(weighted.y_offset_, [y[repeated].mean()], rtol=1e-12)
    assert_allclose(weighted.y_scale_, [y[repeated].std()], rtol=1e-12)


def test_a_constant_output_keeps_the_scale_one():
    X, y = _data(40, n_outputs=2)
    y[:, 1] = 7.0
    reg = _fit(LLayerRegressor((5,), **ADAM), X, y)
    assert reg.y_scale_[1] == 1.0 and reg.y_offset_[1] == 7.0


def test_poisson_divides_by_the_mean_only():
    X, _ = _data(80)
    counts = np.random.RandomState(0).poisson(np.exp(3 + X[:, 0]))
    reg = _fit(LLayerRegressor((5,), loss="poisson", **ADAM), X, counts)
    assert_array_equal(reg.y_offset_, [0.0])
    assert_allclose(reg.y_scale_, [counts.mean()], rtol=1e-12)
    by_hand = _fit(LLayerRegressor((5,), loss="poisson", normalize_y=False, **ADAM), X,
                   counts / counts.mean())
    assert_allclose(reg.predict(X), by_hand.predict(X) * counts.mean(), rtol=1e-12)
    assert (reg.predict(X) > 0).all()


def test_partial_fit_fixes_the_scale_at_the_first_call():
    X, y = _data(60)
    reg = LLayerRegressor((5,), solver="adam", random_state=0)
    reg.partial_fit(X[:30], y[:30])
    offset, scale = reg.y_offset_.copy(), reg.y_scale_.copy()
    reg.partial_fit(X[30:], y[30:] + 1000)
    assert_array_equal(reg.y_offset_, offset)
    assert_array_equal(reg.y_scale_, scale)
    assert_allclose(offset, [y[:30].mean()], rtol=1e-12)


def test_warm_start_keeps_the_scale_and_a_cold_fit_takes_a_new_one():
    X, y = _data(60)
    reg = _fit(LLayerRegressor((5,), warm_start=True, **ADAM), X, y)
    offset = reg.y_offset_.copy()
    _fit(reg, X, y + 1000)
    assert_array_equal(reg.y_offset_, offset)
    _fit(reg.set_params(warm_start=False), X, y + 1000)
    assert_allclose(reg.y_offset_, offset + 1000, rtol=1e-12)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_changing_normalize_y_when_continuing_is_refused(method):
    X, y = _data(60)
    reg = _fit(LLayerRegressor((5,), warm_start=True, **ADAM), X, y)
    parameters = {k: v.copy() for k, v in reg.parameters_.items()}
    reg.set_params(normalize_y=False)
    with pytest.raises(ValueError, match="normalize_y=False differs"):
        getattr(reg, method)(X, y)
    assert hasattr(reg, "y_scale_")
    for k, v in parameters.items():
        assert_array_equal(reg.parameters_[k], v)
    unscaled = _fit(LLayerRegressor((5,), normalize_y=False, **ADAM), X, y)
    unscaled.set_params(normalize_y=True)
    with pytest.raises(ValueError, match="normalize_y=True differs"):
        unscaled.partial_fit(X, y)
    assert not hasattr(unscaled, "y_scale_")


def test_normalize_y_false_leaves_no_scale_and_trains_on_y():
    X, y = _data(40)
    reg = _fit(LLayerRegressor((5,), **ADAM), X, y)
    _fit(reg.set_params(normalize_y=False), X, y)
    assert not hasattr(reg, "y_offset_") and not hasattr(reg, "y_scale_")


def test_early_stopping_scores_the_predictions_in_the_target_units():
    X, y = _data(200)
    reg = _fit(LLayerRegressor((8,), early_stopping=True, validation_fraction=0.2,
                               **{**ADAM, "max_iter": 40}), X, y)
    # R² is the same on both scales: the scores are those of predict's values.
    assert 0.5 < max(reg.validation_scores_) <= 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_model_file_round_trip_and_resume(tmp_path, dtype):
    X, y = _data(60, n_outputs=2)
    X = X.astype(dtype)
    reg = _fit(LLayerRegressor((5,), **ADAM), X, y)
    assert reg.y_scale_.dtype == dtype
    save_model(reg, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors")
    assert_array_equal(loaded.predict(X), reg.predict(X), strict=True)
    assert_array_equal(loaded.y_scale_, reg.y_scale_, strict=True)
    for est in (reg, loaded):
        est.partial_fit(X, y + 50)
    assert_array_equal(loaded.predict(X), reg.predict(X), strict=True)


def test_a_file_from_before_normalize_y_loads_unscaled(tmp_path):
    X, y = _data(60)
    reg = _fit(LLayerRegressor((5,), normalize_y=False, **ADAM), X, y)
    path = tmp_path / "old.safetensors"
    save_model(reg, path)

    def drop_normalize_y(metadata, hyper, state, tensors):
        hyper.pop("normalize_y")

    rewrite(path, drop_normalize_y)
    loaded = load_model(path)
    assert loaded.normalize_y is False
    assert_array_equal(loaded.predict(X), reg.predict(X))


def test_a_file_whose_scale_does_not_match_normalize_y_is_refused(tmp_path):
    X, y = _data(60)
    path = tmp_path / "m.safetensors"
    save_model(_fit(LLayerRegressor((5,), **ADAM), X, y), path)

    def drop_scale(metadata, hyper, state, tensors):
        del state["y_scale_"], tensors["y_scale_"]

    def negative_scale(metadata, hyper, state, tensors):
        tensors["y_scale_"] = -tensors["y_scale_"]

    for change, message in [(drop_scale, "neither|both"), (negative_scale, "positive")]:
        copy = tmp_path / f"{change.__name__}.safetensors"
        copy.write_bytes(path.read_bytes())
        rewrite(copy, change)
        with pytest.raises(ModelFileError, match=message):
            load_model(copy)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_onnx_graph_unscales(dtype):
    pytest.importorskip("skl2onnx")
    ort = pytest.importorskip("onnxruntime")
    import skdnn.onnx  # noqa: F401
    from skl2onnx import to_onnx

    X, y = _data(60, n_outputs=2)
    X = X.astype(dtype)
    reg = _fit(LLayerRegressor((6,), **ADAM), X, y)
    session = ort.InferenceSession(to_onnx(reg, X[:1]).SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    (variable,) = session.run(None, {session.get_inputs()[0].name: X})
    expected = reg.predict(X)
    assert np.abs(expected).min() > 10  # the un-scaling is in the graph
    assert_allclose(variable, expected, rtol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("name, dtype_name", [("array_api_strict", "float64"),
                                              ("array_api_strict", "float32"),
                                              ("torch", "float64")])
def test_array_api_equals_numpy(name, dtype_name):
    from tests.helpers.array_api import Namespace

    ns = Namespace(name, "cpu" if name == "torch" else None, dtype_name).load()
    X, y = _data(60, n_outputs=2)
    X, y = ns.host(X), ns.host(y)
    reference = _fit(LLayerRegressor((5,), **ADAM), X, y)
    with sklearn.config_context(array_api_dispatch=True):
        fitted = _fit(LLayerRegressor((5,), **ADAM), ns.put(X), ns.put(y))
        for name_ in ("y_offset_", "y_scale_"):
            ns.assert_lives_here(getattr(fitted, name_))
            ns.assert_close(getattr(fitted, name_), getattr(reference, name_))
        prediction = fitted.predict(ns.put(X))
        ns.assert_lives_here(prediction)
        ns.assert_close(prediction, reference.predict(X))
        _fit(fitted.set_params(warm_start=True), ns.put(X), ns.put(y))
        ns.assert_lives_here(fitted.y_scale_)
