"""skdnn on a dask.distributed cluster: the optional ``distributed`` extra.

A LocalCluster of two worker processes on 127.0.0.1 (one thread each) stands
in for a real cluster: the estimators and data chunks are pickled to the
workers exactly as they would be over the network. Every result is compared
with the same computation in memory, in this process, bit for bit.

"The same computation" means the same arrays handed to the same NumPy calls
with the same number of BLAS threads. dask's workers run one BLAS thread
(their nannies set OMP/MKL/OPENBLAS_NUM_THREADS=1), so the references run
under ``threadpool_limits(1)``. And OpenBLAS may round a matrix product of a
few rows differently (by about 1e-16) from the same rows inside a larger
product, so block-wise predictions are compared bit for bit with in-memory
predictions on the same blocks, and with one in-memory call on all the rows
up to that rounding.

Skipped when dask, distributed or dask-ml is not installed:
``pip install "skdnn[distributed]"``.
"""

import os

import numpy as np
import pytest

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")

import dask.array as da  # noqa: E402
import h5py  # noqa: E402
import joblib  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402
from tests.helpers.training import assert_same_model

from skdnn import LLayerClassifier, LLayerRegressor  # noqa: E402
from skdnn.streaming import partial_fit_hdf5  # noqa: E402
from tests.helpers.training import course

Incremental = dask_ml_wrappers.Incremental
ParallelPostFit = dask_ml_wrappers.ParallelPostFit


@pytest.fixture(scope="module")
def client():
    # The nannies run in this process and set OPENBLAS_NUM_THREADS=1 (and the
    # like) in its environment for their workers: put it back afterwards, or
    # every later subprocess of the suite (the examples) runs on one BLAS thread.
    environ = dict(os.environ)
    cluster = distributed.LocalCluster(host="127.0.0.1", dashboard_address=None, n_workers=2,
                                       threads_per_worker=1, processes=True)
    try:
        with distributed.Client(cluster) as client:
            # Each worker imports skdnn and dask-ml once, here, rather than in
            # whichever test happens to send it its first task.
            client.run(lambda: [__import__(m) for m in ("skdnn", "dask_ml.wrappers")] and None)
            yield client
    finally:
        cluster.close()
        os.environ.clear()
        os.environ.update(environ)


def _workers_used(task_stream):
    return {task["worker"] for task in task_stream.data}


def _classification(n_samples=600, n_classes=3):
    return make_classification(n_samples, 8, n_informative=5, n_redundant=0,
                               n_classes=n_classes, random_state=0)


def _in_blocks(method, X, row_chunks):
    """``method`` called on consecutive row blocks of ``X``, on one BLAS thread."""
    bounds = np.cumsum([0, *row_chunks])
    assert bounds[-1] == len(X)
    with threadpool_limits(1):
        return np.concatenate([method(X[a:b]) for a, b in zip(bounds[:-1], bounds[1:])])


def _partial_fit_blocks(estimator, X, y, block_rows, order, **kwargs):
    for i in order:
        rows = slice(i * block_rows, (i + 1) * block_rows)
        estimator.partial_fit(X[rows], y[rows], **kwargs)
    return estimator


def test_the_workers_are_separate_processes_on_loopback(client):
    pids = client.run(lambda: __import__("os").getpid())
    assert len(pids) == 2
    assert all(address.startswith("tcp://127.0.0.1:") for address in pids)
    assert len(set(pids.values())) == 2
    assert __import__("os").getpid() not in pids.values()


@pytest.mark.parametrize("Estimator, make_data", [
    (LLayerClassifier, _classification),
    (LLayerRegressor, lambda: make_regression(300, 6, noise=0.1, random_state=0)),
])
def test_grid_search_on_the_dask_backend_equals_n_jobs_1(client, Estimator, make_data):
    X, y = make_data()
    if Estimator is LLayerRegressor:
        y = y / np.std(y)
    estimator = Estimator(**course(solver="adam", max_iter=40, batch_size=64, random_state=0))
    grid = {"hidden_layer_sizes": [(4,), (16,), (8, 4)], "learning_rate": [0.003, 0.03]}

    with threadpool_limits(1):
        serial = GridSearchCV(estimator, grid, cv=3, n_jobs=1).fit(X, y)
    with distributed.get_task_stream(client) as tasks:
        # The final refit runs in this process: on one BLAS thread, as above.
        with joblib.parallel_backend("dask"), threadpool_limits(1):
            parallel = GridSearchCV(estimator, grid, cv=3).fit(X, y)

    # The fits ran on the cluster's workers, not in this process.
    assert _workers_used(tasks) and _workers_used(tasks) <= set(client.run(lambda: 0))
    scores = [key for key in serial.cv_results_ if "time" not in key]
    assert "split2_test_score" in scores and "rank_test_score" in scores
    assert scores == [key for key in parallel.cv_results_ if "time" not in key]
    for key in scores:
        assert list(parallel.cv_results_[key]) == list(serial.cv_results_[key]), key
    # The candidates really differ: the comparison above is not between equal numbers.
    assert len(set(serial.cv_results_["mean_test_score"])) > 1
    assert parallel.best_index_ == serial.best_index_
    assert parallel.best_params_ == serial.best_params_
    assert parallel.best_score_ == serial.best_score_
    assert_same_model(parallel.best_estimator_, serial.best_estimator_)
    np.testing.assert_array_equal(parallel.predict(X), serial.predict(X))


