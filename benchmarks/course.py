"""Benchmark 1: the course run, full-batch gradient descent on the cat images.

Contenders, for the same number of iterations of the same network
(12288 -> 20 -> 7 -> 5 -> 1, ReLU hidden layers, sigmoid output, learning
rate 0.0075), each timed as a whole call:

- skdnn: ``LLayerClassifier(**COURSE_SETTINGS, random_state=1, max_iter=N).fit(X, y)``, and
  the course's own function as skdnn ships it, ``skdnn.engine.L_layer_model``;
- the course-style loop (:mod:`benchmarks.course_loop`), in the course
  layout, ``X`` a C-ordered (12288, 209) array;
- ``MLPClassifier`` doing the same work (plain full-batch SGD, no momentum);
- a PyTorch CPU loop (:mod:`benchmarks.torch_peer`), when torch is installed;
- the matrix products alone (:class:`benchmarks.products.ProductPlan`, from
  the layer sizes), with and without gradient descent's update of the weights;
- skdnn with a callback that does nothing (scikit-learn 1.9 and later): what
  the callbacks' hooks cost per epoch, an upper bound on what a fit without
  callbacks pays for them.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from benchmarks import course_loop, torch_peer
from benchmarks._harness import Ratio, Section, alternate, median, timed
from benchmarks.products import ProductPlan
from skdnn import COURSE_SETTINGS, LLayerClassifier
from skdnn.engine import L_layer_model

LAYERS = (20, 7, 5)
LEARNING_RATE = course_loop.LEARNING_RATE


def course_model(estimator=LLayerClassifier, max_iter=2500):
    """``estimator`` with the course's settings (:data:`skdnn.COURSE_SETTINGS`), seed 1."""
    return estimator(**{**COURSE_SETTINGS, "learning_rate": LEARNING_RATE, "max_iter": max_iter},
                     random_state=1)


def load_data():
    """The cat training images, or random data of the same shape without them.

    Returns
    -------
    X : ndarray of shape (209, 12288), C-ordered float64
    y : ndarray of shape (209,)
    source : str
    """
    try:
        from skdnn.datasets import load_catvnoncat
        X, y = load_catvnoncat("train", return_X_y=True)
        return np.ascontiguousarray(X, dtype=np.float64), y, "cat images (SKDNN_DATA)"
    except (FileNotFoundError, ValueError, ImportError, OSError):
        rng = np.random.RandomState(0)
        X = rng.randint(0, 256, size=(209, 12288)) / 255.0
        y = rng.randint(0, 2, size=209)
        return X, y, "random data of the cat images' shape (cat images not found)"


class NoOpCallback:
    """A ``sklearn.callback.FitCallback`` whose hooks do nothing."""

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        pass


def mlp_model(n_samples, n_iter):
    """``MLPClassifier`` set to the course run's work: full-batch SGD, no extras."""
    return MLPClassifier(hidden_layer_sizes=LAYERS, solver="sgd", momentum=0.0,
                         batch_size=n_samples, learning_rate_init=LEARNING_RATE, alpha=0.0,
                         shuffle=False, tol=0.0, n_iter_no_change=n_iter, max_iter=n_iter,
                         random_state=1)


def _close(a, b):
    return all(np.allclose(a[k], b[k], rtol=1e-6, atol=1e-9) for k in a)


def _max_difference(a, b):
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


def _checks(X, y, X_course, Y_course, dims, n_iter):
    """Lines saying whether the peers compute what skdnn computes."""
    skdnn = course_model(max_iter=n_iter).fit(X, y).parameters_
    course, _ = course_loop.L_layer_model(X_course, Y_course, dims, LEARNING_RATE, n_iter)
    lines = [f"Check: the course-style loop and skdnn reach the same parameters after "
             f"{n_iter} iterations: {'yes' if _close(course, skdnn) else 'NO'} "
             f"(max abs difference {_max_difference(course, skdnn):.1e})."]
    if torch_peer.available():
        initial = course_loop.initialize_parameters_deep(dims)
        model = torch_peer.full_batch_gd(initial, X, y, LEARNING_RATE, n_iter)
        linears = [m for m in model if hasattr(m, "weight")]
        torch_parameters = {}
        for l, linear in enumerate(linears, start=1):
            torch_parameters[f"W{l}"] = linear.weight.detach().numpy()
            torch_parameters[f"b{l}"] = linear.bias.detach().numpy().reshape(-1, 1)
        lines.append(f"Check: the PyTorch loop, from the same initial weights, reaches them "
                     f"too: {'yes' if _close(torch_parameters, skdnn) else 'NO'} (max abs "
                     f"difference {_max_difference(torch_parameters, skdnn):.1e}).")
    return lines


