"""Out-of-core training: feed an HDF5 file to ``partial_fit`` one slice at a time.

A dataset larger than memory is never loaded whole: :func:`iter_hdf5_chunks`
reads ``chunk_rows`` rows of each HDF5 dataset at a time (h5py reads only the
requested hyperslab from disk), and :func:`partial_fit_hdf5` hands each slice
to the estimator's ``partial_fit``, one epoch over the file per pass. The peak
memory is that of one slice and what ``partial_fit`` allocates for it, however
large the file.

Only h5py, NumPy and scikit-learn are used: no dask, no cluster. The result is exactly that
of calling ``partial_fit`` on the same slices, in the same order, in memory.

Examples
--------
>>> import os, tempfile
>>> import h5py
>>> import numpy as np
>>> from skdnn import LLayerClassifier
>>> from skdnn.streaming import partial_fit_hdf5
>>> rng = np.random.RandomState(0)
>>> X = rng.randn(1000, 4)
>>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
>>> tmp = tempfile.TemporaryDirectory()
>>> path = os.path.join(tmp.name, "train.h5")
>>> with h5py.File(path, "w") as f:
...     _ = f.create_dataset("X", data=X)
...     _ = f.create_dataset("y", data=y)
>>> clf = LLayerClassifier((8,), solver="adam", learning_rate=0.01, random_state=0)
>>> clf = partial_fit_hdf5(clf, path, "X", "y", chunk_rows=100, classes=[0, 1],
...                        n_epochs=20)
>>> clf.n_iter_  # one partial_fit call per slice: 10 slices x 20 epochs
200
>>> clf.score(X, y) > 0.9
True
>>> tmp.cleanup()
"""

import os
from numbers import Integral

import h5py
from sklearn.utils import check_random_state

__all__ = ["iter_hdf5_chunks", "partial_fit_hdf5"]


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


class _Opened:
    """Context manager: open a path read-only, or use an open group as is."""

    def __init__(self, source):
        self.source = source
        self.file = None

    def __enter__(self):
        if isinstance(self.source, h5py.Group):
            return self.source
        if isinstance(self.source, (str, bytes, os.PathLike)):
            self.file = h5py.File(self.source, "r")
            return self.file
        raise TypeError("source must be a path to an HDF5 file or an open h5py.File or "
                        f"h5py.Group, got {type(self.source).__name__}.")

    def __exit__(self, *exc):
        if self.file is not None:
            self.file.close()
        return False


def _datasets(group, keys):
    datasets = []
    for key in keys:
        if key not in group:
            raise KeyError(f"No dataset {key!r} in {group.file.filename!r}{group.name}; "
                           f"it has {sorted(group.keys())}.")
        dataset = group[key]
        if not isinstance(dataset, h5py.Dataset):
            raise ValueError(f"{key!r} is a {type(dataset).__name__}, not a dataset.")
        if dataset.ndim == 0:
            raise ValueError(f"Dataset {key!r} is a scalar; expected one row per sample.")
        datasets.append(dataset)
    n_rows = {d.shape[0] for d in datasets}
    if len(n_rows) > 1:
        sizes = ", ".join(f"{k!r}: {d.shape[0]}" for k, d in zip(keys, datasets))
        raise ValueError(f"The datasets do not have the same number of rows ({sizes}).")
    return datasets