@pytest.mark.parametrize("Estimator", [LLayerClassifier, LLayerRegressor])
def test_incremental_without_block_shuffling_equals_partial_fit_block_by_block(
        client, Estimator):
    X, y = _classification(n_samples=1150)
    if Estimator is LLayerRegressor:
        y = X[:, 0] - X[:, 1] + 0.5 * X[:, 2]
    kwargs = {"classes": np.unique(y)} if Estimator is LLayerClassifier else {}
    # Mini-batches shuffled from the estimator's own seed: the RandomState
    # travels with the pickled estimator from block to block.
    params = dict(hidden_layer_sizes=(8, 4), solver="adam", learning_rate=0.01,
                  batch_size=32, random_state=0)
    Xd = da.from_array(X, chunks=(100, 8))  # 12 blocks, the last one of 50 rows
    yd = da.from_array(y, chunks=100)
    assert Xd.numblocks == (12, 1)

    with distributed.get_task_stream(client) as tasks:
        model = Incremental(Estimator(**course(**params)), shuffle_blocks=False).fit(Xd, yd,
                                                                                     **kwargs)
    assert _workers_used(tasks)

    with threadpool_limits(1):
        reference = _partial_fit_blocks(Estimator(**course(**params)), X, y, 100, range(12),
                                        **kwargs)
    assert model.estimator_.n_iter_ == 12  # one partial_fit call, one epoch, per block
    assert_same_model(model.estimator_, reference)
    # The wrapper predicts with the trained estimator, block-wise.
    predicted = model.predict(Xd)
    assert isinstance(predicted, da.Array)
    np.testing.assert_array_equal(predicted.compute(),
                                  _in_blocks(reference.predict, X, Xd.chunks[0]))


def test_incremental_shuffled_blocks_follow_its_random_state(client):
    X, y = _classification()
    classes = np.unique(y)
    params = dict(hidden_layer_sizes=(8,), solver="adam", learning_rate=0.01, random_state=0)
    Xd, yd = da.from_array(X, chunks=(50, 8)), da.from_array(y, chunks=50)  # 12 blocks

    model = Incremental(LLayerClassifier(**course(**params)), shuffle_blocks=True,
                        random_state=42).fit(Xd, yd, classes=classes)

    # dask-ml draws the order of the blocks with
    # check_random_state(random_state).shuffle(list(range(n_blocks))).
    order = list(range(12))
    np.random.RandomState(42).shuffle(order)
    assert order != sorted(order)
    with threadpool_limits(1):
        shuffled = _partial_fit_blocks(LLayerClassifier(**course(**params)), X, y, 50, order,
                                       classes=classes)
        in_order = _partial_fit_blocks(LLayerClassifier(**course(**params)), X, y, 50, range(12),
                                       classes=classes)
    assert_same_model(model.estimator_, shuffled)
    assert not np.array_equal(model.estimator_.parameters_["W1"], in_order.parameters_["W1"])


