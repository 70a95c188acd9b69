"""Benchmark 2: one epoch of mini-batch Adam, float64 and float32.

Random data of MNIST's shape (60000 x 784, 10 classes), layers (256, 128),
Adam with batches of 128 and learning rate 0.001; each timed run is one
``fit`` with ``max_iter=1`` (one shuffled epoch). Contenders, alternated:
skdnn and ``MLPClassifier`` in both dtypes, a PyTorch CPU loop in both dtypes
(when torch is installed), skdnn on a pandas DataFrame of the same float64
data (column-ordered, as a DataFrame holds it; when pandas is installed),
``LLayerRegressor`` and ``MLPRegressor`` on a 10-output regression of the
same size, and the epoch's matrix products alone (each batch gathered into a
buffer, then the step's products, from the layer sizes).
"""

import importlib.util
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from benchmarks import course_loop, torch_peer
from benchmarks._harness import Ratio, Section, alternate, median, timed
from benchmarks.products import ProductPlan
from skdnn import LLayerClassifier, LLayerRegressor

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


def skdnn_model(max_iter=1, random_state=0, layers=LAYERS, estimator=LLayerClassifier):
    """skdnn's estimator set to this benchmark's training."""
    # The settings of the MLP peer below: no penalty, no stopping tolerance.
    return estimator(layers, init="xavier", solver="adam", batch_size=BATCH, alpha=0.0,
                     tol=None, learning_rate=LEARNING_RATE,
                     max_iter=max_iter, random_state=random_state)


def mlp_model(max_iter=1, random_state=0, layers=LAYERS, estimator=MLPClassifier):
    """scikit-learn's estimator set to the same training (no penalty, no early stop)."""
    return estimator(hidden_layer_sizes=layers, solver="adam", batch_size=BATCH,
                     learning_rate_init=LEARNING_RATE, alpha=0.0, shuffle=True, tol=0.0,
                     n_iter_no_change=10**9, max_iter=max_iter, random_state=random_state)


