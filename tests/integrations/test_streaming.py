"""Out-of-core training from HDF5 files (skdnn.streaming): h5py and NumPy only."""

import tracemalloc

import h5py
import numpy as np
import pytest
from tests.helpers.training import assert_same_model

from skdnn import LLayerClassifier, LLayerRegressor
from skdnn.streaming import iter_hdf5_chunks, partial_fit_hdf5
from tests.helpers.training import course


def _partial_fit_in_memory(estimator, X, y, chunk_rows, order, **kwargs):
    for i in order:
        rows = slice(i * chunk_rows, (i + 1) * chunk_rows)
        estimator.partial_fit(X[rows], y[rows], **kwargs)
    return estimator


@pytest.fixture(scope="module")
def blobs(tmp_path_factory):
    """A 3-class problem in memory and in an HDF5 file (stored by HDF5 chunks)."""
    rng = np.random.RandomState(0)
    X = rng.randn(1030, 6)
    y = np.digitize(X[:, 0] + X[:, 1] - X[:, 2], [-0.7, 0.7])
    w = rng.uniform(0.5, 2.0, len(y))
    path = tmp_path_factory.mktemp("h5") / "blobs.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("X", data=X, chunks=(100, 6))
        f.create_dataset("y", data=y)
        f.create_dataset("w", data=w)
        f.create_dataset("target", data=X[:, 0] - 2 * X[:, 3])
        f.create_dataset("short", data=y[:-1])
        f.create_group("group")
    return path, X, y, w


def test_iter_hdf5_chunks_reads_every_row_once_in_order(blobs):
    path, X, y, _ = blobs
    chunks = list(iter_hdf5_chunks(path, ("X", "y"), chunk_rows=100))
    assert [len(Xc) for Xc, _ in chunks] == [100] * 10 + [30]
    np.testing.assert_array_equal(np.concatenate([Xc for Xc, _ in chunks]), X)
    np.testing.assert_array_equal(np.concatenate([yc for _, yc in chunks]), y)
    # One key: the slices themselves, not 1-tuples.
    first = next(iter_hdf5_chunks(path, "y", chunk_rows=7))
    np.testing.assert_array_equal(first, y[:7])


def test_iter_hdf5_chunks_shuffled_order_is_a_seeded_permutation(blobs):
    path, X, _, _ = blobs
    chunks = list(iter_hdf5_chunks(path, "X", chunk_rows=100, shuffle_chunks=True,
                                   random_state=3))
    order = np.random.RandomState(3).permutation(11)
    assert not np.array_equal(order, np.arange(11))
    for chunk, i in zip(chunks, order, strict=True):
        np.testing.assert_array_equal(chunk, X[i * 100:(i + 1) * 100])


@pytest.mark.parametrize("batch_size", [None, 32])
def test_partial_fit_hdf5_equals_partial_fit_on_the_same_chunks(blobs, batch_size):
    path, X, y, _ = blobs
    params = dict(hidden_layer_sizes=(8, 4), solver="adam", learning_rate=0.01,
                  batch_size=batch_size, random_state=0)
    streamed = partial_fit_hdf5(LLayerClassifier(**course(**params)), path, "X", "y",
                                chunk_rows=100,
                                classes=[0, 1, 2], n_epochs=3)
    reference = LLayerClassifier(**course(**params))
    for _ in range(3):
        _partial_fit_in_memory(reference, X, y, 100, range(11), classes=[0, 1, 2])
    assert streamed.n_iter_ == 33
    assert_same_model(streamed, reference)
    np.testing.assert_array_equal(streamed.predict_proba(X), reference.predict_proba(X))
    # It learnt something: the 3 balanced classes well above chance (about 1/3).
    assert streamed.score(X, y) > 0.5


