"""Benchmark 1: the course run, full-batch gradient descent on the cat images.

Contenders, for the same number of iterations of the same network
(12288 -> 20 -> 7 -> 5 -> 1, ReLU hidden layers, sigmoid output, learning
rate 0.0075):

- skdnn: ``LLayerClassifier(random_state=1, max_iter=N).fit(X, y)``;
- the course-style loop below: the course's functions written naively, as a
  student would (fresh arrays at every step, ``dA0`` computed, ``np.dot``,
  ``copy.deepcopy`` in ``update_parameters``, ``X`` in the course layout,
  a C-ordered (12288, 209) array);
- ``MLPClassifier`` doing the same work (plain full-batch SGD, no momentum);
- the matrix products alone: exactly the products one skdnn iteration needs,
  in skdnn's layouts (``W1 @ X.T`` with ``X`` C-ordered (209, 12288),
  ``dZ1 @ X``, and the small layers), into preallocated outputs. That is the
  floor the engine's overhead is measured against.
"""

import copy
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from benchmarks._harness import Ratio, Section, alternate, median, timed
from skdnn import LLayerClassifier

LAYERS = (20, 7, 5)
LEARNING_RATE = 0.0075


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
        return np.ascontiguousarray(X), y, "cat images (SKDNN_DATA)"
    except (FileNotFoundError, ValueError, ImportError):
        rng = np.random.RandomState(0)
        X = rng.randint(0, 256, size=(209, 12288)) / 255.0
        y = rng.randint(0, 2, size=209)
        return X, y, "random data of the cat images' shape (cat images not found)"


# --- The course-style baseline: the course's functions, written naively. ---

