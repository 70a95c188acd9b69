"""skdnn.model_io: bit-identical round trips, and every kind of bad file refused."""

import io
import json
import pickle
import re

import h5py
import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from skdnn import LLayerClassifier, LLayerRegressor
from skdnn.model_io import FORMAT_VERSION, load_model, save_model

X, Y_MULTICLASS = make_classification(60, 5, n_informative=4, n_redundant=0, n_classes=3,
                                      random_state=0)
Y_BINARY = Y_MULTICLASS % 2
Y_MULTILABEL = make_multilabel_classification(60, 5, n_classes=3, random_state=0)[1]
Y_REGRESSION = np.c_[X[:, 0] - X[:, 1], X[:, 2] * X[:, 3]]
SMALL = {"hidden_layer_sizes": (4,), "max_iter": 30, "random_state": 0}


def fitted(case):
    """A small estimator fitted for ``case``, and the data it was fitted on."""
    if case == "binary":
        return LLayerClassifier(**SMALL).fit(X, Y_BINARY), X
    if case == "multiclass":
        est = LLayerClassifier((4, 3), solver="adam", learning_rate=0.01, max_iter=30,
                               random_state=0)
        return est.fit(X, Y_MULTICLASS), X
    if case == "string labels":
        labels = np.array(["cat", "dog", "non-cat"])[Y_MULTICLASS]
        return LLayerClassifier(**SMALL).fit(X, labels), X
    if case == "multilabel":
        return LLayerClassifier(**{**SMALL, "solver": "lbfgs"}).fit(X, Y_MULTILABEL), X
    if case == "regressor":
        return LLayerRegressor(**SMALL).fit(X, Y_REGRESSION[:, 0]), X
    if case == "regressor multi-output":
        est = LLayerRegressor([3, 3], activation=["tanh", "relu"], solver="momentum",
                              learning_rate=0.01, max_iter=30, random_state=0)
        return est.fit(X, Y_REGRESSION), X
    if case == "float32":
        X32 = X.astype(np.float32)
        return LLayerClassifier(**SMALL).fit(X32, Y_BINARY), X32
    if case == "feature names, class_weight, early stopping":
        pd = pytest.importorskip("pandas")
        frame = pd.DataFrame(X, columns=[f"pixel {i}" for i in range(X.shape[1])])
        est = LLayerClassifier(np.array([4, 2]), class_weight={0: 1.0, 1: 2.5, 2: 1.0},
                               dropout=[0.1, 0.0], early_stopping=True, tol=1e-4,
                               max_iter=30, random_state=0)
        return est.fit(frame, Y_MULTICLASS), frame
    raise ValueError(case)


CASES = ["binary", "multiclass", "string labels", "multilabel", "regressor",
         "regressor multi-output", "float32", "feature names, class_weight, early stopping"]


def assert_same_predictions(loaded, original, data):
    """Predictions, probabilities and scores equal bit for bit, dtypes included."""
    methods = ["predict", "predict_proba"] if hasattr(original, "classes_") else ["predict"]
    for method in methods:
        expected, got = getattr(original, method)(data), getattr(loaded, method)(data)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected, strict=True)
    for key, W in original.parameters_.items():
        assert loaded.parameters_[key].dtype == W.dtype
        assert loaded.parameters_[key].tobytes() == W.tobytes()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("case", CASES)
def test_round_trip_is_bit_identical(case, tmp_path):
    original, data = fitted(case)
    path = tmp_path / "model.h5"
    save_model(original, path)
    loaded = load_model(path)
    assert type(loaded) is type(original)
    assert_same_predictions(loaded, original, data)
    assert repr(loaded.get_params()) == repr(original.get_params())
    for name in ["n_features_in_", "n_layers_", "n_outputs_", "out_activation_", "n_iter_",
                 "t_", "loss_curve_", "best_loss_", "validation_scores_",
                 "best_validation_score_"]:
        assert getattr(loaded, name) == getattr(original, name), name
    if hasattr(original, "classes_"):
        assert loaded.classes_.dtype == original.classes_.dtype
        np.testing.assert_array_equal(loaded.classes_, original.classes_)
        assert loaded._label_binarizer.y_type_ == original._label_binarizer.y_type_
    if hasattr(original, "feature_names_in_"):
        np.testing.assert_array_equal(loaded.feature_names_in_, original.feature_names_in_,
                                      strict=True)
    assert loaded.score(data, original.predict(data)) == 1.0


def test_round_trip_through_a_file_object():
    original, _ = fitted("binary")
    buffer = io.BytesIO()
    save_model(original, buffer)
    assert_same_predictions(load_model(io.BytesIO(buffer.getvalue())), original, X)


