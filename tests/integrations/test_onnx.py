"""ONNX export: onnxruntime on the converted graph gives skdnn's predictions.

Labels must equal ``predict``'s; probabilities and regression outputs must
match to 1e-5 in float32 and 1e-10 in float64.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")

import skdnn.onnx  # noqa: E402, F401  (registers the converters)
from skl2onnx import to_onnx  # noqa: E402

from skdnn import LLayerClassifier, LLayerRegressor  # noqa: E402
from tests.helpers.training import course

ROOT = Path(__file__).resolve().parents[2]
N_SAMPLES = 80
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}
HIDDEN_ACTIVATIONS = ["relu", "leaky_relu", "tanh", "sigmoid", "identity", "elu", "selu", "gelu",
                      "silu", "softplus"]


def _data(dtype, seed=0):
    # Off-centre, spread-out features: the hidden units see negative and positive
    # pre-activations, so every branch of an activation is exercised.
    rng = np.random.RandomState(seed)
    return (rng.randn(N_SAMPLES, 4) * 2 + 1).astype(dtype), rng


def _targets(kind, rng):
    if kind == "binary":
        return rng.randint(0, 2, N_SAMPLES)
    if kind == "binary_str":
        return np.array(["no", "yes"])[rng.randint(0, 2, N_SAMPLES)]
    if kind == "multiclass":
        return rng.randint(0, 4, N_SAMPLES) * 10 - 5
    if kind == "multiclass_str":
        return np.array(["cat", "dog", "fish"])[rng.randint(0, 3, N_SAMPLES)]
    if kind == "multilabel":
        return (rng.rand(N_SAMPLES, 3) > 0.5).astype(int)
    raise ValueError(kind)


def _classifier(activation="relu", hidden=(6, 5)):
    return LLayerClassifier(**course(hidden, activation=activation, solver="adam",
                                     learning_rate=0.05,
                            max_iter=30, random_state=0))


def _run(estimator, X, **to_onnx_kwargs):
    """Convert ``estimator`` with a sample of ``X`` and run it on ``X``; outputs by name."""
    onx = to_onnx(estimator, X[:1], **to_onnx_kwargs)
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, {session.get_inputs()[0].name: X})))


def _check_classifier(clf, X, outputs):
    np.testing.assert_array_equal(outputs["label"], clf.predict(X))
    proba = outputs["probabilities"]
    assert proba.dtype == X.dtype
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0,
                               atol=TOLERANCE[X.dtype.type])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["binary", "binary_str", "multiclass", "multiclass_str",
                                  "multilabel"])
def test_classifier_targets(kind, dtype):
    X, rng = _data(dtype)
    y = _targets(kind, rng)
    clf = _classifier().fit(X, y)
    outputs = _run(clf, X, options={"zipmap": False})
    _check_classifier(clf, X, outputs)
    # Not a constant prediction: labels equal for a reason.
    assert len(np.unique(outputs["label"], axis=0)) > 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", [*HIDDEN_ACTIVATIONS, ["tanh", "relu"],
                                        ["leaky_relu", "sigmoid"], ["gelu", "selu"]])
def test_classifier_activations(activation, dtype):
    X, rng = _data(dtype, seed=1)
    clf = _classifier(activation).fit(X, _targets("multiclass", rng))
    _check_classifier(clf, X, _run(clf, X, options={"zipmap": False}))


# y is noise, unrelated to X: the export is compared with predict, and a model
# no better than a constant (the end-of-fit warning) is what such data gives.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", [*HIDDEN_ACTIVATIONS, ["sigmoid", "leaky_relu"]])
@pytest.mark.parametrize("n_outputs", [None, 1, 3])
def test_regressor(n_outputs, activation, dtype):
    X, rng = _data(dtype, seed=2)
    y = rng.randn(N_SAMPLES) if n_outputs is None else rng.randn(N_SAMPLES, n_outputs)
    reg = LLayerRegressor(**course((6, 5), activation=activation, solver="adam",
                                   learning_rate=0.01,
                          max_iter=30, random_state=0)).fit(X, y)
    (variable,) = _run(reg, X).values()
    # skl2onnx's regressor convention: (n_samples, n_outputs), so (n_samples, 1) for 1-D y.
    assert variable.shape == (N_SAMPLES, n_outputs or 1)
    assert variable.dtype == X.dtype
    np.testing.assert_allclose(variable.reshape(np.shape(y)), reg.predict(X), rtol=0,
                               atol=TOLERANCE[dtype])


# y is noise, unrelated to X: the export is compared with predict, and a model
# no better than a constant (the end-of-fit warning) is what such data gives.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_poisson_regressor(dtype):
    X, rng = _data(dtype, seed=3)
    reg = LLayerRegressor(**course((6,), loss="poisson", solver="adam", learning_rate=0.01,
                          max_iter=30, random_state=0)).fit(X, rng.poisson(2.0, N_SAMPLES))
    (variable,) = _run(reg, X).values()
    np.testing.assert_allclose(variable.ravel(), reg.predict(X), rtol=TOLERANCE[dtype], atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["binary", "multiclass_str", "multilabel"])
def test_classifier_in_pipeline(kind, dtype):
    X, rng = _data(dtype, seed=3)
    X = X * 50 + 100  # only the scaler makes these inputs trainable
    pipe = Pipeline([("scale", StandardScaler()), ("net", _classifier())])
    pipe.fit(X, _targets(kind, rng))
    _check_classifier(pipe, X, _run(pipe, X, options={"zipmap": False}))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_regressor_in_pipeline(dtype):
    X, rng = _data(dtype, seed=4)
    X = X * 50 + 100
    y = rng.randn(N_SAMPLES, 2)
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", LLayerRegressor(**course((6,), solver="adam", learning_rate=0.01,
                                             max_iter=30, random_state=0)))]).fit(X, y)
    (variable,) = _run(pipe, X).values()
    np.testing.assert_allclose(variable, pipe.predict(X), rtol=0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("kind", ["binary", "multiclass_str", "multilabel"])
def test_zipmap(kind):
    X, rng = _data(np.float32, seed=5)
    clf = _classifier().fit(X, _targets(kind, rng))
    outputs = _run(clf, X)
    assert sorted(outputs) == ["output_label", "output_probability"]
    np.testing.assert_array_equal(outputs["output_label"], clf.predict(X))
    keys = range(3) if kind == "multilabel" else clf.classes_
    proba = np.array([[row[k] for k in keys] for row in outputs["output_probability"]])
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-5)


def test_zipmap_columns():
    X, rng = _data(np.float32, seed=6)
    clf = _classifier().fit(X, _targets("multiclass_str", rng))
    outputs = _run(clf, X, options={"zipmap": "columns"})
    np.testing.assert_array_equal(outputs["output_label"], clf.predict(X))
    proba = np.column_stack([outputs[f"s{c}"] for c in clf.classes_])
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-5)


@pytest.mark.parametrize("kind", ["binary_str", "multiclass"])
def test_nocl_gives_class_indices(kind):
    X, rng = _data(np.float32, seed=7)
    clf = _classifier().fit(X, _targets(kind, rng))
    outputs = _run(clf, X, options={"zipmap": False, "nocl": True})
    indices = np.searchsorted(clf.classes_, clf.predict(X))
    np.testing.assert_array_equal(outputs["label"], indices)
    np.testing.assert_allclose(outputs["probabilities"], clf.predict_proba(X), rtol=0,
                               atol=1e-5)


def test_integer_input_is_cast_to_float32():
    X, rng = _data(np.float32, seed=8)
    X = np.round(X).astype(np.int64)
    clf = _classifier().fit(X.astype(np.float32), _targets("multiclass", rng))
    outputs = _run(clf, X, options={"zipmap": False})
    assert outputs["probabilities"].dtype == np.float32
    _check_classifier(clf, X.astype(np.float32), outputs)


def test_float_labels_become_int64():
    X, rng = _data(np.float64, seed=9)
    clf = _classifier().fit(X, rng.randint(0, 3, N_SAMPLES).astype(np.float64))
    outputs = _run(clf, X, options={"zipmap": False})
    assert outputs["label"].dtype == np.int64
    _check_classifier(clf, X, outputs)


def test_import_skdnn_does_not_import_skl2onnx():
    code = ("import sys, skdnn; "
            "assert 'skl2onnx' not in sys.modules and 'onnxruntime' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# --- batch normalisation: the running statistics folded into each layer's W and b ---

BATCH_NORM_CASES = {"every hidden layer": True, "first hidden layer": [True, False],
                    "second hidden layer": [False, True]}


def _batch_norm(estimator, batch_norm):
    # Mini-batches of 16: the running statistics move away from their start
    # (means 0, variances 1), so that folding them in is exercised.
    return estimator.set_params(batch_norm=batch_norm, batch_size=16)


def _assert_statistics_moved(estimator):
    stats = estimator.running_stats_
    assert stats and all(not np.array_equal(v, np.zeros_like(v)) for k, v in stats.items()
                         if k.startswith("running_mean"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["binary", "multiclass_str", "multilabel"])
@pytest.mark.parametrize("layers", sorted(BATCH_NORM_CASES))
def test_batch_norm_classifier(layers, kind, dtype):
    X, rng = _data(dtype, seed=10)
    clf = _batch_norm(_classifier(), BATCH_NORM_CASES[layers]).fit(X, _targets(kind, rng))
    _assert_statistics_moved(clf)
    outputs = _run(clf, X, options={"zipmap": False})
    _check_classifier(clf, X, outputs)
    assert len(np.unique(outputs["label"], axis=0)) > 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", [*HIDDEN_ACTIVATIONS, ["gelu", "tanh"]])
def test_batch_norm_classifier_activations(activation, dtype):
    X, rng = _data(dtype, seed=11)
    clf = _batch_norm(_classifier(activation), [True, False]).fit(
        X, _targets("multiclass", rng))
    _check_classifier(clf, X, _run(clf, X, options={"zipmap": False}))


# y is noise, unrelated to X: the export is compared with predict, and a model
# no better than a constant (the end-of-fit warning) is what such data gives.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["relu", "gelu", "tanh", ["tanh", "relu"]])
@pytest.mark.parametrize("layers", sorted(BATCH_NORM_CASES))
@pytest.mark.parametrize("n_outputs", [None, 3])
def test_batch_norm_regressor(n_outputs, layers, activation, dtype):
    X, rng = _data(dtype, seed=12)
    y = rng.randn(N_SAMPLES) if n_outputs is None else rng.randn(N_SAMPLES, n_outputs)
    reg = _batch_norm(LLayerRegressor(**course((6, 5), activation=activation, solver="adam",
                                               learning_rate=0.01, max_iter=30,
                                               random_state=0)), BATCH_NORM_CASES[layers])
    reg.fit(X, y)
    _assert_statistics_moved(reg)
    (variable,) = _run(reg, X).values()
    assert variable.shape == (N_SAMPLES, n_outputs or 1) and variable.dtype == X.dtype
    np.testing.assert_allclose(variable.reshape(np.shape(y)), reg.predict(X), rtol=0,
                               atol=TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_in_pipeline_with_normalize_y(dtype):
    X, rng = _data(dtype, seed=13)
    X = X * 50 + 100
    y = rng.randn(N_SAMPLES, 2) * 30 + 7
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", LLayerRegressor(**course((6, 4), solver="adam",
                                                      learning_rate=0.01, max_iter=30,
                                                      random_state=0, batch_norm=True,
                                                      batch_size=16, normalize_y=True)))])
    pipe.fit(X, y)
    (variable,) = _run(pipe, X).values()
    np.testing.assert_allclose(variable, pipe.predict(X), rtol=TOLERANCE[dtype],
                               atol=TOLERANCE[dtype])