def test_partial_fit_hdf5_differs_from_a_single_in_memory_fit(blobs):
    # The chunking matters (one step per 100 rows, not one per 1030): the
    # equality above is not something any two trainings share.
    path, X, y, _ = blobs
    params = dict(hidden_layer_sizes=(8,), solver="adam", learning_rate=0.01, random_state=0)
    streamed = partial_fit_hdf5(LLayerClassifier(**course(**params)), path, "X", "y",
                                chunk_rows=100,
                                classes=[0, 1, 2])
    whole = LLayerClassifier(**course(**params)).partial_fit(X, y, classes=[0, 1, 2])
    assert not np.array_equal(streamed.parameters_["W1"], whole.parameters_["W1"])


def test_partial_fit_hdf5_shuffled_chunks_and_sample_weight(blobs):
    path, X, y, w = blobs
    params = dict(hidden_layer_sizes=(8,), solver="momentum", learning_rate=0.05,
                  random_state=1)
    streamed = partial_fit_hdf5(LLayerClassifier(**course(**params)), path, "X", "y",
                                chunk_rows=200,
                                classes=[0, 1, 2], n_epochs=2, sample_weight_key="w",
                                shuffle_chunks=True, random_state=7)
    rng = np.random.RandomState(7)
    reference = LLayerClassifier(**course(**params))
    for _ in range(2):  # a new order of the 6 slices every epoch
        order = rng.permutation(6)
        for i in order:
            rows = slice(i * 200, (i + 1) * 200)
            reference.partial_fit(X[rows], y[rows], classes=[0, 1, 2], sample_weight=w[rows])
    assert_same_model(streamed, reference)
    unweighted = partial_fit_hdf5(LLayerClassifier(**course(**params)), path, "X", "y",
                                  chunk_rows=200,
                                  classes=[0, 1, 2], n_epochs=2, shuffle_chunks=True,
                                  random_state=7)
    assert not np.array_equal(unweighted.parameters_["W1"], streamed.parameters_["W1"])


def test_partial_fit_hdf5_regressor_on_an_open_file_continues_training(blobs):
    path, X, _, _ = blobs
    target = X[:, 0] - 2 * X[:, 3]
    params = dict(hidden_layer_sizes=(8,), solver="adam", learning_rate=0.01, random_state=0)
    with h5py.File(path, "r") as f:
        streamed = LLayerRegressor(**course(**params))
        partial_fit_hdf5(streamed, f, "X", "target", chunk_rows=256)
        partial_fit_hdf5(streamed, f, "X", "target", chunk_rows=256)  # goes on from there
        assert f.id.valid  # an open file is left open
    reference = LLayerRegressor(**course(**params))
    for _ in range(2):
        _partial_fit_in_memory(reference, X, target, 256, range(5))
    assert streamed.n_iter_ == 10
    assert_same_model(streamed, reference)


def test_partial_fit_hdf5_images_are_flattened_then_transformed(tmp_path):
    # The course's layout: uint8 images (n, height, width, channels).
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(90, 4, 4, 3), dtype=np.uint8)
    labels = (images[:, :2].mean(axis=(1, 2, 3)) > images[:, 2:].mean(axis=(1, 2, 3)))
    labels = labels.astype(np.int64)
    path = tmp_path / "images.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("train_set_x", data=images)
        f.create_dataset("train_set_y", data=labels)
    params = dict(hidden_layer_sizes=(5,), solver="adam", learning_rate=0.01, random_state=2)
    streamed = partial_fit_hdf5(LLayerClassifier(**course(**params)), path, "train_set_x",
                                "train_set_y", chunk_rows=32, classes=[0, 1],
                                transform=lambda Xc: Xc / 255.0)
    X = images.reshape(90, -1) / 255.0
    reference = _partial_fit_in_memory(LLayerClassifier(**course(**params)), X, labels, 32,
                                       range(3),
                                       classes=[0, 1])
    assert streamed.n_features_in_ == 48
    assert_same_model(streamed, reference)


