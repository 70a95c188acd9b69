"""Benchmark 2: one epoch of mini-batch Adam, float64 and float32.

Random data of MNIST's shape (60000 x 784, 10 classes), layers (256, 128),
Adam with batches of 128 and learning rate 0.001; each timed run is one
``fit`` with ``max_iter=1`` (one epoch, shuffled), for skdnn and
``MLPClassifier`` with the same settings, in both dtypes, alternated.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from benchmarks._harness import Ratio, Section, alternate, median, timed
from skdnn import LLayerClassifier

LAYERS = (256, 128)
BATCH = 128
LEARNING_RATE = 0.001
N_CLASSES = 10


def make_data(n_samples, n_features=784, n_classes=N_CLASSES, seed=0):
    """Random float64 data with learnable labels (argmax of a random linear map).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), C-ordered float64
    y : ndarray of shape (n_samples,) of int
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    y = np.argmax(X[:, :32] @ rng.standard_normal((32, n_classes)), axis=1)
    return X, y


def skdnn_model(max_iter=1, random_state=0):
    return LLayerClassifier(LAYERS, solver="adam", batch_size=BATCH, learning_rate=LEARNING_RATE,
                            max_iter=max_iter, random_state=random_state)


def mlp_model(max_iter=1, random_state=0):
    return MLPClassifier(hidden_layer_sizes=LAYERS, solver="adam", batch_size=BATCH,
                         learning_rate_init=LEARNING_RATE, alpha=0.0, shuffle=True, tol=0.0,
                         n_iter_no_change=10**9, max_iter=max_iter, random_state=random_state)


def fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def run(quick=False, repeats=None, n_samples=None):
    """Run the mini-batch benchmark and return its :class:`Section`."""
    repeats = repeats or (2 if quick else 3)
    n = n_samples or (1000 if quick else 60000)
    X64, y = make_data(n)
    X32 = X64.astype(np.float32)
    data = {"float64": X64, "float32": X32}

    def contender(kind, dtype):
        build = skdnn_model if kind == "skdnn" else mlp_model
        return lambda: timed(fit_quietly, build(), data[dtype], y)

    contenders = {(kind, dtype): contender(kind, dtype)
                  for dtype in ("float64", "float32") for kind in ("skdnn", "mlp")}
    times = alternate(contenders, repeats)
    s = {k: median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    n_batches = -(-n // BATCH)

    def ratio(label, a, b, op=None, target=None):
        return Ratio(label, s[a] / s[b], op, target, best[a] / best[b])

    names = {"skdnn": "skdnn LLayerClassifier", "mlp": "MLPClassifier"}
    rows = [[names[kind], dtype, s[kind, dtype], best[kind, dtype],
             1e3 * s[kind, dtype] / n_batches, n / s[kind, dtype]]
            for (kind, dtype) in contenders]
    section = Section(
        key="minibatch",
        title="2. Mini-batch training: one epoch of Adam, layers (256, 128)",
        setup=[(f"Data: random, X {n} x 784, {N_CLASSES} classes; batch {BATCH} "
                f"({n_batches} steps per epoch), learning rate {LEARNING_RATE}, shuffled; "
                f"each run is fit(max_iter=1); median of {repeats} runs, alternated.")],
        headers=["contender", "dtype", "s / epoch (median)", "s / epoch (best)",
                 "ms / step", "samples / s"],
        rows=rows,
        ratios=[ratio("skdnn / MLPClassifier, float64", ("skdnn", "float64"), ("mlp", "float64"),
                      "<=", 0.7),
                ratio("skdnn float32 / skdnn float64", ("skdnn", "float32"),
                      ("skdnn", "float64"), "<=", 0.6),
                ratio("skdnn / MLPClassifier, float32", ("skdnn", "float32"), ("mlp", "float32")),
                ratio("MLPClassifier float32 / float64", ("mlp", "float32"), ("mlp", "float64"))],
    )
    section.raw = {"times": {f"{k[0]} {k[1]}": v for k, v in times.items()}, "n_samples": n}
    return section
