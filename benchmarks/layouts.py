"""Mini-batch training on X as it is laid out: ``python -m benchmarks.layouts``.

The mini-batch benchmark's training (Adam, batches of 128, layers (256, 128),
float64, 784 features, 10 classes; ``fit`` with ``max_iter=1``, one shuffled
epoch) on the same values held three ways: a C-ordered array (row by row),
a Fortran-ordered array and a pandas DataFrame (column by column, when pandas
is installed). Every layout must give the same model, bit for bit.

- Time: the layouts run alternately, ``--repeats`` rounds in one process;
  medians per epoch, and each column-ordered layout's ratio to C order.
- Memory: one untimed fit per layout and size, under :mod:`tracemalloc`, at
  ``--samples`` and half as many: the traced peak beyond the input. A full
  copy of ``X`` would show as a peak of about ``X``'s size that doubles with
  the rows; the batch gather needs memory that does not depend on them (the
  end-of-fit check's forward pass over at most 1000 rows is most of the
  peak of every layout).

``--threads N`` pins BLAS to N threads (threadpoolctl), which keeps the
timings readable on a machine shared with other work.
"""

import argparse
import sys
import tracemalloc

import numpy as np

from benchmarks import minibatch
from benchmarks._harness import (Ratio, Section, alternate, blas_threads, machine_line, median,
                                 timed)

MiB = 2.0 ** 20


def layouts(X):
    """The same values as a C-ordered array, a Fortran-ordered one and a DataFrame."""
    found = {"C-ordered array": np.ascontiguousarray(X),
             "Fortran-ordered array": np.asfortranarray(X)}
    frame = minibatch._dataframe(X)
    if frame is not None:
        found["DataFrame"] = frame
    return found


def traced_peak(X, y):
    """Peak memory traced during one ``fit`` of the benchmark's model, in bytes."""
    model = minibatch.skdnn_model()
    tracemalloc.start()
    try:
        minibatch.fit_quietly(model, X, y)
        return tracemalloc.get_traced_memory()[1], model
    finally:
        tracemalloc.stop()


def _same_model(a, b):
    return all(np.array_equal(a.parameters_[k], b.parameters_[k]) for k in a.parameters_)


def run(n_samples=20000, repeats=3):
    """Time and trace every layout; return the :class:`Section`."""
    X, y = minibatch.make_data(n_samples)
    data = layouts(X)
    contenders = {name: (lambda X=X_layout: timed(minibatch.fit_quietly,
                                                  minibatch.skdnn_model(), X, y))
                  for name, X_layout in data.items()}
    times = alternate(contenders, repeats)
    s = {k: median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    half = n_samples // 2
    peaks, models = {}, {}
    for name in data:
        peaks[name, half] = traced_peak(layouts(X[:half])[name], y[:half])[0]
        peaks[name, n_samples], models[name] = traced_peak(data[name], y)
    reference = models["C-ordered array"]
    rows = [[name, s[name], best[name], s[name] / s["C-ordered array"],
             peaks[name, half] / MiB, peaks[name, n_samples] / MiB,
             "yes" if _same_model(models[name], reference) else "NO"] for name in data]
    ratios = []
    for name in data:
        if name == "C-ordered array":
            continue
        ratios += [Ratio(f"{name} / C-ordered array, s per epoch", s[name] / s["C-ordered array"],
                         "<=", 1.2, best[name] / best["C-ordered array"]),
                   Ratio(f"{name} / C-ordered array, traced peak",
                         peaks[name, n_samples] / peaks["C-ordered array", n_samples], "<=", 1.1),
                   Ratio(f"{name}: traced peak, {n_samples} / {half} samples",
                         peaks[name, n_samples] / peaks[name, half], "<=", 1.2)]
    section = Section(
        key="layouts",
        title="Mini-batch training on C-ordered, Fortran-ordered and DataFrame X",
        setup=[(f"Data: random, X {n_samples} x 784 float64 ({X.nbytes / MiB:.0f} MiB), "
                f"10 classes; Adam, batch {minibatch.BATCH}, layers {minibatch.LAYERS}; each "
                f"run is fit(max_iter=1); median of {repeats} runs, alternated."),
               ("Traced peak: tracemalloc's peak during one untimed fit, X itself excluded "
                f"(allocated before), at {half} and {n_samples} samples.")],
        headers=["X", "s / epoch (median)", "s / epoch (best)", "time / C order",
                 f"traced peak MiB ({half})", f"traced peak MiB ({n_samples})",
                 "same model as C order"],
        rows=rows, ratios=ratios)
    section.raw = {"times": times, "peaks": {f"{k[0]} {k[1]}": v for k, v in peaks.items()}}
    return section


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20000, help="rows of X")
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs per layout")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads")
    args = parser.parse_args(argv)
    print(machine_line(), flush=True)
    with blas_threads(args.threads):
        section = run(args.samples, args.repeats)
    print(section.markdown())
    return 0 if all(r.result != "MISS" for r in section.ratios) else 1


if __name__ == "__main__":
    sys.exit(main())