def course_initialize_parameters_deep(layer_dims):
    rng = np.random.RandomState(1)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = rng.randn(layer_dims[l], layer_dims[l - 1]) / np.sqrt(
            layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def course_sigmoid(Z):
    return 1 / (1 + np.exp(-Z)), Z


def course_relu(Z):
    return np.maximum(0, Z), Z


def course_linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    return Z, (A, W, b)


def course_linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = course_linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = course_sigmoid(Z)
    else:
        A, activation_cache = course_relu(Z)
    return A, (linear_cache, activation_cache)


def course_L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = course_linear_activation_forward(A, parameters["W" + str(l)],
                                                    parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = course_linear_activation_forward(A, parameters["W" + str(L)],
                                                 parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches


def course_compute_cost(AL, Y):
    m = Y.shape[1]
    cost = (-1 / m) * np.sum(np.multiply(Y, np.log(AL)) + np.multiply(1 - Y, np.log(1 - AL)))
    return np.squeeze(cost)


def course_relu_backward(dA, cache):
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def course_sigmoid_backward(dA, cache):
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    return dA * s * (1 - s)


def course_linear_backward(dZ, cache):
    A_prev, W, _ = cache
    m = A_prev.shape[1]
    dW = 1 / m * np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def course_linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = course_relu_backward(dA, activation_cache)
    else:
        dZ = course_sigmoid_backward(dA, activation_cache)
    return course_linear_backward(dZ, linear_cache)


def course_L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    current_cache = caches[L - 1]
    dA_prev, dW, db = course_linear_activation_backward(dAL, current_cache, "sigmoid")
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = dA_prev, dW, db
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = course_linear_activation_backward(grads["dA" + str(l + 1)],
                                                            caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = \
            dA_prev, dW, db
    return grads


def course_update_parameters(params, grads, learning_rate):
    parameters = copy.deepcopy(params)
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l + 1)] = (parameters["W" + str(l + 1)]
                                        - learning_rate * grads["dW" + str(l + 1)])
        parameters["b" + str(l + 1)] = (parameters["b" + str(l + 1)]
                                        - learning_rate * grads["db" + str(l + 1)])
    return parameters


def course_L_layer_model(X, Y, layers_dims, learning_rate=LEARNING_RATE, num_iterations=3000):
    """The course's ``L_layer_model`` loop (without printing)."""
    costs = []
    parameters = course_initialize_parameters_deep(layers_dims)
    for i in range(num_iterations):
        AL, caches = course_L_model_forward(X, parameters)
        cost = course_compute_cost(AL, Y)
        grads = course_L_model_backward(AL, Y, caches)
        parameters = course_update_parameters(parameters, grads, learning_rate)
        if i % 100 == 0:
            costs.append(cost)
    return parameters, costs


# --- The matrix products of one skdnn iteration, alone. ---

def product_plan(X, layers, n_outputs=1, dtype=np.float64, seed=0):
    """Operands and outputs of every matrix product of one skdnn GD iteration.

    Layouts are skdnn's: examples are columns, the input is ``X.T`` (a view of
    the C-ordered scikit-learn ``X``), weights ``W`` are C-ordered
    ``(n_l, n_{l-1})``.

    Returns
    -------
    plan : list of (str, ndarray, ndarray, ndarray)
        ``(name, a, b, out)`` for ``np.matmul(a, b, out=out)``.
    flops : float
        Floating-point operations of the plan (2 per multiply-add).
    """
    rng = np.random.RandomState(seed)
    m = X.shape[0]
    dims = [X.shape[1], *layers, n_outputs]
    L = len(dims) - 1
    W = [None] + [rng.randn(dims[l], dims[l - 1]).astype(dtype) for l in range(1, L + 1)]
    A = [X.T] + [np.abs(rng.randn(dims[l], m)).astype(dtype) for l in range(1, L + 1)]
    dZ = [None] + [rng.randn(dims[l], m).astype(dtype) for l in range(1, L + 1)]
    plan = []
    for l in range(1, L + 1):
        plan.append((f"W{l} @ A{l - 1}", W[l], A[l - 1], np.empty((dims[l], m), dtype)))
    for l in range(L, 0, -1):
        plan.append((f"dZ{l} @ A{l - 1}.T", dZ[l], A[l - 1].T, np.empty(W[l].shape, dtype)))
        if l > 1:
            plan.append((f"W{l}.T @ dZ{l}", W[l].T, dZ[l], np.empty((dims[l - 1], m), dtype)))
    flops = float(sum(2 * a.shape[0] * a.shape[1] * b.shape[1] for _, a, b, _ in plan))
    return plan, flops


def run_plan(plan, iterations):
    for _ in range(iterations):
        for _, a, b, out in plan:
            np.matmul(a, b, out=out)


def _order(a):
    if a.flags.c_contiguous:
        return "C"
    return "F" if a.flags.f_contiguous else "strided"


def _describe(a, b, out):
    return (f"({a.shape[0]}x{a.shape[1]} {_order(a)}) @ ({b.shape[0]}x{b.shape[1]} {_order(b)})"
            f" -> {'new' if out is None else _order(out)}")


def record_products(fit):
    """Every matrix product skdnn computes while ``fit()`` runs, in order.

    Wraps skdnn's matrix-product helper (``skdnn.engine.propagation._matmul``)
    and keeps every call's operands and output buffer: replaying them times
    exactly the products skdnn computes, in the layouts (and the very
    buffers) it uses, whatever the engine's layout choices are.

    Parameters
    ----------
    fit : callable
        Runs a fit; called once, with no argument.

    Returns
    -------
    calls : list of (ndarray, ndarray, ndarray or None), or None
        ``(a, b, out)`` per product; ``None`` when the engine has no
        ``_matmul`` to wrap or a product is not between dense arrays.
    """
    from skdnn.engine import propagation

    original = getattr(propagation, "_matmul", None)
    if original is None:
        return None
    calls = []

    def recording(a, b, out=None):
        calls.append((a, b, out))
        return original(a, b, out)

    propagation._matmul = recording
    try:
        fit()
    finally:
        propagation._matmul = original
    if not calls or not all(isinstance(x, np.ndarray) for a, b, _ in calls for x in (a, b)):
        return None
    return calls


def gradient_buffers(plan, parameters):
    """The buffers a recorded step's products write the weights' gradients into.

    A weight's gradient is the last product of the weight's shape whose first
    operand shares no memory with any weight: ``dZ @ A_prev.T``, where the
    forward ``W @ A`` and the backward ``W.T @ dZ`` start from a weight.

    Parameters
    ----------
    plan : list of (str, ndarray, ndarray, ndarray or None)
    parameters : dict
        The recorded model's ``{"W1", "b1", ...}``.

    Returns
    -------
    buffers : dict
        ``{"dW1": ndarray, ...}`` for each weight whose gradient was found.
    """
    weights = [p for name, p in parameters.items() if name.startswith("W")]
    buffers = {}
    for name, W in parameters.items():
        written = [out for _, a, _, out in plan if out is not None and out.shape == W.shape
                   and not any(np.shares_memory(a, w) for w in weights)]
        if name.startswith("W") and written:
            buffers["d" + name] = written[-1]
    return buffers


def recorded_plan(X, y):
    """The matrix products of one skdnn iteration, recorded from skdnn itself.

    See :func:`record_products`; the fit is ``LLayerClassifier(max_iter=1)``.

    Returns
    -------
    plan : list of (str, ndarray, ndarray, ndarray or None), or None
        ``None`` when the products could not be recorded.
    flops : float
    parameters : dict or None
        The recorded model's parameters, the weights the products read.
    """
    model = LLayerClassifier(LAYERS, random_state=1, max_iter=1)
    calls = record_products(lambda: model.fit(X, y))
    if calls is None:
        return None, 0.0, None
    plan = [(_describe(a, b, out), a, b, out) for a, b, out in calls]
    flops = float(sum(2 * a.shape[0] * a.shape[1] * b.shape[1] for _, a, b, _ in plan))
    return plan, flops, model.parameters_


def run(quick=False, repeats=None, iterations=None):
    """Run the course benchmark and return its :class:`Section`."""
    repeats = repeats or (2 if quick else 5)
    n_iter = iterations or (2 if quick else 100)
    X, y, source = load_data()
    X_course = np.ascontiguousarray(X.T)          # the course layout, (12288, 209)
    Y_course = y.reshape(1, -1).astype(np.float64)
    dims = [X.shape[1], *LAYERS, 1]

    big_flops = 2.0 * LAYERS[0] * X.shape[0] * X.shape[1]
    static_plan, static_flops = product_plan(X, LAYERS)
    plan, flops, parameters = recorded_plan(X, y)
    recorded = plan is not None and abs(flops - static_flops) <= 1e-9 * static_flops
    if not recorded:
        plan, flops = static_plan, static_flops
    # Gradient descent's update, p -= dp on the weights the products read
    # (skdnn's gradients carry the learning rate): it changes what the
    # next iteration's products find in the caches, so it is timed with them.
    updates = []
    if recorded:
        gradients = gradient_buffers(plan, parameters)
        updates = [(W, gradients["d" + name]) for name, W in parameters.items()
                   if "d" + name in gradients]
        if len(updates) != len(LAYERS) + 1:
            updates = []
    # The two big products (the input layer's), in the order skdnn computes them.
    big = {}
    for name, a, b, out in plan:
        if 2.0 * a.shape[0] * a.shape[1] * b.shape[1] >= big_flops and len(big) < 2:
            big[f"  {'forward' if not big else 'dW1'}: {name}"] = (a, b, out)

    def skdnn():
        clf = LLayerClassifier(LAYERS, random_state=1, max_iter=n_iter)
        return timed(clf.fit, X, y)

    def course():
        with np.errstate(all="ignore"):
            return timed(course_L_layer_model, X_course, Y_course, dims, LEARNING_RATE, n_iter)

    def mlp():
        clf = MLPClassifier(hidden_layer_sizes=LAYERS, solver="sgd", momentum=0.0,
                            batch_size=X.shape[0], learning_rate_init=LEARNING_RATE, alpha=0.0,
                            shuffle=False, tol=0.0, n_iter_no_change=n_iter, max_iter=n_iter,
                            random_state=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return timed(clf.fit, X, y)

    def products():
        return timed(run_plan, plan, n_iter)

    def products_and_update():
        start = time.perf_counter()
        for _ in range(n_iter):
            run_plan(plan, 1)
            for W, dW in updates:
                np.subtract(W, dW, out=W)
        return time.perf_counter() - start

    def product(name):
        a, b, out = big[name]
        return lambda: timed(run_plan, [(name, a, b, out)], n_iter)

    contenders = {"skdnn": skdnn, "course": course, "mlp": mlp, "products": products,
                  **({"update": products_and_update} if updates else {}),
                  **{name: product(name) for name in big}}
    times = alternate(contenders, repeats)
    ms = {k: 1e3 * median(v) / n_iter for k, v in times.items()}
    best = {k: 1e3 * min(v) / n_iter for k, v in times.items()}

    def gflops(key, work=flops):
        return work / (ms[key] * 1e-3) / 1e9

    labels = {"skdnn": "skdnn LLayerClassifier.fit",
              "course": "course-style NumPy loop",
              "mlp": "MLPClassifier(solver='sgd').fit",
              "products": f"matrix products alone ({len(plan)} per iteration, skdnn's layouts)",
              "update": "matrix products and the weights' update (W -= dW)",
              **{name: name + " alone" for name in big}}
    rows = []
    for key in contenders:
        work = big_flops if key in big else flops
        rows.append([labels[key], ms[key], best[key], gflops(key, work)])

    # The baseline must compute what skdnn computes: same parameters after n_iter.
    params, _ = course_L_layer_model(X_course, Y_course, dims, LEARNING_RATE, n_iter)
    clf = LLayerClassifier(LAYERS, random_state=1, max_iter=n_iter).fit(X, y)
    diff = max(float(np.max(np.abs(params[k] - clf.parameters_[k]))) for k in params)
    same = all(np.allclose(params[k], clf.parameters_[k], rtol=1e-6, atol=1e-9) for k in params)

    section = Section(
        key="course",
        title="1. Course run: full-batch gradient descent, layers (20, 7, 5)",
        setup=[(f"Data: {source}, X {X.shape[0]} x {X.shape[1]} float64; learning rate "
                f"{LEARNING_RATE}; {n_iter} iterations per run; median of {repeats} runs, "
                "contenders alternated in one process."),
               (f"GFLOP/s counts the products skdnn needs per iteration ({flops / 1e6:.0f} "
                "MFLOP; the course loop also computes dA0, another "
                f"{big_flops / 1e6:.0f} MFLOP), divided by each contender's time."),
               "Matrix products alone: " + (
                   "recorded from one skdnn iteration (operands, layouts and output buffers "
                   "as skdnn passes them to BLAS), replayed." if recorded else
                   "skdnn's products rebuilt in the course layout (recording skdnn's own "
                   "calls was not possible)."),
               "Layouts below: C or F order of each operand and of the output buffer."],
        headers=["contender", "ms / iteration (median)", "ms / iteration (best)", "GFLOP/s"],
        rows=rows,
        ratios=[Ratio("skdnn / course-style loop", ms["skdnn"] / ms["course"], "<=", 0.5,
                      best["skdnn"] / best["course"]),
                Ratio("skdnn / MLPClassifier", ms["skdnn"] / ms["mlp"], "<=", 0.9,
                      best["skdnn"] / best["mlp"]),
                Ratio("skdnn / its matrix products alone", ms["skdnn"] / ms["products"],
                      "<=", 1.15, best["skdnn"] / best["products"]),
                *([Ratio("skdnn / its matrix products and weights' update",
                         ms["skdnn"] / ms["update"], best=best["skdnn"] / best["update"])]
                  if updates else [])],
        notes=[(f"Check: the course-style loop and skdnn reach the same parameters after "
                f"{n_iter} iterations: {'yes' if same else 'NO'} "
                f"(max abs difference {diff:.1e}).")],
    )
    section.raw = {"times": times, "iterations": n_iter, "flops_per_iteration": flops,
                   "same_parameters": same}
    return section