def iter_hdf5_chunks(source, keys, chunk_rows=4096, *, shuffle_chunks=False,
                     random_state=None):
    """Read HDF5 datasets ``chunk_rows`` rows at a time.

    Only one slice of each dataset is in memory at a time: slice ``i`` is
    ``dataset[i * chunk_rows:(i + 1) * chunk_rows]``, read straight from the
    file by h5py; the last slice may be shorter.

    Parameters
    ----------
    source : str, path-like, h5py.File or h5py.Group
        A path (opened read-only, and closed when the iteration ends) or an
        open file or group (left open).
    keys : str or sequence of str
        Names of the datasets in ``source``, e.g. ``("X", "y")``. They must
        have the same number of rows (length of their first axis).
    chunk_rows : int, default=4096
        Number of rows read at a time. Choose a multiple of the datasets'
        HDF5 chunk length along the first axis, if they are chunked, so that
        no HDF5 chunk is read (and decompressed) twice.
    shuffle_chunks : bool, default=False
        Visit the slices in a random order (the rows inside a slice keep
        their order). ``False`` reads the file front to back.
    random_state : int, numpy.random.RandomState or None, default=None
        Draws the order of the slices when ``shuffle_chunks`` is True:
        ``random_state.permutation(n_chunks)``.

    Yields
    ------
    chunk : ndarray or tuple of ndarray
        The slice of the dataset if ``keys`` is one string, else a tuple with
        the slice of each dataset, in the order of ``keys``. A dataset of
        strings (``h5py.string_dtype``, or NumPy's bytes) comes as an object
        array of ``str``, decoded from UTF-8. Datasets of 0 rows yield nothing.

    Raises
    ------
    KeyError
        If a key is not in ``source``.
    ValueError
        If the datasets do not have the same number of rows, or
        ``chunk_rows`` is not a positive integer.

    See Also
    --------
    partial_fit_hdf5 : Train an estimator on these slices.
    """
    chunk_rows = _check_positive_int(chunk_rows, "chunk_rows")
    single = isinstance(keys, str)
    keys = [keys] if single else list(keys)
    if not keys:
        raise ValueError("keys must name at least one dataset.")
    rng = check_random_state(random_state) if shuffle_chunks else None
    with _Opened(source) as group:
        for _, chunk in _slices(group, keys, chunk_rows, rng):
            yield chunk[0] if single else chunk
            del chunk  # before reading the next slice: one slice in memory at a time


