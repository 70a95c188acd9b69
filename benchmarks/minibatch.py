"""Benchmark 2: one epoch of mini-batch Adam, float64 and float32.

Random data of MNIST's shape (60000 x 784, 10 classes), layers (256, 128),
Adam with batches of 128 and learning rate 0.001; each timed run is one
``fit`` with ``max_iter=1`` (one epoch, shuffled), for skdnn and
``MLPClassifier`` with the same settings, in both dtypes, alternated.

A third contender, in float64, is the work no implementation of this step
can skip, alone: the batch gather, the step's matrix products (recorded from
skdnn, replayed in its layouts) and the nine memory passes of skdnn's Adam.
It is this benchmark's floor, as the products alone are the course run's:
``skdnn / floor`` is what skdnn spends on everything else, and
``floor / MLPClassifier`` is the best ratio a NumPy engine could reach in
that run.
"""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from benchmarks._harness import Ratio, Section, alternate, median, timed
from benchmarks.course import gradient_buffers, record_products, run_plan
from skdnn import LLayerClassifier
from skdnn.engine import Adam

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


def engine_trainer(engine, X, y):
    """Train this benchmark's network with ``engine`` directly, as ``fit`` does.

    Parameters
    ----------
    engine : module
        ``skdnn.engine``, or another version of it.
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)

    Returns
    -------
    train : callable
        ``train(start, rows, seed)`` takes the mini-batch Adam steps of one
        shuffled pass over ``rows`` rows of ``X`` from ``start``; the
        parameters, workspace and optimiser carry over from call to call.
    """
    Y = np.asfortranarray(np.eye(N_CLASSES, dtype=X.dtype)[y].T)
    dims = [X.shape[1], *LAYERS, N_CLASSES]
    parameters = engine.initialize_network(dims, "glorot_uniform", np.random.RandomState(0),
                                           X.dtype)
    workspace, optimizer = engine.Workspace(), engine.Adam(LEARNING_RATE)
    activations = ["relu"] * len(LAYERS) + ["softmax"]

    def train(start, rows, seed):
        engine.train_epoch(X[start:start + rows].T, Y[:, start:start + rows], parameters,
                           activations, optimizer, BATCH, True, np.random.RandomState(seed),
                           workspace=workspace)

    return train


class FloorStep:
    """The work no implementation of a mini-batch step can skip, in three parts.

    :meth:`gather` copies a batch's rows into the engine's own batch buffer,
    :meth:`products` replays the step's matrix products as recorded from
    skdnn (in its layouts and buffers), :meth:`adam` takes one step of
    skdnn's Adam. Everything else a step does (biases, activations, loss,
    output delta, Python bookkeeping) is left out. Build one with
    :meth:`record`.

    Attributes
    ----------
    parameters, grads : dict of ndarray
        The recorded model's parameters, which the products read and
        :meth:`adam` updates, and the gradients it reads: for the weights,
        the buffers the products write.
    flops : int
        Floating-point operations of one call of :meth:`products`.
    """

    def __init__(self, plan, batch, parameters, grads):
        self._plan, self._batch = plan, batch
        self.parameters, self.grads = parameters, grads
        self.flops = sum(2 * a.shape[0] * a.shape[1] * b.shape[1] for _, a, b, _ in plan)
        self.new_optimizer()

    @classmethod
    def record(cls, X):
        """Record skdnn's step on the first rows of ``X``; ``None`` if that fails.

        The step keeps the recorded model's own arrays: Adam updates the
        weights the products read, from the gradients the products wrote, in
        the gradients' memory. That moves the same data between the two
        cores as skdnn's step, where a copy of the weights would stay cached.
        """
        n_record = 2 * BATCH  # two steps: the first is gathered into the batch buffer
        labels = np.arange(n_record) % N_CLASSES
        model = skdnn_model()
        calls = record_products(lambda: fit_quietly(model, X[:n_record], labels))
        if calls is None or len(calls) % 2:
            return None
        plan = [("", a, b, out) for a, b, out in calls[:len(calls) // 2]]
        batch = plan[0][2].T  # the first product is W1 @ X_batch.T
        parameters = model.parameters_
        if (batch.shape != (BATCH, X.shape[1]) or not batch.flags.c_contiguous
                or plan[0][1] is not parameters["W1"]):
            return None
        # The bias gradients are not products: any array of their shape stands in.
        grads = {"d" + name: np.full_like(p, 1e-3) for name, p in parameters.items()}
        written = gradient_buffers(plan, parameters)
        if len(written) != len(parameters) // 2:
            return None
        grads.update(written)
        return cls(plan, batch, parameters, grads)

    def new_optimizer(self):
        """Start Adam afresh, as every ``fit`` does."""
        self._optimizer = Adam(LEARNING_RATE)

    def gather(self, X, index):
        """Copy the rows ``index`` of ``X`` into the batch buffer."""
        np.take(X, index, axis=0, out=self._batch[:len(index)], mode="clip")

    def products(self):
        """The step's matrix products."""
        run_plan(self._plan, 1)

    def adam(self):
        """One step of skdnn's Adam on the parameters."""
        optimizer = self._optimizer
        optimizer.update(self.parameters, self.grads, scratch=True,
                         gradient_scale=optimizer.gradient_scale)


def floor_epoch(X):
    """A callable timing one epoch of :class:`FloorStep` on ``X``, or None.

    ``None`` when the products could not be recorded.
    """
    floor = FloorStep.record(X)
    if floor is None:
        return None
    rng = np.random.default_rng(0)

    def epoch():
        floor.new_optimizer()
        order = rng.permutation(X.shape[0])
        start = time.perf_counter()
        for first in range(0, X.shape[0], BATCH):
            floor.gather(X, order[first:first + BATCH])
            floor.products()
            floor.adam()
        return time.perf_counter() - start

    return epoch


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
    floor = floor_epoch(X64)
    if floor is not None:
        contenders["floor", "float64"] = floor
    times = alternate(contenders, repeats)
    s = {k: median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    n_batches = -(-n // BATCH)

    def ratio(label, a, b, op=None, target=None):
        return Ratio(label, s[a] / s[b], op, target, best[a] / best[b])

    names = {"skdnn": "skdnn LLayerClassifier", "mlp": "MLPClassifier",
             "floor": "floor: gather, products and Adam alone"}
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
                ratio("MLPClassifier float32 / float64", ("mlp", "float32"), ("mlp", "float64")),
                *([ratio("skdnn / floor, float64", ("skdnn", "float64"), ("floor", "float64")),
                   ratio("floor / MLPClassifier, float64", ("floor", "float64"),
                         ("mlp", "float64"))] if floor is not None else [])],
    )
    section.raw = {"times": {f"{k[0]} {k[1]}": v for k, v in times.items()}, "n_samples": n}
    return section
