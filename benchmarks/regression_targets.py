"""``python -m benchmarks.regression_targets``: raw regression targets, with and without
``normalize_y``.

R² of ``Pipeline(StandardScaler(), model)`` in 5-fold cross-validation (the
same folds for every model) on diabetes and ``make_regression``, both with y as
loaded, for ``LLayerRegressor`` with its current defaults and with
``MLPRegressor``'s settings, each with ``normalize_y=False`` (training on y as
given, skdnn before ``normalize_y``) and ``True``; ``MLPRegressor`` with its
defaults for reference. About a minute on two cores.
"""

import time
import warnings

import numpy as np
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import LLayerRegressor

MLP_LIKE = dict(hidden_layer_sizes=(100,), solver="adam", learning_rate=1e-3, batch_size=200,
                max_iter=200, tol=1e-4, alpha=1e-4)
DATASETS = {"diabetes": lambda: load_diabetes(return_X_y=True),
            "make_regression": lambda: make_regression(1000, 20, noise=10, random_state=0)}


def models():
    """The models compared, by name."""
    return {
        "skdnn defaults, normalize_y=False": LLayerRegressor(normalize_y=False, random_state=0),
        "skdnn defaults, normalize_y=True": LLayerRegressor(normalize_y=True, random_state=0),
        "skdnn MLP-like, normalize_y=False": LLayerRegressor(**MLP_LIKE, normalize_y=False,
                                                             random_state=0),
        "skdnn MLP-like, normalize_y=True": LLayerRegressor(**MLP_LIKE, normalize_y=True,
                                                            random_state=0),
        "MLPRegressor defaults": MLPRegressor(random_state=0),
    }


def main():
    """Print one Markdown table: mean R² (worst fold) and fit time per data set and model."""
    print("| data set | model | mean R² | worst fold | seconds |")
    print("| --- | --- | --- | --- | --- |")
    for data_name, load in DATASETS.items():
        X, y = load()
        folds = KFold(5, shuffle=True, random_state=0)
        for name, model in models().items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                scores = cross_val_score(make_pipeline(StandardScaler(), model), X, y,
                                         cv=folds)
            seconds = time.perf_counter() - start
            print(f"| {data_name} | {name} | {np.mean(scores):.3f} | {np.min(scores):.3g} "
                  f"| {seconds:.1f} |")


if __name__ == "__main__":
    main()