@pytest.mark.parametrize("case", ["binary", "regressor multi-output"])
def test_loaded_model_keeps_training(case, tmp_path):
    original, data = fitted(case)
    save_model(original, tmp_path / "model.h5")
    loaded = load_model(tmp_path / "model.h5")
    y = Y_BINARY if case == "binary" else Y_REGRESSION
    loaded.partial_fit(data, y)
    assert loaded.n_iter_ == original.n_iter_ + 1
    assert len(loaded.loss_curve_) == len(original.loss_curve_) + 1
    assert not np.array_equal(loaded.parameters_["W1"], original.parameters_["W1"])


def test_loading_leaves_numpys_global_generator_alone(tmp_path):
    # random_state=None would make the loader's set-up draw from the global generator.
    original = LLayerClassifier((4,), max_iter=5).fit(X, Y_BINARY)
    save_model(original, tmp_path / "model.h5")
    before = np.random.get_state()[1].copy()
    load_model(tmp_path / "model.h5")
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_joblib_round_trip_is_bit_identical(tmp_path):
    for case in ["multiclass", "float32"]:
        original, data = fitted(case)
        joblib.dump(original, tmp_path / "model.joblib")
        assert_same_predictions(joblib.load(tmp_path / "model.joblib"), original, data)


def test_skops_round_trip_is_bit_identical():
    sio = pytest.importorskip("skops.io")
    original, data = fitted("string labels")
    dumped = sio.dumps(original)
    # skops refuses types it does not know until the caller vouches for them.
    loaded = sio.loads(dumped, trusted=sio.get_untrusted_types(data=dumped))
    assert_same_predictions(loaded, original, data)


# --- saving refuses what it cannot store faithfully ---

def test_save_unfitted_raises_not_fitted(tmp_path):
    with pytest.raises(NotFittedError):
        save_model(LLayerClassifier(), tmp_path / "model.h5")
    assert not (tmp_path / "model.h5").exists()


def test_save_other_estimator_raises_type_error(tmp_path):
    with pytest.raises(TypeError, match="LLayerClassifier and LLayerRegressor"):
        save_model(LogisticRegression().fit(X, Y_BINARY), tmp_path / "model.h5")


def test_save_random_state_instance_stores_none(tmp_path):
    original = LLayerClassifier((4,), max_iter=5, random_state=np.random.RandomState(0))
    original.fit(X, Y_BINARY)
    with pytest.warns(UserWarning, match="random_state=None is saved instead"):
        save_model(original, tmp_path / "model.h5")
    loaded = load_model(tmp_path / "model.h5")
    assert loaded.random_state is None
    assert_same_predictions(loaded, original, X)


def test_save_inconsistent_estimator_raises_and_removes_file(tmp_path):
    original, _ = fitted("binary")
    original.set_params(hidden_layer_sizes=(4, 4))
    with pytest.raises(ValueError, match="cannot be saved.*n_layers_ is 3"):
        save_model(original, tmp_path / "model.h5")
    assert not (tmp_path / "model.h5").exists()


def test_save_unstorable_hyperparameter_raises(tmp_path):
    original, _ = fitted("binary")
    original.set_params(class_weight={0: 1.0, 1: object()})
    with pytest.raises(ValueError, match="class_weight.*cannot be stored"):
        save_model(original, tmp_path / "model.h5")


# --- loading refuses every damaged or foreign file, naming the file ---

def edit_json(f, attribute, change):
    data = json.loads(f.attrs[attribute])
    change(data)
    f.attrs[attribute] = json.dumps(data)


def replace(f, name, value):
    del f[name]
    f[name] = value