def test_incremental_partial_fit_is_one_more_pass(client):
    X, y = _classification()
    classes = np.unique(y)
    params = dict(hidden_layer_sizes=(8,), solver="momentum", learning_rate=0.05,
                  random_state=3)
    Xd, yd = da.from_array(X, chunks=(150, 8)), da.from_array(y, chunks=150)

    model = Incremental(LLayerClassifier(**course(**params)), shuffle_blocks=False)
    for _ in range(3):
        model.partial_fit(Xd, yd, classes=classes)

    with threadpool_limits(1):
        reference = LLayerClassifier(**course(**params))
        for _ in range(3):
            _partial_fit_blocks(reference, X, y, 150, range(4), classes=classes)
    assert model.estimator_.n_iter_ == 12
    assert_same_model(model.estimator_, reference)
    assert model.score(Xd, yd) == reference.score(X, y)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_parallel_post_fit_predicts_block_wise_like_in_memory(client, n_classes):
    X, y = _classification(n_samples=1000, n_classes=n_classes)
    estimator = LLayerClassifier(**course((16,), solver="adam", learning_rate=0.01, max_iter=30,
                                 batch_size=64, random_state=0)).fit(X, y)
    wrapped = ParallelPostFit(estimator)
    Xd = da.from_array(X, chunks=(64, 8))  # 16 blocks, the last one of 40 rows

    with distributed.get_task_stream(client) as tasks:
        predicted = wrapped.predict(Xd)
        proba = wrapped.predict_proba(Xd)
        assert isinstance(predicted, da.Array) and isinstance(proba, da.Array)
        assert predicted.numblocks == (16,) and proba.numblocks == (16, 1)
        predicted, proba, log_proba = dask.compute(predicted, proba,
                                                   wrapped.predict_log_proba(Xd))
    assert _workers_used(tasks)

    np.testing.assert_array_equal(predicted, _in_blocks(estimator.predict, X, Xd.chunks[0]))
    np.testing.assert_array_equal(proba, _in_blocks(estimator.predict_proba, X, Xd.chunks[0]))
    np.testing.assert_array_equal(log_proba,
                                  _in_blocks(estimator.predict_log_proba, X, Xd.chunks[0]))
    # One in-memory call on all the rows: the same labels, the same probabilities
    # up to the rounding of the matrix products.
    np.testing.assert_array_equal(predicted, estimator.predict(X))
    np.testing.assert_allclose(proba, estimator.predict_proba(X), rtol=1e-12, atol=1e-14)
    assert proba.shape == (1000, n_classes)
    assert predicted.dtype == estimator.predict(X[:1]).dtype
    # A score worth comparing: the model did learn.
    assert wrapped.score(Xd, da.from_array(y, chunks=64)) == estimator.score(X, y) > 0.7


def test_parallel_post_fit_regressor_and_chunked_columns(client):
    X, y = make_regression(500, 6, noise=0.1, random_state=1)
    estimator = LLayerRegressor(**course((8,), solver="adam", learning_rate=0.01, max_iter=20,
                                random_state=0)).fit(X, y / np.std(y))
    # Cut along the features too: dask-ml rechunks to whole rows first (and lets
    # dask choose the number of rows per block: here one block).
    Xd = da.from_array(X, chunks=(50, 3))
    predicted = ParallelPostFit(estimator).predict(Xd)
    assert predicted.shape == (500,)
    np.testing.assert_array_equal(predicted.compute(),
                                  _in_blocks(estimator.predict, X, predicted.chunks[0]))
    np.testing.assert_allclose(predicted.compute(), estimator.predict(X), rtol=1e-12, atol=1e-12)


# Ten epochs on make_regression's unscaled targets fit nothing: only the shape
# of the block-wise predictions is checked, so the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_two_dimensional_predictions_with_map_blocks(client):
    """The docs' recipe for multi-output regressors and multilabel classifiers.

    dask-ml 2025.1's ParallelPostFit.predict assumes 1-D predictions (it drops
    axis 1), so it fails on them; ``map_blocks`` with the output chunks
    spelled out does the same block-wise prediction.
    """
    X, y = make_regression(400, 6, n_targets=3, random_state=0)
    estimator = LLayerRegressor(**course((8,), solver="adam", max_iter=10,
                                         random_state=0)).fit(X, y)
    Xd = da.from_array(X, chunks=(50, 6))
    predicted = Xd.map_blocks(estimator.predict, dtype=np.float64,
                              chunks=(Xd.chunks[0], (estimator.n_outputs_,)))
    assert predicted.shape == (400, 3)
    np.testing.assert_array_equal(predicted.compute(),
                                  _in_blocks(estimator.predict, X, Xd.chunks[0]))


def test_incremental_reads_an_hdf5_file_on_the_workers_like_partial_fit_hdf5(client, tmp_path):
    """distributed ships an h5py dataset as (file name, dataset name): the workers
    open the file themselves, so it must be at the same path on every worker."""
    X, y = _classification(n_samples=700)
    path = tmp_path / "train.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("X", data=X, chunks=(100, 8))
        f.create_dataset("y", data=y)
    params = dict(hidden_layer_sizes=(8,), solver="adam", learning_rate=0.01, random_state=0)
    with h5py.File(path, "r") as f:
        Xd = da.from_array(f["X"], chunks=(100, 8))
        yd = da.from_array(f["y"], chunks=100)
        with distributed.get_task_stream(client) as tasks:
            model = Incremental(LLayerClassifier(**course(**params)), shuffle_blocks=False).fit(
                Xd, yd, classes=[0, 1, 2])
    assert _workers_used(tasks)
    with threadpool_limits(1):
        reference = partial_fit_hdf5(LLayerClassifier(**course(**params)), path, "X", "y",
                                     chunk_rows=100, classes=[0, 1, 2])
    assert reference.n_iter_ == 7
    assert_same_model(model.estimator_, reference)