def test_partial_fit_hdf5_peak_memory_is_bounded_by_the_chunk(tmp_path):
    """A file 40 times the chunk: the peak stays a few chunks, far below the file."""
    rng = np.random.RandomState(0)
    n_rows, n_features, chunk_rows = 60_000, 20, 1500
    path = tmp_path / "big.h5"
    with h5py.File(path, "w") as f:
        dset = f.create_dataset("X", shape=(n_rows, n_features), dtype=np.float64)
        labels = f.create_dataset("y", shape=(n_rows,), dtype=np.int64)
        for start in range(0, n_rows, 10_000):  # written piecewise too
            block = rng.randn(10_000, n_features)
            dset[start:start + 10_000] = block
            labels[start:start + 10_000] = block[:, :3].sum(axis=1) > 0
    file_bytes = n_rows * n_features * 8
    chunk_bytes = chunk_rows * n_features * 8

    clf = LLayerClassifier(**course((16, 8), solver="adam", learning_rate=0.01, random_state=0))
    tracemalloc.start()
    try:
        partial_fit_hdf5(clf, path, "X", "y", chunk_rows=chunk_rows, classes=[0, 1])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert clf.n_iter_ == n_rows // chunk_rows
    assert peak < file_bytes / 4, (peak, file_bytes)
    assert peak < 10 * chunk_bytes, (peak, chunk_bytes)

    # The measure sees h5py's reads: loading the whole dataset peaks at its size.
    tracemalloc.start()
    try:
        with h5py.File(path, "r") as f:
            whole = f["X"][()]
        _, peak_whole = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_whole >= file_bytes

    # And the model is the in-memory one, chunk for chunk.
    with h5py.File(path, "r") as f:
        y = f["y"][()]
    reference = _partial_fit_in_memory(
        LLayerClassifier(**course((16, 8), solver="adam", learning_rate=0.01, random_state=0)),
        whole, y, chunk_rows, range(n_rows // chunk_rows), classes=[0, 1])
    assert_same_model(clf, reference)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"chunk_rows": 0}, ValueError, "chunk_rows must be a positive integer"),
    ({"chunk_rows": 2.5}, ValueError, "chunk_rows must be a positive integer"),
    ({"n_epochs": 0}, ValueError, "n_epochs must be a positive integer"),
    ({"y_key": "short"}, ValueError, "same number of rows"),
    ({"y_key": "missing"}, KeyError, "No dataset 'missing'"),
    ({"y_key": "group"}, ValueError, "not a dataset"),
    ({"transform": "scale"}, TypeError, "transform must be callable"),
    ({"shuffle_chunks": True, "random_state": "seed"}, ValueError, "cannot be used to seed"),
])
def test_partial_fit_hdf5_rejects_bad_arguments(blobs, kwargs, error, match):
    path = blobs[0]
    kwargs = {"X_key": "X", "y_key": "y", "classes": [0, 1, 2], **kwargs}
    clf = LLayerClassifier(**course((4,), random_state=0))
    with pytest.raises(error, match=match):
        partial_fit_hdf5(clf, path, **kwargs)
    assert not hasattr(clf, "parameters_")


def test_partial_fit_hdf5_needs_partial_fit_and_a_path_or_group(blobs):
    from sklearn.svm import SVC

    with pytest.raises(TypeError, match="has no partial_fit"):
        partial_fit_hdf5(SVC(), blobs[0], "X", "y")
    with pytest.raises(TypeError, match="source must be a path"):
        partial_fit_hdf5(LLayerClassifier(**course()), np.zeros((3, 2)), "X", "y")


def test_a_nan_in_the_file_names_its_slice(tmp_path):
    path = tmp_path / "nan.h5"
    X = np.random.RandomState(0).randn(100, 3)
    X[57, 1] = np.nan
    with h5py.File(path, "w") as f:
        f["X"], f["y"] = X, (X[:, 0] > 0).astype(int)
    with pytest.raises(ValueError, match=r"Rows 50 to 74 of \['X', 'y'\] in .*nan\.h5.*NaN"):
        partial_fit_hdf5(LLayerClassifier(**course((3,), solver="adam")), path, "X", "y",
                         chunk_rows=25, classes=[0, 1])


