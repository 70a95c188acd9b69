"""Compare two versions of skdnn in one process: ``python -m benchmarks.compare``.

On a machine whose speed drifts from minute to minute, two benchmark runs
made minutes apart can differ by more than the change being measured. This
tool imports a second copy of ``skdnn`` (from a git revision or a folder)
under the package name ``skdnn_other``, next to the working tree's, and times
both versions' ``LLayerClassifier.fit`` alternately in short trials, on the
public API only: the course run (full-batch gradient descent on the cat
images, or data of their shape) and a mini-batch Adam epoch. The verdict of
each workload is the median of the per-trial ratios, each from two fits
seconds apart.

    python -m benchmarks.compare --rev HEAD~1            # working tree / HEAD~1
    python -m benchmarks.compare --path ../other/skdnn   # working tree / a folder

``--noop-callback`` sets a callback that does nothing on the working tree's
fits only (scikit-learn 1.9): the ratio is then the cost of reporting each
epoch and mini-batch to callbacks (``--path skdnn`` compares with the same
code without callbacks).
"""

import argparse
import importlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import course, minibatch

OTHER = "skdnn_other"
WORKLOADS = ("course", "minibatch")
_ABSOLUTE_IMPORT = re.compile(r"^(\s*)(from|import) skdnn\b", re.MULTILINE)


def load_other(rev=None, path=None):
    """Import another version of skdnn as the package ``skdnn_other``.

    Parameters
    ----------
    rev : str, optional
        A git revision of this repository; its ``skdnn`` folder is used.
    path : str or Path, optional
        A folder holding another version's ``skdnn`` package.

    Returns
    -------
    package : module
        ``skdnn_other``; absolute imports of ``skdnn`` inside it are renamed
        so that the copy never reaches back into the working tree's package.
    """
    folder = Path(tempfile.mkdtemp(prefix="skdnn-compare-"))
    target = folder / OTHER
    if rev is not None:
        archive = subprocess.run(["git", "archive", rev, "skdnn"], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        (folder / "skdnn").rename(target)
    else:
        shutil.copytree(path, target, ignore=shutil.ignore_patterns("__pycache__"))
    for source in target.rglob("*.py"):
        text = source.read_text()
        source.write_text(_ABSOLUTE_IMPORT.sub(rf"\1\2 {OTHER}", text))
    sys.path.insert(0, str(folder))
    return importlib.import_module(OTHER)


class NoOpCallback:
    """A scikit-learn callback whose hooks do nothing: what reporting to one costs."""

    def setup(self, estimator, context):
        """Nothing to set up."""

    def teardown(self, estimator, context):
        """Nothing to tear down."""

    def on_fit_task_begin(self, estimator, context):
        """Nothing to do when a task begins."""

    def on_fit_task_end(self, estimator, context):
        """Nothing to do when a task ends; never asks to stop."""


def fits(package, workload, course_iterations, n_samples, callbacks=()):
    """A callable fitting ``package``'s ``LLayerClassifier`` on ``workload``'s data."""
    estimator = package.LLayerClassifier

    def with_callbacks(model):
        return model.set_callbacks(*callbacks) if callbacks else model

    if workload == "course":
        X, y, _ = course.load_data()
        return lambda: with_callbacks(course.course_model(estimator, course_iterations)).fit(X, y)
    X, y = minibatch.make_data(n_samples)
    return lambda: minibatch.fit_quietly(
        with_callbacks(minibatch.skdnn_model(estimator=estimator)), X, y)


def compare(this, other, trials, clock=time.perf_counter):
    """Time ``this`` and ``other`` alternately, ``trials`` times each.

    Parameters
    ----------
    this, other : callable
        Each runs one fit.
    trials : int
    clock : callable, default=time.perf_counter
        Reads the time; ``time.process_time`` counts this process's CPU
        time (all its threads), which other programs on a shared machine
        disturb less than the wall clock.

    Returns
    -------
    ratios : list of float
        ``this / other`` of each trial.
    times : dict of str to list of float
        Seconds of each fit, under ``"this"`` and ``"other"``.
    """
    contenders = {"this": this, "other": other}
    for run in contenders.values():
        run()  # warm-up: imports, BLAS buffers
    times = {name: [] for name in contenders}
    for trial in range(trials):
        for name in ("this", "other") if trial % 2 == 0 else ("other", "this"):
            start = clock()
            contenders[name]()
            times[name].append(clock() - start)
    return [a / b for a, b in zip(times["this"], times["other"])], times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--rev", help="git revision of the other version")
    which.add_argument("--path", help="folder of the other version's skdnn package")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated subset of {', '.join(WORKLOADS)}")
    parser.add_argument("--trials", type=int, default=20, help="fits per version")
    parser.add_argument("--course-iterations", type=int, default=20,
                        help="gradient-descent iterations of each course fit")
    parser.add_argument("--samples", type=int, default=20000,
                        help="rows of the mini-batch data (one epoch per fit)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time CPU seconds of this process instead of the wall clock")
    parser.add_argument("--noop-callback", action="store_true",
                        help="set a callback that does nothing on the working tree's fits")
    args = parser.parse_args(argv)
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    if set(workloads) - set(WORKLOADS):
        parser.error(f"choose workloads from {list(WORKLOADS)}")
    import skdnn

    other = load_other(args.rev, args.path)
    for workload in workloads:
        callbacks = (NoOpCallback(),) if args.noop_callback else ()
        ratios, times = compare(fits(skdnn, workload, args.course_iterations, args.samples,
                                     callbacks),
                                fits(other, workload, args.course_iterations, args.samples),
                                args.trials,
                                time.process_time if args.cpu_time else time.perf_counter)
        for name, values in times.items():
            print(f"{workload} {name} s / fit: median {statistics.median(values):.4f}, "
                  f"best {min(values):.4f}")
        q1, q3 = np.percentile(ratios, [25, 75])
        print(f"{workload} this / other, median of {len(ratios)} paired ratios: "
              f"{statistics.median(ratios):.3f} (quartiles {q1:.3f}, {q3:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
