"""Compare two versions of the engine in one process: ``python -m benchmarks.compare``.

On a machine whose speed drifts from minute to minute, two benchmark runs
made minutes apart can differ by more than the change being measured. This
tool loads a second copy of ``skdnn`` (from a git revision or a folder) next
to the working one, and times both on mini-batch Adam epochs of the
mini-batch benchmark's network, alternating in short trials; the verdict is
the median of the per-trial ratios, each ratio taken from two runs seconds
apart.

    python -m benchmarks.compare --rev HEAD~1            # working tree / HEAD~1
    python -m benchmarks.compare --path ../other/skdnn   # working tree / a folder
"""

import argparse
import importlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.minibatch import BATCH, engine_trainer, make_data

OTHER = "skdnn_other"


def load_other(rev=None, path=None):
    """Import another version of skdnn under the name ``skdnn_other``."""
    folder = Path(tempfile.mkdtemp(prefix="skdnn-compare-"))
    target = folder / OTHER
    if rev is not None:
        archive = subprocess.run(["git", "archive", rev, "skdnn"], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        (folder / "skdnn").rename(target)
    else:
        shutil.copytree(path, target)
    sys.path.insert(0, str(folder))
    return importlib.import_module(OTHER + ".engine")


def compare(other, steps=60, trials=40, n_samples=60000):
    """Median of paired time ratios (this engine / the other), and the times.

    Returns
    -------
    ratios : list of float
    times : dict of str to list of float
        Milliseconds per step, by engine.
    """
    from skdnn import engine as this

    X, y = make_data(n_samples)
    trainers = {"this": engine_trainer(this, X, y), "other": engine_trainer(other, X, y)}
    times = {name: [] for name in trainers}
    rows = steps * BATCH
    for trial in range(trials):
        start = (trial * 7919 * BATCH) % max(1, n_samples - rows)
        order = ("this", "other") if trial % 2 == 0 else ("other", "this")
        for name in order:
            begin = time.perf_counter()
            trainers[name](start, rows, trial)
            times[name].append(1e3 * (time.perf_counter() - begin) / steps)
    ratios = [a / b for a, b in zip(times["this"], times["other"])]
    return ratios, times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--rev", help="git revision of the other version")
    which.add_argument("--path", help="folder of the other version's skdnn package")
    parser.add_argument("--steps", type=int, default=60, help="Adam steps per trial")
    parser.add_argument("--trials", type=int, default=40, help="trials per version")
    parser.add_argument("--samples", type=int, default=60000, help="rows of the data")
    args = parser.parse_args(argv)
    other = load_other(args.rev, args.path)
    ratios, times = compare(other, args.steps, args.trials, args.samples)
    for name, values in times.items():
        print(f"{name:5s} ms / step: median {statistics.median(values):.3f}, "
              f"best {min(values):.3f}")
    q1, q3 = np.percentile(ratios, [25, 75])
    print(f"this / other, median of {len(ratios)} paired ratios: "
          f"{statistics.median(ratios):.3f} (quartiles {q1:.3f}, {q3:.3f})")


if __name__ == "__main__":
    main()
