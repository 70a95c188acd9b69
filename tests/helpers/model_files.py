"""Fitted estimators, comparisons and file surgery shared by the model-file tests."""

import json
import struct

import numpy as np
import pytest
import safetensors
import safetensors.numpy
from sklearn.datasets import make_classification, make_multilabel_classification

from skdnn import LLayerClassifier, LLayerRegressor, load_model, save_model
from skdnn.model_io import _digest
from tests.helpers.training import course

X, Y_MULTICLASS = make_classification(60, 5, n_informative=4, n_redundant=0, n_classes=3,
                                      random_state=0)
Y_BINARY = Y_MULTICLASS % 2
Y_MULTILABEL = make_multilabel_classification(60, 5, n_classes=3, random_state=0)[1]
Y_REGRESSION = np.c_[X[:, 0] - X[:, 1], X[:, 2] * X[:, 3]]
# learning_rate=0.3: the course's 0.0075 leaves 30 epochs no better than a
# constant (a ConvergenceWarning); the models fit, to be saved and loaded.
SMALL = {"hidden_layer_sizes": (4,), "learning_rate": 0.3, "max_iter": 30, "random_state": 0}

CASES = ["binary", "multiclass", "string labels", "multilabel", "regressor",
         "regressor multi-output", "float32", "feature names, class_weight, early stopping",
         "batch norm"]


def fitted(case):
    """A small estimator fitted for ``case``, and the data it was fitted on."""
    if case == "binary":
        return LLayerClassifier(**course(**SMALL)).fit(X, Y_BINARY), X
    if case == "multiclass":
        est = LLayerClassifier(**course((4, 3), solver="adam", learning_rate=0.01, max_iter=30,
                               random_state=0))
        return est.fit(X, Y_MULTICLASS), X
    if case == "string labels":
        labels = np.array(["cat", "dog", "non-cat"])[Y_MULTICLASS]
        return LLayerClassifier(**course(**SMALL)).fit(X, labels), X
    if case == "multilabel":
        return LLayerClassifier(**course(**{**SMALL, "solver": "lbfgs"})).fit(X, Y_MULTILABEL), X
    if case == "regressor":
        return LLayerRegressor(**course(**SMALL)).fit(X, Y_REGRESSION[:, 0]), X
    if case == "regressor multi-output":
        est = LLayerRegressor(**course([3, 3], activation=["tanh", "relu"], solver="momentum",
                              learning_rate=0.01, max_iter=30, random_state=0))
        return est.fit(X, Y_REGRESSION), X
    if case == "float32":
        X32 = X.astype(np.float32)
        return LLayerClassifier(**course(**SMALL)).fit(X32, Y_BINARY), X32
    if case == "feature names, class_weight, early stopping":
        pd = pytest.importorskip("pandas")
        frame = pd.DataFrame(X, columns=[f"pixel {i}" for i in range(X.shape[1])])
        est = LLayerClassifier(**course(np.array([4, 2]), class_weight={0: 1.0, 1: 2.5, 2: 1.0},
                               dropout=[0.1, 0.0], early_stopping=True, tol=1e-4,
                               max_iter=30, random_state=0))
        return est.fit(frame, Y_MULTICLASS), frame
    if case == "batch norm":  # the first hidden layer; mini-batches move its statistics
        est = LLayerClassifier(**course((4, 3), solver="adam", learning_rate=0.01,
                               batch_size=16, batch_norm=[True, False], max_iter=10,
                               random_state=0))
        return est.fit(X, Y_MULTICLASS), X
    raise ValueError(case)


def assert_same_statistics(loaded, original):
    """Batch norm's running statistics equal bit for bit, dtypes included."""
    assert list(loaded.running_stats_) == list(original.running_stats_)
    for key, value in original.running_stats_.items():
        assert loaded.running_stats_[key].dtype == value.dtype
        assert loaded.running_stats_[key].tobytes() == value.tobytes(), key


def assert_same_training(resumed, continued):
    """The state training goes on from equal bit for bit: network, optimiser's generator, counters."""
    assert list(resumed.parameters_) == list(continued.parameters_)
    for name, W in continued.parameters_.items():
        assert resumed.parameters_[name].tobytes() == W.tobytes(), name
    assert_same_statistics(resumed, continued)
    assert resumed.loss_curve_ == continued.loss_curve_
    for name in ["n_iter_", "t_", "best_loss_", "validation_scores_", "best_validation_score_",
                 "_no_improvement_count"]:
        assert getattr(resumed, name) == getattr(continued, name), name
    np.testing.assert_array_equal(resumed._random_state.get_state()[1],
                                  continued._random_state.get_state()[1])


