"""``python -m benchmarks.first_hour [--quick] [--only NAME ...]``: skdnn where MLP stood.

A new user's first hour (issue 21): each data set of scikit-learn as it is
loaded, and two synthetic ones, in ``Pipeline(StandardScaler(), model)``
with 5-fold cross-validation, ``LLayerClassifier()``/``LLayerRegressor()``
with their defaults beside ``MLPClassifier()``/``MLPRegressor()`` with
theirs. Both models see the same folds and the same seed (the fold's
number); the order alternates fold by fold. Each fit is timed on its own.

Verdict per data set ("Done means" of issue 21): skdnn's mean score is at
least the peer's less 0.01 accuracy (or three samples' worth of the data
set, whichever is larger) or 0.02 R², and no skdnn fold scores below R² -1.
The last row compares the total fit times: skdnn's at most the peer's.
``--quick`` (a few hundred rows, 3 folds, 20 epochs) only shows that the
benchmark runs: its sizes carry no verdict.
"""

import argparse
import os
import time
import warnings

import numpy as np
from sklearn.datasets import (load_breast_cancer, load_diabetes, load_digits, load_iris,
                              load_wine, make_classification, make_regression)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks import _harness
from skdnn import LLayerClassifier, LLayerRegressor

DATASETS = {
    "digits": (lambda: load_digits(return_X_y=True), "classifier"),
    "wine": (lambda: load_wine(return_X_y=True), "classifier"),
    "iris": (lambda: load_iris(return_X_y=True), "classifier"),
    "breast_cancer": (lambda: load_breast_cancer(return_X_y=True), "classifier"),
    "diabetes": (lambda: load_diabetes(return_X_y=True), "regressor"),
    "make_classification": (lambda: make_classification(20000, 50, random_state=0),
                            "classifier"),
    "make_regression": (lambda: make_regression(5000, 20, noise=10.0, random_state=0),
                        "regressor"),
}
"""dict: name to ``(loader returning (X, y), kind)``; targets as generated or loaded."""

MODELS = {"classifier": (LLayerClassifier, MLPClassifier),
          "regressor": (LLayerRegressor, MLPRegressor)}
QUICK_ROWS, QUICK_FOLDS, QUICK_EPOCHS = 300, 3, 20
NO_VERDICT = "no verdict (quick)"


def load(name, quick):
    """``(X, y, kind)`` of data set ``name``, cut to a few hundred rows when ``quick``."""
    loader, kind = DATASETS[name]
    X, y = loader()
    if quick and len(y) > QUICK_ROWS:
        rows = np.random.RandomState(0).permutation(len(y))[:QUICK_ROWS]
        X, y = X[rows], y[rows]
    return X, y, kind


