"""skdnn.model_io: bit-identical round trips, interop, and every kind of bad file refused."""

import io
import json
import os
import pickle
import re
import tracemalloc

import h5py
import joblib
import numpy as np
import pytest
import safetensors.numpy
from tests.helpers.model_files import (CASES, SMALL, Y_BINARY, X, assert_same_predictions, fitted,
                                       hyper, read_file, rewrite, state, tensors)
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

import skdnn
from skdnn import LLayerClassifier, ModelFileError, load_model, save_model
from skdnn.model_io import FORMAT_VERSION
from tests.helpers.training import course


# The model-file helpers' 30-epoch fits exist to be saved and loaded: the
# end-of-fit warning or SciPy's iteration limit of some cases is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. lbfgs stopped after:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("case", CASES)
def test_round_trip_is_bit_identical(case, tmp_path):
    original, data = fitted(case)
    path = tmp_path / "model.safetensors"
    save_model(original, path)
    loaded = load_model(path)
    assert type(loaded) is type(original)
    assert_same_predictions(loaded, original, data)
    assert repr(loaded.get_params()) == repr(original.get_params())
    for name in ["n_features_in_", "n_layers_", "n_outputs_", "out_activation_", "n_iter_",
                 "t_", "loss_curve_", "best_loss_", "validation_scores_",
                 "best_validation_score_", "_no_improvement_count"]:
        assert getattr(loaded, name) == getattr(original, name), name
    if hasattr(original, "classes_"):
        np.testing.assert_array_equal(loaded.classes_, original.classes_, strict=True)
        assert vars(loaded._label_binarizer).keys() == vars(original._label_binarizer).keys()
        assert loaded._label_binarizer.y_type_ == original._label_binarizer.y_type_
    if hasattr(original, "feature_names_in_"):
        np.testing.assert_array_equal(loaded.feature_names_in_, original.feature_names_in_,
                                      strict=True)
    assert loaded.score(data, original.predict(data)) == 1.0


@pytest.mark.parametrize("case", ["binary", "string labels"])
def test_round_trip_through_a_file_object(case):
    original, data = fitted(case)
    buffer = io.BytesIO()
    save_model(original, buffer)
    assert_same_predictions(load_model(io.BytesIO(buffer.getvalue())), original, data)


# A few course epochs (or one) fit nothing: the model exists to be saved and
# loaded, so the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_loading_leaves_numpys_global_generator_alone(tmp_path):
    original = LLayerClassifier(**course((4,), max_iter=5)).fit(X, Y_BINARY)
    save_model(original, tmp_path / "model.safetensors")
    before = np.random.get_state()[1].copy()
    load_model(tmp_path / "model.safetensors")
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_joblib_round_trip_is_bit_identical(tmp_path):
    for case in ["multiclass", "float32"]:
        original, data = fitted(case)
        joblib.dump(original, tmp_path / "model.joblib")
        assert_same_predictions(joblib.load(tmp_path / "model.joblib"), original, data)
    # A loaded model pickles too.
    save_model(original, tmp_path / "model.safetensors")
    joblib.dump(load_model(tmp_path / "model.safetensors"), tmp_path / "loaded.joblib")
    assert_same_predictions(joblib.load(tmp_path / "loaded.joblib"), original, data)


def test_skops_round_trip_is_bit_identical():
    sio = pytest.importorskip("skops.io")
    original, data = fitted("string labels")
    dumped = sio.dumps(original)
    # skops refuses types it does not know until the caller vouches for them.
    loaded = sio.loads(dumped, trusted=sio.get_untrusted_types(data=dumped))
    assert_same_predictions(loaded, original, data)


# --- the file is plain safetensors ---

def test_weights_open_with_safetensors_numpy(tmp_path):
    original, _ = fitted("multiclass")
    save_model(original, tmp_path / "model.safetensors")
    tensors = safetensors.numpy.load_file(tmp_path / "model.safetensors")
    for name, W in original.parameters_.items():
        np.testing.assert_array_equal(tensors[name], W, strict=True)
    assert {"W1", "b1", "W3", "b3", "loss_curve_", "_optimizer.first_moments.W1",
            "_random_state.key"} <= set(tensors)


