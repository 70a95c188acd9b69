"""How an epoch's cost grows with the work: ``python -m benchmarks.scaling``.

Times one epoch of the mini-batch benchmark's training (Adam, batches of 128,
float64, 784 features, 10 classes) for skdnn, ``MLPClassifier``, the PyTorch
CPU loop (when torch is installed) and the epoch's matrix products alone,
first against the number of samples (layers (256, 128)), then against the
width ``w`` of two hidden layers (w, w) on a fixed number of samples. At
every point the contenders run alternately; the figure shows the medians.
It prints the measurements as a Markdown table and writes the figure
(``docs/_static/benchmark_scaling.png`` by default; needs matplotlib).
``--threads N`` runs every contender on N threads (BLAS through threadpoolctl,
PyTorch through ``torch.set_num_threads``), which keeps the curves readable
on a machine shared with other work.
"""

import argparse
import contextlib
import sys
from pathlib import Path

from benchmarks import minibatch, torch_peer
from benchmarks._harness import alternate, machine_line, markdown_table, median, timed

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "_static" / "benchmark_scaling.png"
NAMES = {"skdnn": "skdnn LLayerClassifier", "mlp": "MLPClassifier",
         "torch": "PyTorch CPU loop", "products": "matrix products alone"}


def contenders(X, y, layers):
    """The epoch of every contender on ``X``, ``y`` with hidden ``layers``."""
    found = {
        "skdnn": lambda: timed(minibatch.fit_quietly, minibatch.skdnn_model(layers=layers),
                               X, y),
        "mlp": lambda: timed(minibatch.fit_quietly, minibatch.mlp_model(layers=layers), X, y),
        "products": minibatch.products_epoch(X, layers),
    }
    if torch_peer.available():
        found["torch"] = minibatch.torch_epoch(X, y, layers)
    return found


def sweep(points, repeats):
    """Median epoch time of every contender at every point.

    Parameters
    ----------
    points : list of (int, tuple of int)
        ``(n_samples, hidden layer sizes)``.
    repeats : int

    Returns
    -------
    seconds : list of dict of str to float
        One dict per point, by contender.
    """
    X_all, y_all = minibatch.make_data(max(n for n, _ in points))
    # One untimed epoch of each contender first: imports, BLAS buffers.
    alternate(contenders(X_all[:1000], y_all[:1000], points[0][1]), 0)
    seconds = []
    for n, layers in points:
        times = alternate(contenders(X_all[:n], y_all[:n], layers), repeats, warmup=False)
        seconds.append({name: median(values) for name, values in times.items()})
        print(f"  {n} samples, layers {layers}: "
              + ", ".join(f"{k} {v:.3f} s" for k, v in seconds[-1].items()), flush=True)
    return seconds


@contextlib.contextmanager
def _threads(n):
    """Limit NumPy's BLAS and PyTorch to ``n`` threads inside the block (None: no limit)."""
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    torch_threads = None
    if torch_peer.available():
        import torch
        torch_threads = torch.get_num_threads()
        torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n, user_api="blas"):
            yield
    finally:
        if torch_threads is not None:
            torch.set_num_threads(torch_threads)


def plot(samples, by_samples, widths, by_width, n_fixed, path, title):
    """Write the two-panel figure to ``path``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    styles = {"skdnn": "o-", "mlp": "s-", "torch": "^-", "products": "k--"}
    for axis, xs, results in ((left, samples, by_samples), (right, widths, by_width)):
        for name in results[0]:
            axis.plot(xs, [r[name] for r in results], styles[name], label=NAMES[name])
        axis.set_xscale("log")
        axis.set_xticks(xs, [str(x) for x in xs], minor=False)
        axis.minorticks_off()
        axis.set_yscale("log")
        axis.set_ylabel("seconds per epoch (median)")
        axis.grid(True, which="both", alpha=0.3)
    left.set_xlabel("samples (layers 256, 128)")
    right.set_xlabel(f"width w of layers (w, w), {n_fixed} samples")
    left.legend()
    figure.suptitle(title)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs per point")
    parser.add_argument("--output", default=str(OUTPUT), help="where to write the PNG")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads of every contender; default: each library's own choice")
    args = parser.parse_args(argv)
    if args.quick:
        samples, widths, n_fixed = [128, 256], [8, 16], 128
    else:
        samples, widths, n_fixed = [1250, 2500, 5000, 10000, 20000], [32, 64, 128, 256, 512], 5000
    print(machine_line(), flush=True)
    with _threads(args.threads):
        by_samples = sweep([(n, (256, 128)) for n in samples], args.repeats)
        by_width = sweep([(n_fixed, (w, w)) for w in widths], args.repeats)
    names = list(by_samples[0])
    rows = [[f"{n} samples, (256, 128)", *[r[k] for k in names]]
            for n, r in zip(samples, by_samples)]
    rows += [[f"{n_fixed} samples, ({w}, {w})", *[r[k] for k in names]]
             for w, r in zip(widths, by_width)]
    print("\n".join(markdown_table(["point", *[f"{NAMES[k]} s" for k in names]], rows)))
    threads = "each library's own threads" if args.threads is None else f"{args.threads} thread(s)"
    plot(samples, by_samples, widths, by_width, n_fixed, args.output,
         f"One epoch of mini-batch Adam, batch 128, float64, 784 features; {threads}")
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