def _fit_and_score(model, X_train, y_train, X_test, y_test):
    """``(score, fit seconds, whether fit warned ConvergenceWarning)``."""
    pipeline = make_pipeline(StandardScaler(), model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        pipeline.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return pipeline.score(X_test, y_test), seconds, warned


def cross_validate(name, quick):
    """Each fold's ``{"skdnn"|"peer": (score, seconds, warned)}``, peers alternated."""
    X, y, kind = load(name, quick)
    n_folds = QUICK_FOLDS if quick else 5
    splitter = (StratifiedKFold if kind == "classifier" else KFold)(
        n_folds, shuffle=True, random_state=0)
    ours, peer = MODELS[kind]
    settings = {"max_iter": QUICK_EPOCHS} if quick else {}
    folds = []
    for fold, (train, test) in enumerate(splitter.split(X, y)):
        contenders = {"skdnn": ours(random_state=fold, **settings),
                      "peer": peer(random_state=fold, **settings)}
        order = list(contenders) if fold % 2 == 0 else list(contenders)[::-1]
        folds.append({who: _fit_and_score(contenders[who], X[train], y[train], X[test],
                                          y[test]) for who in order})
    return {"name": name, "kind": kind, "shape": X.shape, "folds": folds}


def verdict(result, quick):
    """``"PASS"`` or ``"MISS: why"`` for one data set by the rule of issue 21."""
    if quick:
        return NO_VERDICT
    ours = [fold["skdnn"][0] for fold in result["folds"]]
    peer = [fold["peer"][0] for fold in result["folds"]]
    if result["kind"] == "classifier":
        tolerance = max(0.01, 3 / result["shape"][0])
    else:
        tolerance = 0.02
        if min(ours) < -1:
            return f"MISS: a fold at R^2 {min(ours):.3g}"
    if np.mean(ours) < np.mean(peer) - tolerance:
        return (f"MISS: {np.mean(peer) - np.mean(ours):.3g} below the peer "
                f"(tolerance {tolerance:.3g})")
    return "PASS"


HEADERS = ["data set", "n x d", "metric", "skdnn mean (worst fold)", "peer mean (worst fold)",
           "skdnn fit s", "peer fit s", "folds warned skdnn / peer", "verdict"]


def table_row(result, quick):
    """The Markdown table's row of one data set's result."""
    cells = {who: [fold[who] for fold in result["folds"]] for who in ("skdnn", "peer")}
    scores = {who: [c[0] for c in cells[who]] for who in cells}
    return [result["name"], "{} x {}".format(*result["shape"]),
            "accuracy" if result["kind"] == "classifier" else "R^2",
            f"{np.mean(scores['skdnn']):.3f} ({min(scores['skdnn']):.3f})",
            f"{np.mean(scores['peer']):.3f} ({min(scores['peer']):.3f})",
            sum(c[1] for c in cells["skdnn"]), sum(c[1] for c in cells["peer"]),
            f"{sum(c[2] for c in cells['skdnn'])} / {sum(c[2] for c in cells['peer'])}",
            verdict(result, quick)]


def total_row(results, quick):
    """The last row: both total fit times, skdnn's at most the peer's."""
    total = {who: sum(fold[who][1] for r in results for fold in r["folds"])
             for who in ("skdnn", "peer")}
    time_verdict = NO_VERDICT if quick else (
        "PASS" if total["skdnn"] <= total["peer"] else
        f"MISS: {total['skdnn'] / total['peer']:.2f} times the peer's")
    return ["total fit time", "", "", "", "", total["skdnn"], total["peer"], "", time_verdict]


def main(argv=None):
    """Run the benchmark and print its table; returns the exit code (0 whatever the verdicts).

    Parameters
    ----------
    argv : list of str, default=None
        ``--quick`` and ``--only NAME ...``; ``sys.argv[1:]`` when None.
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.first_hour",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a few hundred rows, 3 folds, 20 epochs: runs, carries no verdict")
    parser.add_argument("--only", nargs="+", choices=list(DATASETS), default=list(DATASETS),
                        metavar="NAME", help=f"data sets to run, of {', '.join(DATASETS)}")
    args = parser.parse_args(argv)
    print(f"# First hour: skdnn's defaults where MLP's stood{' (quick)' if args.quick else ''}"
          f"\n\n{_harness.machine_line()}\n")
    print(f"Pipeline(StandardScaler(), model), {QUICK_FOLDS if args.quick else 5}-fold "
          "cross-validation (stratified for "
          "classifiers, shuffled, random_state=0), the same folds and seed for both, "
          "alternated fold by fold; LLayerClassifier()/LLayerRegressor() against "
          "MLPClassifier()/MLPRegressor(), defaults, y as loaded.\n", flush=True)
    if args.quick:
        print("Quick sizes carry no verdict: they show that the benchmark runs.\n")
    print("\n".join(_harness.markdown_table(HEADERS, [])), flush=True)
    results = []
    for name in args.only:  # each row as its data set is done
        results.append(cross_validate(name, args.quick))
        print(_harness.markdown_table(HEADERS, [table_row(results[-1], args.quick)])[-1],
              flush=True)
    print(_harness.markdown_table(HEADERS, [total_row(results, args.quick)])[-1])
    load_average = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nLoad average at the end: {load_average}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
