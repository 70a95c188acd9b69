"""Benchmark 4: peak memory of a mini-batch fit, beyond the input itself.

Each case (skdnn or ``MLPClassifier``; float64 or float32 ``X`` of
60000 x 784, C-ordered; Adam, batches of 128, layers (256, 128), 2 epochs)
runs in a fresh Python process started by :func:`run`
(``python -m benchmarks.fit_memory --worker KIND DTYPE N EPOCHS``). The worker

1. imports everything and fits the same model once on 256 rows (so that
   lazy imports, BLAS buffers and allocator arenas are in place);
2. builds ``X`` and ``y``, then resets the kernel's resident-set high-water
   mark (``/proc/self/clear_refs``) and reads the current resident set;
3. fits under :mod:`tracemalloc`, with a thread sampling the traced memory
   every millisecond to count how many times a full copy of ``X`` (half of
   ``X``'s size or more, allocated at once) comes and goes;
4. reports the high-water mark minus the baseline (extra peak RSS), the
   traced peak, and that count as JSON.

The budget the target allows is 10% of ``X``, plus the model (parameters,
gradients and Adam's two moments: 4 times the parameters), plus one batch's
activations (``Z``, ``A`` and ``dA`` of every layer, and the batch of ``X``).
"""

import json
import os
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

from benchmarks._harness import Ratio, Section

MiB = 2.0 ** 20
ROOT = Path(__file__).resolve().parents[1]


# --- the worker, in its own process ---

def _rss_status(field):
    """``VmRSS`` or ``VmHWM`` of this process in bytes, from /proc (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(field)


def _current_rss():
    try:
        return _rss_status("VmRSS")
    except OSError:
        import psutil
        return psutil.Process().memory_info().rss


def _reset_high_water_mark():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class _Sampler(threading.Thread):
    """Samples traced memory and RSS; counts allocations of a full copy of X."""

    def __init__(self, threshold, interval=0.001):
        super().__init__(daemon=True)
        self.threshold = threshold
        self.interval = interval
        self.copies = 0
        self.max_rss = 0
        self._halt = threading.Event()

    def run(self):
        above = False
        while not self._halt.is_set():
            current = tracemalloc.get_traced_memory()[0]
            self.max_rss = max(self.max_rss, _current_rss())
            if current >= self.threshold and not above:
                self.copies += 1
            above = current >= self.threshold
            time.sleep(self.interval)

    def stop(self):
        self._halt.set()
        self.join()


def worker(kind, dtype, n_samples, epochs):
    """Measure one case; return a dict (printed as JSON by ``main``)."""
    import gc
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from benchmarks.minibatch import (
        BATCH,
        LAYERS,
        N_CLASSES,
        make_data,
        mlp_model,
        skdnn_model,
    )

    warnings.simplefilter("ignore", ConvergenceWarning)
    build = skdnn_model if kind == "skdnn" else mlp_model
    X_warm, y_warm = make_data(256, seed=1)
    build(max_iter=1).fit(X_warm.astype(dtype), y_warm)
    del X_warm, y_warm

    X, y = make_data(n_samples)
    X = X.astype(dtype, copy=False)
    itemsize = X.itemsize
    dims = [X.shape[1], *LAYERS, N_CLASSES]
    param_bytes = itemsize * sum(dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims)))
    batch_bytes = BATCH * itemsize * (3 * (sum(LAYERS) + N_CLASSES) + X.shape[1])
    allowed = 4 * param_bytes + batch_bytes
    # A full copy of X: half of X or more, on top of what the model may use.
    threshold = allowed + 0.5 * X.nbytes
    gc.collect()
    exact = _reset_high_water_mark()
    base = _current_rss()

    model = build(max_iter=epochs)
    tracemalloc.start()
    sampler = _Sampler(threshold)
    sampler.start()
    model.fit(X, y)
    sampler.stop()
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    high = _rss_status("VmHWM") if exact else sampler.max_rss

    if kind == "skdnn":
        params = list(model.parameters_.values())
    else:
        params = model.coefs_ + model.intercepts_
    budget = 0.10 * X.nbytes + allowed
    copies = max(sampler.copies, int(traced_peak >= threshold))
    return {"kind": kind, "dtype": dtype, "n_samples": n_samples, "epochs": epochs,
            "X_bytes": X.nbytes, "extra_rss": high - base, "rss_exact": exact,
            "traced_peak": traced_peak, "copies": copies, "param_bytes": param_bytes,
            "batch_bytes": batch_bytes, "budget": budget,
            "params_dtype": str(params[0].dtype)}


# --- the parent ---

def measure(kind, dtype, n_samples, epochs):
    """Run one case in a fresh process and return its measurements."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "benchmarks.fit_memory", "--worker", kind, dtype,
               str(n_samples), str(epochs)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick=False, n_samples=None, epochs=2):
    """Run the fit-memory benchmark and return its :class:`Section`."""
    n = n_samples or (2000 if quick else 60000)
    results = {(kind, dtype): measure(kind, dtype, n, epochs)
               for dtype in ("float64", "float32") for kind in ("skdnn", "mlp")}
    names = {"skdnn": "skdnn LLayerClassifier", "mlp": "MLPClassifier"}
    rows = [[names[k], d, r["X_bytes"] / MiB, r["extra_rss"] / MiB, r["traced_peak"] / MiB,
             r["budget"] / MiB, r["extra_rss"] / r["X_bytes"], r["copies"]]
            for (k, d), r in results.items()]
    ratios = []
    for dtype in ("float64", "float32"):
        r, peer = results["skdnn", dtype], results["mlp", dtype]
        ratios += [Ratio(f"skdnn {dtype}: extra peak RSS / budget", r["extra_rss"] / r["budget"],
                         "<=", 1.0),
                   Ratio(f"skdnn {dtype}: full copies of X in {epochs} epochs", r["copies"],
                         "=", 0),
                   Ratio(f"skdnn / MLPClassifier {dtype}: extra peak RSS",
                         r["extra_rss"] / max(peer["extra_rss"], 1))]
    exact = all(r["rss_exact"] for r in results.values())
    section = Section(
        key="memory",
        title="4. Fit memory: peak beyond X, mini-batch Adam",
        setup=[(f"Data: random X {n} x 784, C-ordered; layers (256, 128), batch 128, Adam, "
                f"{epochs} epochs; one fresh process per case."),
               ("Extra peak RSS: "
                + ("kernel high-water mark (reset before fit)" if exact
                   else "sampled every ms (no /proc/self/clear_refs)")
                + " minus the resident set before fit; traced: tracemalloc peak. Budget: "
                "10% of X + 4 x parameters (weights, gradients, Adam moments) + one batch's "
                "activations.")],
        headers=["contender", "dtype", "X MiB", "extra peak RSS MiB", "traced peak MiB",
                 "budget MiB", "extra RSS / X", "full copies of X"],
        rows=rows,
        ratios=ratios,
    )
    section.raw = {f"{k} {d}": r for (k, d), r in results.items()}
    return section


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 5 and argv[0] == "--worker":
        kind, dtype, n, epochs = argv[1], argv[2], int(argv[3]), int(argv[4])
        print(json.dumps(worker(kind, dtype, n, epochs)))
        return 0
    print("usage: python -m benchmarks.fit_memory --worker {skdnn,mlp} {float64,float32} "
          "N_SAMPLES EPOCHS\n(the suite itself runs with: python -m benchmarks)",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