def reloaded(estimator, tmp_path):
    """``estimator`` after a round trip through a model file."""
    save_model(estimator, tmp_path / "model.safetensors")
    return load_model(tmp_path / "model.safetensors")


def assert_same_predictions(loaded, original, data):
    """Predictions, probabilities, parameters and running statistics equal bit for bit,
    dtypes included."""
    methods = ["predict", "predict_proba"] if hasattr(original, "classes_") else ["predict"]
    for method in methods:
        expected, got = getattr(original, method)(data), getattr(loaded, method)(data)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected, strict=True)
    assert list(loaded.parameters_) == list(original.parameters_)
    for key, W in original.parameters_.items():
        assert loaded.parameters_[key].dtype == W.dtype
        assert loaded.parameters_[key].tobytes() == W.tobytes()
    assert_same_statistics(loaded, original)


def read_file(path):
    """The metadata and tensors of a safetensors file."""
    with safetensors.safe_open(path, framework="numpy") as f:
        return f.metadata(), {name: f.get_tensor(name) for name in f.keys()}


def rewrite(path, change, rehash=True):
    """Rewrite the model file at ``path`` after ``change(metadata, hyper, state, tensors)``.

    ``hyper`` and ``state`` are the decoded JSON of the metadata; ``change``
    edits the four in place. With ``rehash``, the checksum is made right again,
    as someone crafting a file would.
    """
    metadata, tensors = read_file(path)
    hyper = json.loads(metadata["hyperparameters"])
    state = json.loads(metadata["fitted_state"])
    original = dict(metadata)
    change(metadata, hyper, state, tensors)
    # Unless change wrote these texts itself, they are the edited JSON.
    for key, value in [("hyperparameters", hyper), ("fitted_state", state)]:
        if metadata.get(key) == original[key]:
            metadata[key] = json.dumps(value)
    if rehash:
        metadata["sha256"] = _digest(metadata, tensors)
    safetensors.numpy.save_file(tensors, path, metadata=metadata)


# What rewrite's change edits: one of the file's parts.

def hyper(change):
    """A ``rewrite`` change that edits the hyperparameters (a dict) with ``change``."""
    return lambda metadata, hyper, state, tensors: change(hyper)


def state(change):
    """A ``rewrite`` change that edits the fitted state (a dict) with ``change``."""
    return lambda metadata, hyper, state, tensors: change(state)


def tensors(change):
    """A ``rewrite`` change that edits the arrays (a dict) with ``change``."""
    return lambda metadata, hyper, state, tensors: change(tensors)


def split_file(content):
    """The header text and the tensor data of a safetensors file's bytes."""
    length = int.from_bytes(content[:8], "little")
    return content[8:8 + length].decode(), content[8 + length:]


def join_file(header, data):
    """A safetensors file's bytes from a header (a dict, or JSON text) and tensor data."""
    text = (json.dumps(header) if isinstance(header, dict) else header).encode()
    return struct.pack("<Q", len(text)) + text + data


def retyped(content, tensor, dtype, bits=8):
    """The file with ``tensor`` declared as ``dtype`` of ``bits`` per value, same bytes."""
    text, data = split_file(content)
    header = json.loads(text)
    begin, end = header[tensor]["data_offsets"]
    header[tensor] = {**header[tensor], "dtype": dtype, "shape": [(end - begin) * 8 // bits]}
    return join_file(header, data)


def with_repeated_key(content, key, value, inside=None):
    """The file with ``key`` given first ``value``, then its own value, in the header's JSON
    object (``inside=None``) or in its ``__metadata__``."""
    text, data = split_file(content)
    header = json.loads(text)
    target = header if inside is None else header[inside]
    members = [f"{json.dumps(key)}: {json.dumps(value)}",
               *(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in target.items())]
    target_text = "{" + ", ".join(members) + "}"
    if inside is None:
        return join_file(target_text, data)
    rest = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in header.items()
                     if k != inside)
    return join_file(f"{{{json.dumps(inside)}: {target_text}, {rest}}}", data)
