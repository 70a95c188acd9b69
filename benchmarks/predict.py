"""Benchmark 3: predict_proba on many float32 rows.

Both models (784 -> 256 -> 128 -> 10) are trained briefly in float32 on a small
subset, then ``predict_proba`` runs on ``n`` rows of 784 float32 features.
Throughput is timed with the contenders alternated; memory is measured apart
(untimed) with :mod:`tracemalloc`, to which NumPy reports its allocations: the
peak of what is allocated during the call, minus the returned array itself,
at ``n`` and ``n / 10`` rows. Chunked prediction keeps that scratch memory
the same at both sizes.
"""

import tracemalloc

import numpy as np

from benchmarks._harness import Ratio, Section, alternate, median, timed
from benchmarks.minibatch import fit_quietly, make_data, mlp_model, skdnn_model

MiB = 2.0 ** 20


def make_rows(n_rows, n_features=784, block=50_000, seed=1):
    """``n_rows`` float32 rows: a random block, repeated (fast to build)."""
    rng = np.random.default_rng(seed)
    block = rng.standard_normal((min(block, n_rows), n_features), dtype=np.float32)
    reps = -(-n_rows // block.shape[0])
    return np.ascontiguousarray(np.tile(block, (reps, 1))[:n_rows])


def peak_extra(function, X):
    """Peak memory allocated during ``function(X)`` and the result's size, in bytes."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = function(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, result.nbytes


def run(quick=False, repeats=None, n_rows=None):
    """Run the prediction benchmark and return its :class:`Section`."""
    repeats = repeats or (2 if quick else 3)
    n = n_rows or (20_000 if quick else 1_000_000)
    X_small, y_small = make_data(2000)
    X_small = X_small.astype(np.float32)
    models = {"skdnn": fit_quietly(skdnn_model(max_iter=2), X_small, y_small),
              "mlp": fit_quietly(mlp_model(max_iter=2), X_small, y_small)}
    X = make_rows(n)

    contenders = {k: (lambda m=m: timed(m.predict_proba, X)) for k, m in models.items()}
    times = alternate(contenders, repeats)
    s = {k: median(v) for k, v in times.items()}

    memory = {}
    for k, model in models.items():
        for rows in (n // 10, n):
            peak, out = peak_extra(model.predict_proba, X[:rows])
            memory[k, rows] = (peak, out, peak - out)

    names = {"skdnn": "skdnn LLayerClassifier", "mlp": "MLPClassifier"}
    rows = [[names[k], s[k], min(times[k]), n / s[k],
             memory[k, n // 10][0] / MiB, memory[k, n][0] / MiB, memory[k, n][1] / MiB,
             memory[k, n][2] / MiB]
            for k in models]
    scratch = {k: memory[k, n][2] / max(memory[k, n // 10][2], 1) for k in models}
    section = Section(
        key="predict",
        title="3. Prediction: predict_proba, float32, 784 -> 256 -> 128 -> 10",
        setup=[(f"Data: {n} x 784 float32 ({X.nbytes / MiB:.0f} MiB); models trained 2 "
                f"epochs on 2000 rows in float32; median of {repeats} runs, alternated."),
               ("Memory: tracemalloc peak during the call (NumPy reports its allocations "
                "to it); scratch = peak minus the returned probabilities.")],
        headers=["contender", "s (median)", "s (best)", "rows / s",
                 f"peak MiB at {n // 10} rows", f"peak MiB at {n} rows",
                 "of which output MiB", "scratch MiB"],
        rows=rows,
        ratios=[Ratio("skdnn / MLPClassifier, time", s["skdnn"] / s["mlp"], "<=", 1.0,
                      min(times["skdnn"]) / min(times["mlp"])),
                Ratio(f"skdnn scratch at {n} / at {n // 10} rows", scratch["skdnn"], "<=", 1.1),
                Ratio("skdnn / MLPClassifier, scratch memory",
                      memory["skdnn", n][2] / max(memory["mlp", n][2], 1)),
                Ratio(f"MLPClassifier scratch at {n} / at {n // 10} rows", scratch["mlp"])],
    )
    section.raw = {"times": times, "n_rows": n,
                   "memory": {f"{k} {r}": v for (k, r), v in memory.items()}}
    return section