def _slices(group, keys, chunk_rows, rng):
    """Yield ``(rows, chunk)``: the slice's row range and its tuple of arrays."""
    # h5py reads strings as bytes; labels stored as strings come back as str.
    datasets = [d.asstr("utf-8") if h5py.check_string_dtype(d.dtype) else d
                for d in _datasets(group, keys)]
    n_rows = len(datasets[0])
    n_chunks = -(-n_rows // chunk_rows)
    order = range(n_chunks) if rng is None else rng.permutation(n_chunks)
    for i in order:
        rows = range(int(i) * chunk_rows, min((int(i) + 1) * chunk_rows, n_rows))
        yield rows, tuple(d[rows.start:rows.stop] for d in datasets)


def partial_fit_hdf5(estimator, source, X_key, y_key, *, chunk_rows=4096, classes=None,
                     n_epochs=1, sample_weight_key=None, transform=None, shuffle_chunks=False,
                     random_state=None):
    """Train an estimator on an HDF5 file too large for memory, slice by slice.

    Each epoch reads ``X_key`` and ``y_key`` ``chunk_rows`` rows at a time
    (see :func:`iter_hdf5_chunks`) and calls ``estimator.partial_fit`` on
    every slice. With :class:`~skdnn.LLayerClassifier` and
    :class:`~skdnn.LLayerRegressor`, one ``partial_fit`` call is one epoch of
    the estimator's solver over that slice (mini-batches of ``batch_size``
    if it is set), so ``n_iter_`` grows by one per slice.

    The model is exactly the one that calling ``partial_fit`` on the same
    slices, in the same order, in memory, gives; the estimator's
    ``random_state`` seeds it as usual.

    Parameters
    ----------
    estimator : estimator with a ``partial_fit`` method
        Updated in place, from its current state: a fitted estimator goes on
        training. For a classifier that has not been fitted yet, pass
        ``classes``.
    source : str, path-like, h5py.File or h5py.Group
        A path (opened read-only for the duration of the call) or an open
        file or group.
    X_key : str
        Name of the features dataset, shape (n_samples, n_features). Rows of
        more than one dimension (e.g. images of shape (n_samples, 64, 64, 3))
        are flattened to (n_rows, n_features) before ``transform``.
    y_key : str
        Name of the targets dataset, shape (n_samples,) or
        (n_samples, n_outputs). Labels stored as strings
        (``h5py.string_dtype``, or NumPy's bytes) are decoded to ``str``
        (UTF-8): pass ``classes`` as ``str``.
    chunk_rows : int, default=4096
        Rows in memory at a time. The peak memory is a few times
        ``chunk_rows * n_features * 8`` bytes (the slice, its float64 copy
        if it is stored in another dtype or transformed, and the network's
        activations), whatever the size of the file.
    classes : array-like of shape (n_classes,), default=None
        All the classes of ``y``, passed to every ``partial_fit`` call (as
        scikit-learn's classifiers expect on the first one). Leave it
        ``None`` for a regressor.
    n_epochs : int, default=1
        Number of passes over the file.
    sample_weight_key : str, default=None
        Name of a dataset of shape (n_samples,) of sample weights, passed as
        ``sample_weight`` to every call.
    transform : callable, default=None
        Applied to every slice of ``X`` before ``partial_fit``, e.g.
        ``lambda X: X / 255.0`` for images stored as uint8. It sees one slice
        at a time, so it must not depend on the others (fit a scaler
        beforehand, e.g. with its own ``partial_fit`` over
        :func:`iter_hdf5_chunks`).
    shuffle_chunks : bool, default=False
        Visit the slices in a new random order every epoch (the rows inside
        a slice keep their order).
    random_state : int, numpy.random.RandomState or None, default=None
        Draws the order of the slices, epoch after epoch, when
        ``shuffle_chunks`` is True. It is separate from the estimator's own
        ``random_state``.

    Returns
    -------
    estimator
        The estimator passed in, trained.

    Raises
    ------
    TypeError
        If ``estimator`` has no ``partial_fit`` method.
    KeyError
        If a key is not in ``source``.
    ValueError
        If the datasets do not have the same number of rows or have none, or
        ``chunk_rows`` or ``n_epochs`` is not a positive integer.

    See Also
    --------
    iter_hdf5_chunks : The slices, to predict, score or fit a scaler on.

    Notes
    -----
    Stochastic training sees one slice at a time: with ``shuffle=True`` and a
    ``batch_size``, an estimator shuffles the rows inside each slice, not
    across the file. If the file is sorted (by class, by date), shuffle it
    once when writing it, or pass ``shuffle_chunks=True``, so that every
    slice looks like the whole.

    Examples
    --------
    The course's cat images, stored as uint8 images of shape
    (209, 64, 64, 3), scaled to [0, 1] slice by slice: 2 slices of 105
    images, 600 epochs, 1200 gradient-descent steps of the course's model
    (test accuracy 0.78)::

        clf = LLayerClassifier(**COURSE_SETTINGS, random_state=1)
        partial_fit_hdf5(clf, "train_catvnoncat.h5", "train_set_x", "train_set_y",
                         chunk_rows=105, classes=[0, 1], n_epochs=600,
                         transform=lambda X: X / 255.0)
    """
    if not callable(getattr(estimator, "partial_fit", None)):
        raise TypeError(f"{type(estimator).__name__} has no partial_fit method; "
                        "out-of-core training needs one.")
    n_epochs = _check_positive_int(n_epochs, "n_epochs")
    chunk_rows = _check_positive_int(chunk_rows, "chunk_rows")
    if transform is not None and not callable(transform):
        raise TypeError(f"transform must be callable, got {transform!r}.")
    rng = check_random_state(random_state) if shuffle_chunks else None
    keys = [X_key, y_key] + ([] if sample_weight_key is None else [sample_weight_key])
    kwargs = {} if classes is None else {"classes": classes}
    with _Opened(source) as group:
        if _datasets(group, keys)[0].shape[0] == 0:
            raise ValueError(f"The datasets {keys} in {group.file.filename!r}{group.name} have "
                             "0 rows: partial_fit needs at least 1 sample.")
        for _ in range(n_epochs):
            for rows, chunk in _slices(group, keys, chunk_rows, rng):
                X, y = chunk[0], chunk[1]
                if X.ndim > 2:
                    X = X.reshape(X.shape[0], -1)
                if transform is not None:
                    X = transform(X)
                if sample_weight_key is not None:
                    kwargs["sample_weight"] = chunk[2]
                try:
                    estimator.partial_fit(X, y, **kwargs)
                except ValueError as exc:
                    raise ValueError(f"Rows {rows.start} to {rows.stop - 1} of {keys} in "
                                     f"{group.file.filename!r}: {exc}") from exc
                del chunk, X, y  # before the next read
                kwargs.pop("sample_weight", None)
    return estimator