def test_weights_open_with_safetensors_torch(tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch

    original, _ = fitted("multiclass")
    save_model(original, tmp_path / "model.safetensors")
    tensors = safetensors.torch.load_file(tmp_path / "model.safetensors")
    for name, W in original.parameters_.items():
        assert torch.equal(tensors[name], torch.from_numpy(W))


# A few course epochs (or one) fit nothing: the model exists to be saved and
# loaded, so the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_a_20000_label_model_saves_and_loads_without_a_labels_squared_array(tmp_path):
    rng = np.random.RandomState(0)
    Y = (rng.uniform(size=(30, 20_000)) < 0.5).astype(int)
    original = LLayerClassifier(**course((4,), max_iter=1, random_state=0)).fit(X[:30], Y)
    tracemalloc.start()
    try:
        save_model(original, tmp_path / "model.safetensors")
        loaded = load_model(tmp_path / "model.safetensors")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # np.eye(20000) would be 3.2 GB (400 MB as bools); the model is under 1 MB.
    assert peak < 64 * 2**20
    assert_same_predictions(loaded, original, X[:30])


# --- saving refuses what it cannot store faithfully ---

def test_save_unfitted_raises_not_fitted(tmp_path):
    with pytest.raises(NotFittedError):
        save_model(LLayerClassifier(**course()), tmp_path / "model.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_save_other_estimator_raises_type_error(tmp_path):
    with pytest.raises(TypeError, match="LLayerClassifier and LLayerRegressor"):
        save_model(LogisticRegression().fit(X, Y_BINARY), tmp_path / "model.safetensors")


# A few course epochs (or one) fit nothing: the model exists to be saved and
# loaded, so the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_save_random_state_instance_stores_none(tmp_path):
    original = LLayerClassifier(**course((4,), max_iter=5, random_state=np.random.RandomState(0)))
    original.fit(X, Y_BINARY)
    with pytest.warns(UserWarning, match="random_state=None is saved instead"):
        save_model(original, tmp_path / "model.safetensors")
    loaded = load_model(tmp_path / "model.safetensors")
    assert loaded.random_state is None
    assert_same_predictions(loaded, original, X)


def test_save_inconsistent_estimator_raises(tmp_path):
    original, _ = fitted("binary")
    original.set_params(hidden_layer_sizes=(4, 4))
    with pytest.raises(ValueError, match="cannot be saved.*n_layers_ is 3"):
        save_model(original, tmp_path / "model.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_save_unstorable_hyperparameter_raises(tmp_path):
    original, _ = fitted("binary")
    original.set_params(class_weight={0: 1.0, 1: object()})
    with pytest.raises(ValueError, match="class_weight.*cannot be stored"):
        save_model(original, tmp_path / "model.safetensors")


# --- loading refuses every damaged, crafted or foreign file, naming the file ---



def metadata(change):
    return lambda metadata, hyper, state, tensors: change(metadata)


# name: (fitted case, change, rehash, message the ModelFileError must match)
CORRUPTIONS = {
    "changed weight, checksum not updated": (
        "binary", tensors(lambda t: t["W1"].__setitem__((0, 0), 0.5)), False,
        "SHA-256 checksum does not match"),
    "wrong shape": ("binary", tensors(lambda t: t.update(W1=np.zeros((4, 6)))), True,
                    r"W1 has shape \(4, 6\), expected \(4, 5\)"),
    "NaN weight": ("binary", tensors(lambda t: t["W1"].__setitem__((0, 0), np.nan)), True,
                   "W1 holds non-finite values"),
    "infinite bias": ("binary", tensors(lambda t: t["b1"].__setitem__((1, 0), np.inf)), True,
                      "b1 holds non-finite values"),
    "integer weights": ("binary", tensors(lambda t: t.update(W2=np.zeros((1, 4), int))), True,
                        "W2 has dtype int64"),
    "mixed float dtypes": ("binary", tensors(lambda t: t.update(b2=np.zeros((1, 1),
                                                                            np.float32))),
                           True, "b2 has dtype float32"),
    "extra layer": ("binary", tensors(lambda t: t.update(W3=np.zeros((1, 1)))), True,
                    r"unexpected arrays \['W3'\]"),
    "missing weight": ("binary", tensors(lambda t: t.pop("b2")), True,
                       "the array 'b2' is missing"),
    "missing classes": ("binary", tensors(lambda t: t.pop("classes_")), True,
                        "the array 'classes_' is missing"),
    "unknown estimator type": ("binary", metadata(lambda m: m.update(estimator="MLP")), True,
                               "unknown estimator type 'MLP'"),
    "extra metadata key": ("binary", metadata(lambda m: m.update(pickle="x")), True,
                           "exactly the keys"),
    "unknown hyperparameter": ("binary", hyper(lambda h: h.update(n_heads=8)), True,
                               r"unknown: \['n_heads'\]"),
    "missing hyperparameter": ("binary", hyper(lambda h: h.pop("alpha")), True,
                               r"missing: \['alpha'\]"),
    "negative learning rate": ("binary", hyper(lambda h: h.update(learning_rate=-1.0)), True,
                               "bad hyperparameter value.*learning_rate"),
    "huge activation string": ("binary", hyper(lambda h: h.update(activation="x" * 10**6)),
                               True, "bad hyperparameter value.*activation"),
    "more hidden layers than weights": (
        "binary", hyper(lambda h: h.update(hidden_layer_sizes={"__tuple__": [4, 4]})), True,
        "n_layers_ is 3 but hidden_layer_sizes makes 4 layers"),
    "a billion hidden units": ("binary", hyper(lambda h: h.update(
        hidden_layer_sizes={"__tuple__": [10**9]})), True,
        r"W1 has shape \(4, 5\), expected \(1000000000, 5\)"),
    "foreign JSON object": ("binary", hyper(lambda h: h.update(tol={"py/object": "os"})),
                            True, "unexpected JSON object"),
    "deeply nested JSON": ("binary", metadata(lambda m: m.update(
        hyperparameters='{"tol": ' + "[" * 100_000 + "]" * 100_000 + "}")), True,
        "RecursionError"),
    "newer format version": ("binary", metadata(lambda m: m.update(
        format_version=str(FORMAT_VERSION + 1))), True, "written by a newer skdnn.*upgrade"),
    "format version not an integer": ("binary", metadata(lambda m: m.update(
        format_version="1.0")), True, "format_version is not a positive integer"),
    "not an skdnn file": ("binary", metadata(lambda m: m.pop("format")), True,
                          "no 'format' equal to 'skdnn-model'"),
    "bad fitted-state JSON": ("binary", metadata(lambda m: m.update(fitted_state="{oops")),
                              True, "Expecting property name"),
    "NaN in JSON": ("binary", metadata(lambda m: m.update(fitted_state=m["fitted_state"].replace(
        '"best_loss_": ', '"best_loss_": NaN, "x": '))), True, "NaN is not valid JSON"),
    "int of 5000 digits": ("binary", metadata(lambda m: m.update(fitted_state=re.sub(
        r'"t_": \d+', '"t_": ' + "9" * 5000, m["fitted_state"]))), True,
        "the integer '9999.* is outside int64"),
    "a bool for a count": ("binary", state(lambda s: s.update(n_iter_=True)), True,
                           "n_iter_ must be an integer from 0 to 2..53 - 1"),
    "unknown fitted attribute": ("binary", state(lambda s: s.update(coefs_=1)), True,
                                 r"unknown: \['coefs_'\]"),
    "missing fitted attribute": ("binary", state(lambda s: s.pop("n_iter_")), True,
                                 "the fitted state has no n_iter_"),
    "n_features_in_ not matching W1": ("binary", state(lambda s: s.update(n_features_in_=6)),
                                       True, r"W1 has shape \(4, 5\), expected \(4, 6\)"),
    "loss curve of another length": ("binary", state(lambda s: s.update(loss_curve_=3)), True,
                                     r"loss_curve_ has shape \(30,\), expected \(3,\)"),
    "outputs not matching the classes": (
        "binary", state(lambda s: s["_label_binarizer"].update(y_type_="multiclass")), True,
        "2 classes of dtype int64 are not the classes of a multiclass target"),
    "binary classes, softmax output": ("binary", state(lambda s: s.update(
        out_activation_="softmax")), True, "has 1 sigmoid outputs, not 1 softmax"),
    "unsorted classes": ("binary", tensors(lambda t: t.update(classes_=np.array([1, 0]))),
                         True, "classes_ must be sorted and distinct"),
    "complex classes": ("binary", tensors(lambda t: t.update(
        classes_=np.array([0, 1], np.complex64))), True, "tensor 'classes_' has dtype 'C64'"),
    "multilabel classes not arange": (
        "multilabel", tensors(lambda t: t.update(classes_=np.array([0, 1, 5]))), True,
        "not the classes of a multilabel-indicator target"),
    "string labels of another type": ("string labels", state(lambda s: s.update(
        classes_=["cat", 1, "dog"])), True, "classes_ must be a list of strings"),
    "1-D regressor with 2 outputs": ("regressor multi-output", state(lambda s: s.update(
        _y_ndim=1)), True, "a regressor of 1-D targets"),
    "feature names of another count": (
        "feature names, class_weight, early stopping",
        state(lambda s: s.update(feature_names_in_=["a"])), True,
        "feature_names_in_ must be a list of 5 strings"),
    "moments of another shape": ("multiclass", tensors(lambda t: t.update(
        {"_optimizer.first_moments.W1": np.zeros((4, 4))})), True,
        r"_optimizer.first_moments.W1 has shape \(4, 4\), expected \(4, 5\)"),
    "optimiser state of another solver": ("multiclass", state(lambda s: s.update(
        _optimizer={"velocities": [], "_velocity_rate": 0.1})), True,
        "_optimizer must be null or hold exactly"),
    "negative step count": ("multiclass", state(lambda s: s["_optimizer"].update(t=-1)), True,
                            "_optimizer.t must be an integer from 0"),
    "random key of another dtype": ("binary", tensors(lambda t: t.update(
        {"_random_state.key": t["_random_state.key"].astype(np.int64)})), True,
        "_random_state.key has dtype int64"),
    "a fitted attribute twice": ("binary", metadata(lambda m: m.update(
        fitted_state='{"n_iter_": 5, ' + m["fitted_state"][1:])), True,
        "the key 'n_iter_' appears twice"),
    "a hyperparameter twice": ("binary", metadata(lambda m: m.update(
        hyperparameters='{"max_iter": 5, ' + m["hyperparameters"][1:])), True,
        "the key 'max_iter' appears twice"),
    "a class weight twice": ("binary", hyper(lambda h: h.update(
        class_weight={"__dict__": [[0, 1.0], [0, 2.0]]})), True, "dict has a key twice"),
    "learning rate of 401 digits": ("binary", hyper(lambda h: h.update(learning_rate=10**400)),
                                    True, "the integer '1000.* is outside int64"),
    "pickle in a tensor": ("binary", tensors(lambda t: t.update(
        estimator_pickle=np.frombuffer(pickle.dumps({"W1": 1}), np.uint8).copy())), True,
        r"unexpected arrays \['estimator_pickle'\]"),
}


# The model-file helpers' 30-epoch fits exist to be saved and loaded: the
# end-of-fit warning or SciPy's iteration limit of some cases is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. lbfgs stopped after:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_load_refuses_corrupted_file(corruption, tmp_path):
    case, change, rehash, message = CORRUPTIONS[corruption]
    path = tmp_path / "model.safetensors"
    save_model(fitted(case)[0], path)
    rewrite(path, change, rehash)
    with pytest.raises(ModelFileError, match=message) as raised:
        load_model(path)
    assert str(path) in str(raised.value)
    assert len(str(raised.value)) < 600


@pytest.mark.parametrize("content", [b"", b"W1,b1\n0.5,0.1\n", pickle.dumps({"W1": 1}),
                                     b"\x08\0\0\0\0\0\0\0{}      ", b"\x02\0\0\0\0\0\0\0{}"])
def test_load_refuses_a_file_that_is_not_a_model(content, tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match="is not a valid skdnn model file") as raised:
        load_model(path)
    assert repr(str(path)) in str(raised.value)


def test_load_refuses_an_hdf5_file(tmp_path):
    path = tmp_path / "model.h5"
    with h5py.File(path, "w") as f:
        f["W1"] = np.zeros((4, 5))
    with pytest.raises(ModelFileError, match="header length field says"):
        load_model(path)


def test_load_refuses_a_plain_safetensors_file(tmp_path):
    path = tmp_path / "weights.safetensors"
    safetensors.numpy.save_file({"W1": np.zeros((4, 5))}, path, metadata={"x": "y"})
    with pytest.raises(ModelFileError, match="not written by skdnn.save_model"):
        load_model(path)


def test_load_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "absent.safetensors")


def test_load_refuses_a_folder_and_a_device(tmp_path):
    with pytest.raises(ModelFileError, match="not a regular file"):
        load_model(tmp_path)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo")  # opening it would wait for a writer
        with pytest.raises(ModelFileError, match="not a regular file"):
            load_model(tmp_path / "fifo")


def test_model_file_error_is_a_value_error_exported_by_skdnn():
    assert issubclass(ModelFileError, ValueError)
    assert "ModelFileError" in skdnn.__all__


def test_loading_never_calls_pickle(tmp_path, monkeypatch):
    original, _ = fitted("binary")
    save_model(original, tmp_path / "model.safetensors")

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    for name in ["load", "loads", "Unpickler"]:
        monkeypatch.setattr(pickle, name, refuse)
    assert_same_predictions(load_model(tmp_path / "model.safetensors"), original, X)


def test_the_file_holds_the_documented_metadata(tmp_path):
    original = LLayerClassifier(**course(**SMALL)).fit(X, Y_BINARY)
    save_model(original, tmp_path / "model.safetensors")
    metadata, _ = read_file(tmp_path / "model.safetensors")
    assert metadata["format"] == "skdnn-model"
    assert metadata["estimator"] == "LLayerClassifier"
    assert metadata["skdnn_version"] == skdnn.__version__
    assert json.loads(metadata["hyperparameters"])["max_iter"] == 30
    assert json.loads(metadata["fitted_state"])["n_iter_"] == 30
    assert len(metadata["sha256"]) == 64