def run(quick=False, repeats=None, iterations=None):
    """Run the course benchmark and return its :class:`Section`."""
    repeats = repeats or (2 if quick else 5)
    n_iter = iterations or (2 if quick else 100)
    X, y, source = load_data()
    X_course = np.ascontiguousarray(X.T)          # the course layout, (12288, 209)
    Y_course = y.reshape(1, -1).astype(np.float64)
    dims = [X.shape[1], *LAYERS, 1]
    plan = ProductPlan(X.shape[0], dims, X=X)
    initial = course_loop.initialize_parameters_deep(dims)

    def mlp():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return timed(mlp_model(X.shape[0], n_iter).fit, X, y)

    def steps(step, *args):
        def iterations():
            for _ in range(n_iter):
                step(*args)
        return lambda: timed(iterations)

    contenders = {
        "skdnn": lambda: timed(course_model(max_iter=n_iter).fit,
                               X, y),
        "engine": lambda: timed(L_layer_model, X_course, Y_course, dims, LEARNING_RATE, n_iter),
        "course": lambda: timed(course_loop.L_layer_model, X_course, Y_course, dims,
                                LEARNING_RATE, n_iter),
        "mlp": mlp,
        "products": steps(plan.step),
        "update": steps(plan.step_and_update, LEARNING_RATE),
    }
    if hasattr(LLayerClassifier, "set_callbacks"):
        contenders["callback"] = lambda: timed(
            course_model(max_iter=n_iter)
            .set_callbacks(NoOpCallback()).fit, X, y)
    if torch_peer.available():
        contenders["torch"] = lambda: timed(torch_peer.full_batch_gd, initial, X, y,
                                            LEARNING_RATE, n_iter)
    with np.errstate(all="ignore"):  # the course's log(AL) may meet AL == 0 on random data
        times = alternate(contenders, repeats)
    ms = {k: 1e3 * median(v) / n_iter for k, v in times.items()}
    best = {k: 1e3 * min(v) / n_iter for k, v in times.items()}

    labels = {"skdnn": "skdnn LLayerClassifier.fit",
              "engine": "skdnn.engine.L_layer_model (the course's function)",
              "course": "course-style NumPy loop",
              "mlp": "MLPClassifier(solver='sgd').fit",
              "torch": "PyTorch CPU loop (nn.Sequential, SGD)",
              "products": f"matrix products alone ({len(plan.products)} per iteration)",
              "update": "matrix products and the weights' update",
              "callback": "skdnn LLayerClassifier.fit with a no-op callback"}
    rows = [[labels[k], ms[k], best[k], plan.flops / (ms[k] * 1e-3) / 1e9] for k in contenders]

    def ratio(label, peer, op=None, target=None):
        return Ratio(label, ms["skdnn"] / ms[peer], op, target, best["skdnn"] / best[peer])

    ratios = [ratio("skdnn / MLPClassifier", "mlp", "<=", 0.8),
              ratio("skdnn / course-style loop", "course", "<=", 0.55)]
    if "torch" in contenders:
        ratios.append(ratio("skdnn / PyTorch CPU loop", "torch", "<=", 1.0))
    if "callback" in contenders:
        ratios.append(Ratio("skdnn with a no-op callback / skdnn", ms["callback"] / ms["skdnn"],
                            best=best["callback"] / best["skdnn"]))
    ratios += [ratio("skdnn / matrix products alone", "products"),
               ratio("skdnn / matrix products and update", "update"),
               Ratio("skdnn.engine.L_layer_model / course-style loop",
                     ms["engine"] / ms["course"], best=best["engine"] / best["course"])]
    with np.errstate(all="ignore"):
        notes = _checks(X, y, X_course, Y_course, dims, n_iter)
    section = Section(
        key="course",
        title="1. Course run: full-batch gradient descent, layers (20, 7, 5)",
        setup=[(f"Data: {source}, X {X.shape[0]} x {X.shape[1]} float64; learning rate "
                f"{LEARNING_RATE}; {n_iter} iterations per run; median of {repeats} runs, "
                "contenders alternated in one process."),
               (f"GFLOP/s: the {plan.flops / 1e6:.0f} MFLOP of matrix products an iteration "
                "needs (from the layer sizes), divided by each contender's time."),
               "PyTorch: " + ("installed, timed." if "torch" in contenders
                              else "not installed, its rows are left out.")],
        headers=["contender", "ms / iteration (median)", "ms / iteration (best)", "GFLOP/s"],
        rows=rows, ratios=ratios, notes=notes)
    section.raw = {"times": times, "iterations": n_iter, "flops_per_iteration": plan.flops}
    return section