@pytest.mark.parametrize("Estimator, kwargs", [(LLayerClassifier, {"classes": [0, 1]}),
                                               (LLayerRegressor, {})])
def test_partial_fit_hdf5_on_empty_datasets_raises_as_fit_does(tmp_path, Estimator, kwargs):
    path = tmp_path / "empty.h5"
    with h5py.File(path, "w") as f:
        f["X"], f["y"] = np.zeros((0, 3)), np.zeros(0, dtype=int)
    with pytest.raises(ValueError, match="0 sample"):
        Estimator((3,)).fit(np.zeros((0, 3)), np.zeros(0, dtype=int))
    estimator = Estimator((3,), solver="adam")
    with pytest.raises(ValueError, match=r"\['X', 'y'\] in .*empty\.h5.* 0 rows"):
        partial_fit_hdf5(estimator, path, "X", "y", **kwargs)
    assert not hasattr(estimator, "parameters_")
    assert list(iter_hdf5_chunks(path, ("X", "y"))) == []  # reading 0 rows is no error


@pytest.mark.parametrize("dtype", [h5py.string_dtype(), "S"])
def test_partial_fit_hdf5_decodes_string_labels(blobs, tmp_path, dtype):
    # Variable-length UTF-8 strings (and NumPy's fixed-length bytes) read as bytes by h5py:
    # they are decoded, so the labels are the str that the same data in memory has.
    _, X, y, _ = blobs
    names = np.array(["chat", "chien", "wombat"] if dtype == "S" else ["chat", "chien", "hêtre"])
    labels = names[y]
    path = tmp_path / "strings.h5"
    with h5py.File(path, "w") as f:
        f["X"] = X
        if dtype == "S":
            f["y"] = labels.astype("S")
        else:
            f.create_dataset("y", data=labels.astype(object), dtype=dtype)
    params = dict(hidden_layer_sizes=(6,), solver="adam", learning_rate=0.01, random_state=0)
    streamed = partial_fit_hdf5(LLayerClassifier(**params), path, "X", "y", chunk_rows=300,
                                classes=list(names))
    reference = _partial_fit_in_memory(LLayerClassifier(**params), X, labels, 300, range(4),
                                       classes=list(names))
    assert_same_model(streamed, reference)
    np.testing.assert_array_equal(streamed.classes_, names)
    chunks = list(iter_hdf5_chunks(path, "y", chunk_rows=300))
    assert all(isinstance(label, str) for label in chunks[0])
    np.testing.assert_array_equal(np.concatenate(chunks), labels)


def test_partial_fit_hdf5_with_class_weight_on_class_sorted_data(blobs, tmp_path):
    # Each slice of a class-sorted file lacks classes named in class_weight: every slice
    # is weighed as fit would weigh it (classes missing from the dict weigh 1).
    _, X, y, _ = blobs
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    path = tmp_path / "sorted.h5"
    with h5py.File(path, "w") as f:
        f["X"], f["y"], f["w"] = X, y, np.where(y == 1, 3.0, np.where(y == 2, 0.5, 1.0))
    params = dict(hidden_layer_sizes=(6,), solver="adam", learning_rate=0.01, random_state=0)
    by_dict = partial_fit_hdf5(LLayerClassifier(class_weight={1: 3.0, 2: 0.5}, **params),
                               path, "X", "y", chunk_rows=200, classes=[0, 1, 2])
    by_sample = partial_fit_hdf5(LLayerClassifier(**params), path, "X", "y", chunk_rows=200,
                                 classes=[0, 1, 2], sample_weight_key="w")
    assert by_dict.n_iter_ == 6
    assert_same_model(by_dict, by_sample)