def fit_quietly(model, X, y):
    """``model.fit(X, y)``, without the warning that one epoch did not converge."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def torch_epoch(X, y, layers=LAYERS):
    """A contender timing one PyTorch epoch on ``X``, from fresh weights."""
    initial = course_loop.initialize_parameters_deep([X.shape[1], *layers, N_CLASSES])
    return lambda: timed(torch_peer.adam_epoch, initial, X, y, BATCH, LEARNING_RATE)


def products_epoch(X, layers=LAYERS, n_outputs=N_CLASSES):
    """A contender timing an epoch of matrix products alone on ``X``.

    Each step gathers a batch of shuffled rows into one buffer (every
    implementation has to bring the batch's rows together), then computes a
    full batch's products, as :class:`benchmarks.products.ProductPlan` does.
    """
    batch = np.empty((BATCH, X.shape[1]), X.dtype)
    plan = ProductPlan(BATCH, [X.shape[1], *layers, n_outputs], X.dtype, X=batch)
    rng = np.random.default_rng(0)

    def epoch():
        order = rng.permutation(X.shape[0])
        for first in range(0, X.shape[0], BATCH):
            rows = order[first:first + BATCH]
            np.take(X, rows, axis=0, out=batch[:len(rows)])
            plan.step()

    return lambda: timed(epoch)


def _dataframe(X):
    """``X`` as a pandas DataFrame holding it column by column, or None without pandas."""
    if importlib.util.find_spec("pandas") is None:
        return None
    import pandas as pd
    return pd.DataFrame(np.asfortranarray(X), columns=[f"x{i}" for i in range(X.shape[1])])


def run(quick=False, repeats=None, n_samples=None):
    """Run the mini-batch benchmark and return its :class:`Section`."""
    repeats = repeats or (2 if quick else 3)
    n = n_samples or (1000 if quick else 60000)
    X64, y = make_data(n)
    data = {"float64": X64, "float32": X64.astype(np.float32)}
    y_regression = np.eye(N_CLASSES)[y] + 0.1 * X64[:, :N_CLASSES]
    frame = _dataframe(X64)

    def fit(build, X, target=y):
        return lambda: timed(fit_quietly, build(), X, target)

    contenders = {}
    for dtype in ("float64", "float32"):
        contenders["skdnn", dtype] = fit(skdnn_model, data[dtype])
        contenders["mlp", dtype] = fit(mlp_model, data[dtype])
        if torch_peer.available():
            contenders["torch", dtype] = torch_epoch(data[dtype], y)
    if frame is not None:
        contenders["skdnn DataFrame", "float64"] = fit(skdnn_model, frame)
    contenders["skdnn regressor", "float64"] = fit(
        lambda: skdnn_model(estimator=LLayerRegressor), X64, y_regression)
    contenders["mlp regressor", "float64"] = fit(
        lambda: mlp_model(estimator=MLPRegressor), X64, y_regression)
    contenders["products", "float64"] = products_epoch(X64)
    times = alternate(contenders, repeats)
    s = {k: median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    n_batches = -(-n // BATCH)

    def ratio(label, a, b, op=None, target=None):
        return Ratio(label, s[a] / s[b], op, target, best[a] / best[b])

    names = {"skdnn": "skdnn LLayerClassifier", "mlp": "MLPClassifier",
             "torch": "PyTorch CPU loop (nn.Sequential, Adam)",
             "skdnn DataFrame": "skdnn LLayerClassifier on a DataFrame",
             "skdnn regressor": "skdnn LLayerRegressor (10 outputs)",
             "mlp regressor": "MLPRegressor (10 outputs)",
             "products": "matrix products alone (and the batch gather)"}
    rows = [[names[kind], dtype, s[kind, dtype], best[kind, dtype],
             1e3 * s[kind, dtype] / n_batches, n / s[kind, dtype]]
            for (kind, dtype) in contenders]
    f64, f32 = ("skdnn", "float64"), ("skdnn", "float32")
    ratios = [ratio("skdnn / MLPClassifier, float64", f64, ("mlp", "float64"), "<=", 0.9),
              ratio("skdnn float32 / skdnn float64", f32, f64, "<=", 0.6)]
    if torch_peer.available():
        ratios += [ratio("skdnn / PyTorch CPU loop, float64", f64, ("torch", "float64"),
                         "<=", 1.0),
                   ratio("skdnn / PyTorch CPU loop, float32", f32, ("torch", "float32"),
                         "<=", 1.0)]
    if frame is not None:
        ratios.append(ratio("skdnn DataFrame / C-ordered array, float64",
                            ("skdnn DataFrame", "float64"), f64, "<=", 1.5))
    ratios += [ratio("skdnn / MLPClassifier, float32", f32, ("mlp", "float32")),
               ratio("LLayerRegressor / MLPRegressor, float64", ("skdnn regressor", "float64"),
                     ("mlp regressor", "float64")),
               ratio("skdnn / matrix products alone, float64", f64, ("products", "float64"))]
    section = Section(
        key="minibatch",
        title="2. Mini-batch training: one epoch of Adam, layers (256, 128)",
        setup=[(f"Data: random, X {n} x 784, {N_CLASSES} classes; batch {BATCH} "
                f"({n_batches} steps per epoch), learning rate {LEARNING_RATE}, shuffled; "
                f"each run is fit(max_iter=1); median of {repeats} runs, alternated."),
               "PyTorch: " + ("installed, timed." if torch_peer.available()
                              else "not installed, its rows are left out."),
               "pandas: " + ("installed; the DataFrame holds X column by column."
                             if frame is not None else "not installed, its row is left out.")],
        headers=["contender", "dtype", "s / epoch (median)", "s / epoch (best)",
                 "ms / step", "samples / s"],
        rows=rows, ratios=ratios)
    section.raw = {"times": {f"{k[0]} {k[1]}": v for k, v in times.items()}, "n_samples": n}
    return section
