"""What batch normalisation costs: ``python -m benchmarks.batch_norm``.

The same training with ``batch_norm=True`` and with ``batch_norm=False``, at
equal work: the same data, network, solver (Adam), batch size, epochs and
seed, so that the ratio of the two times is what normalising every hidden
layer adds. Two networks:

- deep and narrow: ten hidden ReLU layers of 32 units, 64 features, batches
  of 64 (the gallery example's network, ``examples/plot_batch_norm.py``),
  where each step's matrix products are small and the per-layer passes of
  batch normalisation weigh most;
- wide: the mini-batch benchmark's layers (256, 128) on 784 features,
  batches of 128 (``benchmarks/minibatch.py``), where the products dominate.

Each timed run is one ``fit`` of ``--epochs`` epochs (``tol=None``); the two
settings of a network alternate, ``--repeats`` rounds in one process, after
an untimed warm-up each; the ratios are of the medians (and of the best runs).
A last row times ``predict_proba`` of the two fitted wide networks on the
training rows (prediction folds the running statistics into ``W`` and
``b``). ``--threads N`` pins
BLAS to N threads. No target: the rows say what the option costs.
"""

import argparse
import sys

from benchmarks import minibatch
from benchmarks._harness import (Ratio, Section, alternate, blas_threads, machine_line, median,
                                 timed)
from skdnn import LLayerClassifier

NETWORKS = {
    "deep narrow (32,) * 10": dict(layers=(32,) * 10, n_features=64, batch_size=64),
    "wide (256, 128)": dict(layers=minibatch.LAYERS, n_features=784,
                            batch_size=minibatch.BATCH),
}
SIZES = {"deep narrow (32,) * 10": 12800, "wide (256, 128)": 10000}
QUICK_SIZES = {"deep narrow (32,) * 10": 1280, "wide (256, 128)": 1000}


def model(network, batch_norm, epochs):
    """The estimator of one network and setting; everything but ``batch_norm`` shared."""
    spec = NETWORKS[network]
    return LLayerClassifier(spec["layers"], solver="adam", learning_rate=0.001,
                            batch_size=spec["batch_size"], max_iter=epochs, tol=None,
                            alpha=0.0, batch_norm=batch_norm, random_state=0)


def run(quick=False, repeats=None, epochs=None, n_samples=None):
    """Time both settings of both networks; return the :class:`Section`."""
    repeats = repeats or (2 if quick else 5)
    epochs = epochs or (1 if quick else 2)
    sizes = {name: n_samples or (QUICK_SIZES if quick else SIZES)[name] for name in NETWORKS}
    rows, ratios, raw = [], [], {}
    for network, spec in NETWORKS.items():
        X, y = minibatch.make_data(sizes[network], n_features=spec["n_features"])
        contenders = {
            batch_norm: (lambda batch_norm=batch_norm, X=X, y=y, network=network: timed(
                minibatch.fit_quietly, model(network, batch_norm, epochs), X, y))
            for batch_norm in (False, True)}
        times = alternate(contenders, repeats)
        s = {k: median(v) / epochs for k, v in times.items()}
        best = {k: min(v) / epochs for k, v in times.items()}
        n_batches = -(-sizes[network] // spec["batch_size"])
        for batch_norm in (False, True):
            rows.append([network, f"batch_norm={batch_norm}", s[batch_norm], best[batch_norm],
                         1e3 * s[batch_norm] / n_batches])
        ratios.append(Ratio(f"skdnn batch_norm / plain, s per epoch, {network}",
                            s[True] / s[False], best=best[True] / best[False]))
        raw[network] = {str(k): v for k, v in times.items()}
    # X and y are the wide network's, the last of NETWORKS.
    models = {bn: minibatch.fit_quietly(model("wide (256, 128)", bn, 1), X, y)
              for bn in (False, True)}
    predict = {bn: (lambda clf=clf: timed(clf.predict_proba, X)) for bn, clf in models.items()}
    times = alternate(predict, repeats)
    s = {k: median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    for batch_norm in (False, True):
        rows.append(["wide (256, 128)", f"predict_proba, batch_norm={batch_norm}",
                     s[batch_norm], best[batch_norm], "-"])
    ratios.append(Ratio("skdnn batch_norm / plain, predict_proba, wide (256, 128)",
                        s[True] / s[False], best=best[True] / best[False]))
    raw["predict_proba"] = {str(k): v for k, v in times.items()}
    section = Section(
        key="batch_norm",
        title="Batch normalisation: its cost per epoch at equal work",
        setup=[(f"Data: random, 10 classes; deep narrow: {sizes['deep narrow (32,) * 10']} x 64, "
                f"batches of 64; wide: {sizes['wide (256, 128)']} x 784, batches of "
                f"{minibatch.BATCH}. Adam at 0.001, float64, alpha=0, tol=None."),
               (f"Each run is fit(max_iter={epochs}) from the same seed, divided by {epochs}; "
                f"median of {repeats} runs, the two settings alternated; predict_proba on "
                "the wide network's training rows.")],
        headers=["network", "setting", "s / epoch (median)", "s / epoch (best)", "ms / step"],
        rows=rows, ratios=ratios)
    section.raw = raw
    return section


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batch_norm",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed fits per setting (default 5; 2 with --quick)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per timed fit (default 2; 1 with --quick)")
    parser.add_argument("--samples", type=int, default=None,
                        help="rows of X for both networks (default 12800 and 10000)")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads")
    args = parser.parse_args(argv)
    print(machine_line(), flush=True)
    with blas_threads(args.threads):
        section = run(args.quick, args.repeats, args.epochs, args.samples)
    print(section.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