CORRUPTIONS = {
    "wrong shape": (lambda f: replace(f, "parameters/W1", np.zeros((4, 6))),
                    r"parameters/W1 has shape \(4, 6\), expected \(4, 5\)"),
    "NaN weight": (lambda f: f["parameters/W1"].__setitem__((0, 0), np.nan), "non-finite"),
    "infinite bias": (lambda f: f["parameters/b1"].__setitem__((1, 0), np.inf), "non-finite"),
    "integer weights": (lambda f: replace(f, "parameters/W2", np.zeros((1, 4), dtype=int)),
                        "expected float32 or float64"),
    "mixed float dtypes": (lambda f: replace(f, "parameters/b2", np.zeros((1, 1), np.float32)),
                           "mix dtypes"),
    "extra layer": (lambda f: f.create_dataset("parameters/W3", data=np.zeros((1, 1))),
                    "parameters must be exactly"),
    "missing dataset": (lambda f: f.__delitem__("parameters/b2"), "parameters must be exactly"),
    "missing classes": (lambda f: f.__delitem__("classes"), "missing dataset 'classes'"),
    "missing loss curve": (lambda f: f.__delitem__("loss_curve"), "missing dataset 'loss_curve'"),
    "unknown estimator type": (lambda f: f.attrs.__setitem__("estimator", "MLPClassifier"),
                               "unknown estimator type 'MLPClassifier'"),
    "unknown hyperparameter": (lambda f: edit_json(f, "hyperparameters",
                                                   lambda d: d.update(n_heads=8)),
                               r"unknown: \['n_heads'\]"),
    "missing hyperparameter": (lambda f: edit_json(f, "hyperparameters",
                                                   lambda d: d.pop("alpha")),
                               r"missing: \['alpha'\]"),
    "negative learning rate": (lambda f: edit_json(f, "hyperparameters",
                                                   lambda d: d.update(learning_rate=-1.0)),
                               "bad hyperparameter value.*learning_rate"),
    "unknown activation": (lambda f: edit_json(f, "hyperparameters",
                                               lambda d: d.update(activation="swish")),
                           "bad hyperparameter value.*activation"),
    "more hidden layers than weights": (
        lambda f: edit_json(f, "hyperparameters",
                            lambda d: d.update(hidden_layer_sizes={"__tuple__": [4, 4]})),
        "n_layers_ is 3 but hidden_layer_sizes"),
    "foreign JSON object": (lambda f: edit_json(f, "hyperparameters",
                                                lambda d: d.update(tol={"py/object": "os"})),
                            "cannot be decoded"),
    "newer format version": (lambda f: f.attrs.__setitem__("format_version",
                                                           FORMAT_VERSION + 1),
                             "written by a newer skdnn.*upgrade skdnn"),
    "format version not an integer": (lambda f: f.attrs.__setitem__("format_version", "1"),
                                      "format_version is '1'"),
    "not a model file": (lambda f: f.attrs.__delitem__("format"), "not written by skdnn"),
    "bad fitted-state JSON": (lambda f: f.attrs.__setitem__("fitted_state", "{oops"),
                              "not valid JSON"),
    "n_features_in_ not matching W1": (
        lambda f: edit_json(f, "fitted_state", lambda d: d.update(n_features_in_=6)),
        r"W1 has shape \(4, 5\), expected \(4, 6\)"),
    "outputs not matching the classes": (
        lambda f: edit_json(f, "fitted_state", lambda d: d.update(y_type="multiclass")),
        "multiclass classifier with 2 classes"),
    "unsorted classes": (lambda f: replace(f, "classes", np.array([1, 0])),
                         "not the sorted distinct labels"),
    "classes of an opaque type": (lambda f: replace(f, "classes", np.void(b"xx" * 2)),
                                  "expected 1-D numbers"),
    "unexpected dataset": (lambda f: f.create_dataset("extra", data=[1.0]),
                           r"unexpected entries \['extra'\]"),
    "soft link": (lambda f: (f.__delitem__("loss_curve"),
                             f.__setitem__("loss_curve", h5py.SoftLink("/parameters/b2"))),
                  "is a link to somewhere else"),
    "external link": (lambda f: (f.__delitem__("loss_curve"),
                                 f.__setitem__("loss_curve", h5py.ExternalLink("o.h5", "/x"))),
                      "is a link to somewhere else"),
}


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.h5"
    save_model(fitted("binary")[0], path)
    return path


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_load_refuses_corrupted_file(corruption, model_file):
    damage, message = CORRUPTIONS[corruption]
    load_model(model_file)  # intact before the damage
    with h5py.File(model_file, "r+") as f:
        damage(f)
    with pytest.raises(ValueError, match=message) as raised:
        load_model(model_file)
    assert str(model_file) in str(raised.value)


@pytest.mark.parametrize("content", [b"", b"W1,b1\n0.5,0.1\n", pickle.dumps({"W1": 1})])
def test_load_refuses_a_file_that_is_not_hdf5(content, tmp_path):
    path = tmp_path / "model.h5"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(f"{str(path)!r} is not an HDF5 file")):
        load_model(path)


def test_load_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "absent.h5")


# --- loading never unpickles ---

class _LeavesAMark:
    """Unpickling this creates a file: the trace that pickled code ran."""

    def __init__(self, mark):
        self.mark = str(mark)

    def __reduce__(self):
        return open, (self.mark, "w")


def test_loading_never_calls_pickle(model_file, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    for name in ["load", "loads", "Unpickler"]:
        monkeypatch.setattr(pickle, name, refuse)
    assert_same_predictions(load_model(model_file), fitted("binary")[0], X)


@pytest.mark.parametrize("where", ["attribute", "dataset", "weights"])
def test_pickled_payload_is_refused_and_never_run(where, model_file, tmp_path):
    mark = tmp_path / "payload-ran"
    payload = np.void(pickle.dumps(_LeavesAMark(mark)))
    # The payload is live: unpickling it would leave the mark.
    pickle.loads(payload.tobytes()).close()
    assert mark.exists()
    mark.unlink()
    with h5py.File(model_file, "r+") as f:
        if where == "attribute":
            f.attrs["estimator_pickle"] = payload
        elif where == "dataset":
            f["estimator_pickle"] = payload
        else:
            replace(f, "parameters/W1", np.full((4, 5), payload))
    with pytest.raises(ValueError, match="unexpected entries|expected float32"):
        load_model(model_file)
    assert not mark.exists()
