"""
==============================================
Scaling out: a grid search on a Dask cluster
==============================================

The same :class:`~sklearn.model_selection.GridSearchCV` over
``hidden_layer_sizes`` and ``learning_rate``, run twice: in this process
(``n_jobs=1``) and on a dask.distributed cluster through joblib's ``"dask"``
backend. The scores and the best model are identical; only the wall time
differs. Then the best model predicts block by block on a Dask array with
:class:`dask_ml.wrappers.ParallelPostFit`.

The cluster here is a :class:`~distributed.LocalCluster` of worker processes
on 127.0.0.1. On a real cluster, connect with
``Client("tcp://scheduler:8786")`` instead: nothing else changes (see the
"Scaling out" page of the documentation).

This needs the ``distributed`` extra (``pip install "skdnn[distributed]"``);
without it, the script says so and stops without error.
"""

import os
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_limits

from skdnn import LLayerClassifier

try:
    import dask.array as da
    import joblib
    from dask_ml.wrappers import ParallelPostFit
    from distributed import Client, LocalCluster
except ImportError as exc:
    HAVE_DASK = False
    print(f"This example needs dask.distributed and dask-ml ({exc}).\n"
          'Install them with: pip install "skdnn[distributed]"')
else:
    HAVE_DASK = True


def main():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    estimator = LLayerClassifier(solver="adam", max_iter=30, batch_size=64, random_state=0)
    grid = {"hidden_layer_sizes": [(16,), (32,), (32, 16)], "learning_rate": [0.003, 0.01]}
    n_fits = 6 * 3
    n_cores = os.cpu_count() or 1
    n_workers = max(1, min(4, n_cores))

    # One BLAS thread, as each dask worker has (its nanny sets
    # OPENBLAS_NUM_THREADS=1): both runs then do the very same arithmetic.
    with threadpool_limits(1):
        start = time.perf_counter()
        serial = GridSearchCV(estimator, grid, cv=3, n_jobs=1).fit(X, y)
        serial_time = time.perf_counter() - start

    start = time.perf_counter()
    with LocalCluster(host="127.0.0.1", dashboard_address=None, n_workers=n_workers,
                      threads_per_worker=1, processes=True) as cluster, \
            Client(cluster) as client:
        client.run(lambda: __import__("skdnn") and None)  # the workers import skdnn once
        startup_time = time.perf_counter() - start

        start = time.perf_counter()
        with joblib.parallel_backend("dask"), threadpool_limits(1):
            parallel = GridSearchCV(estimator, grid, cv=3).fit(X, y)
        dask_time = time.perf_counter() - start

        # Prediction, block by block on the workers: 10 copies of the digits.
        X_big = da.concatenate([da.from_array(X, chunks=(600, X.shape[1]))] * 10)
        wrapped = ParallelPostFit(parallel.best_estimator_)
        start = time.perf_counter()
        proba = wrapped.predict_proba(X_big).compute()
        predict_time = time.perf_counter() - start

    best = parallel.best_estimator_
    same_scores = all(np.array_equal(serial.cv_results_[k], parallel.cv_results_[k])
                      for k in serial.cv_results_ if k.endswith("test_score"))
    same_model = all(np.array_equal(serial.best_estimator_.parameters_[k], value)
                     for k, value in best.parameters_.items())
    # The same blocks in memory give the same bits; one call on all the rows
    # gives the same numbers up to the rounding of the matrix products.
    X_all = np.concatenate([X] * 10)
    bounds = np.cumsum([0, *X_big.chunks[0]])
    with threadpool_limits(1):
        in_memory = np.concatenate([best.predict_proba(X_all[a:b])
                                    for a, b in zip(bounds[:-1], bounds[1:])])
    rounding = np.abs(proba - best.predict_proba(X_all)).max()

    print(f"GridSearchCV: {n_fits} fits (6 candidates x 3 folds) and the refit, "
          f"{n_cores} cores")
    print(f"  n_jobs=1                 {serial_time:6.2f} s")
    print(f"  dask, {n_workers} worker processes {dask_time:6.2f} s  "
          f"(x{serial_time / dask_time:.2f}; starting the cluster took another "
          f"{startup_time:.1f} s)")
    print(f"  best parameters          {parallel.best_params_}, "
          f"accuracy {parallel.best_score_:.4f}")
    print(f"  identical scores: {same_scores}, identical best model: {same_model}")
    print(f"ParallelPostFit.predict_proba on {X_big.shape[0]} rows in {X_big.numblocks[0]} "
          f"blocks: {predict_time:.2f} s")
    print(f"  identical to predict_proba on the same blocks in memory: "
          f"{np.array_equal(proba, in_memory)}; largest difference from one call on "
          f"all the rows: {rounding:.1e}")
    if not (same_scores and same_model and np.array_equal(proba, in_memory)):
        raise AssertionError("the cluster and this process disagree")

    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 2.2))
    ax.barh([f"dask, {n_workers} workers", "n_jobs=1"], [dask_time, serial_time])
    ax.set_xlabel("GridSearchCV.fit wall time (s)")
    ax.set_title(f"{n_fits} fits on {n_cores} cores")
    fig.tight_layout()
    plt.show()


# The guard matters: the cluster's worker processes are started with the
# "spawn" method, which imports this file again in each of them.
if __name__ == "__main__" and HAVE_DASK:
    main()
