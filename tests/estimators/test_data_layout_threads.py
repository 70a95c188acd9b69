"""X as it comes: its memory layout, values beyond the model's range, fits in threads."""

import threading
import tracemalloc
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_moons
from sklearn.exceptions import NotFittedError

from skdnn import LLayerClassifier, LLayerRegressor, engine
from tests.helpers.training import course


def moons(n=60, seed=0):
    return make_moons(n, noise=0.2, random_state=seed)


def _column_ordered(X, layout):
    if layout == "DataFrame":
        pd = pytest.importorskip("pandas")
        frame = pd.DataFrame(np.asfortranarray(X), columns=[f"x{i}" for i in range(X.shape[1])])
        assert not np.asarray(frame).flags.c_contiguous  # a DataFrame's values: by column
        return frame
    if layout == "strided":  # every other column of a wider array: neither C nor F
        return np.repeat(X, 2, axis=1)[:, ::2]
    return np.asfortranarray(X)


def _traced_fit(model, X, y):
    tracemalloc.start()
    try:
        model.fit(X, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("layout", ["Fortran", "DataFrame", "strided"])
def test_mini_batches_gather_rows_of_X_as_it_lies_without_a_copy(monkeypatch, layout):
    # 40 000 x 64 float64 (20 MB), not row by row: the batches are gathered from X
    # itself, so the fit allocates what it does for C-ordered X (the labels, the
    # shuffled order: a column's worth each), far below X's size, and the model is
    # bit for bit the one that C-ordered X gives.
    rng = np.random.RandomState(0)
    X = rng.randn(40_000, 64)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    columns = _column_ordered(X, layout)
    # tol=None: two epochs on purpose, without the max_iter warning.
    common = dict(hidden_layer_sizes=(8,), solver="adam", batch_size=256, learning_rate=0.01,
                  max_iter=2, tol=None, random_state=0)
    reference = LLayerClassifier(**common).fit(X, y)  # also imports what a first fit imports
    peak_c_order = _traced_fit(LLayerClassifier(**common), X, y)
    seen, train_epoch = [], engine.train_epoch

    def recording(X, *args, **kwargs):
        seen.append(X)
        return train_epoch(X, *args, **kwargs)

    monkeypatch.setattr(engine, "train_epoch", recording)
    model = LLayerClassifier(**common)
    peak = _traced_fit(model, columns, y)
    assert peak < peak_c_order + 0.05 * X.nbytes, (peak, peak_c_order)
    assert peak < 0.25 * X.nbytes, f"{peak / X.nbytes:.2f} of X allocated"
    assert all(np.shares_memory(X_seen, np.asarray(columns)) for X_seen in seen)
    assert model.loss_curve_ == reference.loss_curve_
    for name, W in reference.parameters_.items():
        np.testing.assert_array_equal(model.parameters_[name], W)


# A short course fit that fits nothing: the subject is what a rejected call or
# float32 input leaves, so the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_float32_model_refuses_input_beyond_float32():
    X, y = moons()
    clf = LLayerClassifier(**course((3,), max_iter=5)).fit(X.astype(np.float32), y)
    X_big = X.copy()
    X_big[3, 0] = 1e39
    with pytest.raises(ValueError, match="range of this float32 model"):
        clf.predict(X_big)


def test_input_that_overflows_the_network_is_an_error_not_nan():
    X, y = moons()
    clf = LLayerClassifier(**course((20, 7, 5), solver="adam", max_iter=50,
                                    random_state=0)).fit(X, y)
    with pytest.raises(ValueError, match="output overflowed for"):
        clf.predict_proba(np.r_[X[:5], [[1e308, 1e308]], [[-1e308, 1e308]]])


# n_iter_no_change=100 outlasts max_iter=60 on purpose (early stopping runs
# in every epoch without stopping): the max_iter warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. maximum iterations:sklearn.exceptions.ConvergenceWarning")
def test_early_stopping_in_threads_leaves_warning_filters_alone():
    X, y = moons(300)
    before = list(warnings.filters)
    seen, done = [], threading.Event()

    def fit():
        LLayerClassifier(**course((4,), solver="adam", early_stopping=True, max_iter=60,
                         n_iter_no_change=100, random_state=0)).fit(X, y)

    threads = [threading.Thread(target=fit) for _ in range(2)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        seen.append(list(warnings.filters))
    for t in threads:
        t.join()
    assert all(filters == before for filters in seen)


def test_coefs_before_fit_is_not_fitted_error():
    with pytest.raises(NotFittedError):
        LLayerClassifier(**course()).coefs_
    with pytest.raises(NotFittedError):
        LLayerRegressor(**course()).intercepts_
