"""Benchmark 3: predict_proba on many float32 rows.

skdnn and ``MLPClassifier`` (784 -> 256 -> 128 -> 10) are trained briefly in
float32 on a small subset; the PyTorch peer (when torch is installed) is an
``nn.Sequential`` holding skdnn's fitted weights, so that all three compute
the same probabilities (checked). ``predict_proba`` then runs on ``n`` rows
of 784 float32 features, the contenders alternated. Memory is measured apart
(untimed) with :mod:`tracemalloc`, to which NumPy reports its allocations:
the peak allocated during the call minus the returned array, at ``n`` and
``n / 10`` rows. Chunked prediction keeps that scratch memory the same at
both sizes.
"""

import tracemalloc

import numpy as np

from benchmarks import torch_peer
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
    n = n_rows or (20_000 if quick else 200_000)
    X_small, y_small = make_data(2000)
    X_small = X_small.astype(np.float32)
    skdnn = fit_quietly(skdnn_model(max_iter=2), X_small, y_small)
    predictors = {"skdnn": skdnn.predict_proba,
                  "mlp": fit_quietly(mlp_model(max_iter=2), X_small, y_small).predict_proba}
    notes = []
    if torch_peer.available():
        model = torch_peer.network(skdnn.parameters_, np.float32)
        predictors["torch"] = lambda X: torch_peer.predict_proba(model, X)
        same = np.allclose(predictors["torch"](X_small), skdnn.predict_proba(X_small),
                           rtol=1e-4, atol=1e-6)
        notes.append("Check: PyTorch with skdnn's weights gives skdnn's probabilities: "
                     f"{'yes' if same else 'NO'}.")
    X = make_rows(n)

    contenders = {k: (lambda p=p: timed(p, X)) for k, p in predictors.items()}
    times = alternate(contenders, repeats)
    s = {k: median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}

    memory = {}
    for k in ("skdnn", "mlp"):
        for rows in (n // 10, n):
            peak, out = peak_extra(predictors[k], X[:rows])
            memory[k, rows] = (peak, out, peak - out)

    names = {"skdnn": "skdnn LLayerClassifier", "mlp": "MLPClassifier",
             "torch": "PyTorch CPU (inference mode)"}
    rows = [[names[k], s[k], best[k], n / s[k],
             *([memory[k, n // 10][0] / MiB, memory[k, n][0] / MiB, memory[k, n][1] / MiB,
                memory[k, n][2] / MiB] if (k, n) in memory else ["-"] * 4)]
            for k in predictors]
    scratch = {k: memory[k, n][2] / max(memory[k, n // 10][2], 1) for k in ("skdnn", "mlp")}

    def ratio(label, peer, op=None, target=None):
        return Ratio(label, s["skdnn"] / s[peer], op, target, best["skdnn"] / best[peer])

    ratios = [ratio("skdnn / MLPClassifier, time", "mlp", "<=", 1.0)]
    if "torch" in predictors:
        ratios.append(ratio("skdnn / PyTorch CPU, time", "torch", "<=", 1.0))
    ratios += [Ratio(f"skdnn scratch at {n} / at {n // 10} rows", scratch["skdnn"], "<=", 1.1),
               Ratio("skdnn / MLPClassifier, scratch memory",
                     memory["skdnn", n][2] / max(memory["mlp", n][2], 1)),
               Ratio(f"MLPClassifier scratch at {n} / at {n // 10} rows", scratch["mlp"])]
    section = Section(
        key="predict",
        title="3. Prediction: predict_proba, float32, 784 -> 256 -> 128 -> 10",
        setup=[(f"Data: {n} x 784 float32 ({X.nbytes / MiB:.0f} MiB); models trained 2 "
                f"epochs on 2000 rows in float32; median of {repeats} runs, alternated."),
               ("Memory: tracemalloc peak during the call (NumPy reports its allocations "
                "to it; PyTorch's allocator does not, so PyTorch has none); scratch = peak "
                "minus the returned probabilities.")],
        headers=["contender", "s (median)", "s (best)", "rows / s",
                 f"peak MiB at {n // 10} rows", f"peak MiB at {n} rows",
                 "of which output MiB", "scratch MiB"],
        rows=rows, ratios=ratios, notes=notes)
    section.raw = {"times": times, "n_rows": n,
                   "memory": {f"{k} {r}": v for (k, r), v in memory.items()}}
    return section
