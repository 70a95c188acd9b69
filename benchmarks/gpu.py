"""Benchmark on a device: skdnn under array API dispatch against a PyTorch loop there.

skdnn given PyTorch tensors inside ``sklearn.config_context(array_api_dispatch=True)``
trains and predicts on their device. Each workload times it against a plain
PyTorch loop on the same device (``nn.Sequential`` of ``nn.Linear`` and
``nn.ReLU``, the loss on the logits, ``torch.optim.Adam`` or ``SGD``, the same
batch size), the data made on the device by torch, the clock read after
``torch.cuda.synchronize()`` on a GPU: (1) one Adam epoch, 60000 x 784 through
(256, 128), batches of 128, float32, and on the CPU skdnn on the same data as
NumPy arrays too, float32 and float64; (2) 10**6 x 784 through (2048, 2048),
batches of 4096, beside the epoch's matrix products alone (from the shapes);
(3) the course run, full-batch gradient descent, float64; (4) ``predict_proba``
on 10**7 rows with the model of (1). The CPU's sizes are smaller (:data:`SIZES`).
``SCIPY_ARRAY_API=1`` must be set before SciPy's first import: ``python -m
benchmarks --device ...`` sets it (:mod:`benchmarks.run`).
"""

import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning

from benchmarks import course, course_loop
from benchmarks._harness import Ratio, Section, alternate, median
from benchmarks.torch_peer import available
from skdnn import LLayerClassifier

__all__ = ["SIZES", "available", "device_line", "run", "sections"]

#: Sizes by mode: the issue's on a GPU, smaller on the CPU, tiny for the tests.
SIZES = {
    "cuda": {"adam_rows": 60_000, "wide_rows": 10**6, "wide_layers": (2048, 2048),
             "wide_batch": 4096, "course_iterations": 1000, "predict_rows": 10**7},
    "cpu": {"adam_rows": 20_000, "wide_rows": 16_384, "wide_layers": (512, 512),
            "wide_batch": 4096, "course_iterations": 100, "predict_rows": 100_000},
    "quick": {"adam_rows": 512, "wide_rows": 1024, "wide_layers": (64, 64),
              "wide_batch": 256, "course_iterations": 2, "predict_rows": 2048},
}
LAYERS, BATCH, LEARNING_RATE, N_CLASSES, N_FEATURES = (256, 128), 128, 0.001, 10, 784
#: Seconds of timed rounds each workload may take; its warm-up round sets how many fit.
ROUND_BUDGET_S = {"cuda": 40.0, "cpu": 60.0, "quick": 1.0}
DEFAULT_REPEATS = {"cuda": 5, "cpu": 3, "quick": 1}


def device_line(device):
    """One line naming the device: the GPU and its memory, or torch's CPU threads."""
    import torch

    if torch.device(device).type == "cuda":
        properties = torch.cuda.get_device_properties(device)
        return (f"Device: {properties.name} ({properties.total_memory / 2**30:.0f} GiB), "
                f"torch {torch.__version__}, CUDA {torch.version.cuda}; TF32 matmuls "
                f"{'on' if torch.backends.cuda.matmul.allow_tf32 else 'off'}.")
    return f"Device: CPU, torch {torch.__version__} with {torch.get_num_threads()} threads."


def _timer(device):
    """``timed(function, *args)``: seconds of the call, the device's queue drained both sides."""
    import torch

    synchronize = torch.cuda.synchronize if torch.device(device).type == "cuda" else None

    def timed(function, *args, **kwargs):
        if synchronize:
            synchronize(device)
        start = time.perf_counter()
        function(*args, **kwargs)
        if synchronize:
            synchronize(device)
        return time.perf_counter() - start
    return timed


def _rounds(contenders, repeats, mode):
    """``(times, warmup_s, repeats)``: a timed warm-up round (first calls: CUDA
    context, cuBLAS, allocator), then as many alternated rounds as the budget allows."""
    start = time.perf_counter()
    for contender in contenders.values():
        contender()
    warmup_s = time.perf_counter() - start
    if repeats is None:
        fit = int(ROUND_BUDGET_S[mode] // max(warmup_s, 1e-9))
        repeats = max(1, min(DEFAULT_REPEATS[mode], fit))
    return alternate(contenders, repeats, warmup=False), warmup_s, repeats


def _fit(model, X, y):
    """``model.fit(X, y)`` under dispatch, without the one-epoch convergence warning."""
    with warnings.catch_warnings(), sklearn.config_context(array_api_dispatch=True):
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _skdnn(layers, batch_size):
    return LLayerClassifier(layers, init="xavier", solver="adam", batch_size=batch_size,
                            alpha=0.0, tol=None,
                            learning_rate=LEARNING_RATE, max_iter=1, random_state=0)


def _fitting(timed, layers, batch_size, X, y):
    """A contender: the time of one mini-batch Adam epoch of skdnn on ``X``, from scratch."""
    return lambda: timed(_fit, _skdnn(layers, batch_size), X, y)


def _network(dims, device, dtype, initial=None):
    """``nn.Sequential`` on ``device``: torch's own initialisation, or ``initial``'s weights.

    ``initial`` holds course-layout ``W1, b1, ...`` (NumPy or torch), which is
    ``nn.Linear``'s layout.
    """
    import torch
    from torch import nn

    layers = []
    for l in range(1, len(dims)):
        linear = nn.Linear(dims[l - 1], dims[l], device=device, dtype=dtype)
        if initial is not None:
            with torch.no_grad():
                linear.weight.copy_(torch.as_tensor(initial[f"W{l}"]))
                linear.bias.copy_(torch.as_tensor(initial[f"b{l}"]).reshape(-1))
        layers += [linear, nn.ReLU()] if l < len(dims) - 1 else [linear]
    return nn.Sequential(*layers)


def _torch_adam_epoch(X, y, layers, batch_size, seed=0):
    """One shuffled epoch of mini-batch Adam in plain PyTorch, on ``X``'s device."""
    import torch

    model = _network([X.shape[1], *layers, N_CLASSES], X.device, X.dtype)
    loss_function = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    generator = torch.Generator(device=X.device).manual_seed(seed)
    order = torch.randperm(X.shape[0], device=X.device, generator=generator)
    for batch in torch.split(order, batch_size):
        optimizer.zero_grad()
        loss_function(model(X[batch]), y[batch]).backward()
        optimizer.step()
    return model


def _torch_full_batch_gd(initial, X, y, n_iter):
    """The course run in plain PyTorch: full-batch SGD on the logits' binary cross-entropy."""
    import torch

    model = _network([X.shape[1], *course.LAYERS, 1], X.device, X.dtype, initial)
    targets = y.to(X.dtype).reshape(-1, 1)
    loss_function = torch.nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=course.LEARNING_RATE)
    for _ in range(n_iter):
        optimizer.zero_grad()
        loss_function(model(X), targets).backward()
        optimizer.step()
    return model


def _products_epoch(X, dims, batch_size, seed=0):
    """``(epoch, flops per step)``: an epoch of matrix products alone on ``X``'s device.

    Each step gathers a batch of shuffled rows into one buffer, then computes
    a full batch's products into preallocated outputs: ``A_l = A_{l-1} W_l^T``
    and ``dW_l = dZ_l^T A_{l-1}`` for every layer, ``dA_{l-1} = dZ_l W_l`` for
    every layer but the first.
    """
    import torch

    options = {"device": X.device, "dtype": X.dtype}
    generator = torch.Generator(device=X.device).manual_seed(seed)
    W = [torch.randn(dims[l], dims[l - 1], generator=generator, **options)
         for l in range(1, len(dims))]
    A = [torch.empty(batch_size, dims[0], **options)]
    A += [torch.randn(batch_size, n, generator=generator, **options).abs() for n in dims[1:]]
    dZ = [torch.randn(batch_size, n, generator=generator, **options) for n in dims[1:]]
    products = []
    for l in range(len(W)):
        products.append((A[l], W[l].T, torch.empty(batch_size, dims[l + 1], **options)))
    for l in reversed(range(len(W))):
        products.append((dZ[l].T, A[l], torch.empty_like(W[l])))
        if l > 0:
            products.append((dZ[l], W[l], torch.empty(batch_size, dims[l], **options)))
    flops = sum(2 * a.shape[0] * a.shape[1] * b.shape[1] for a, b, _ in products)

    def epoch():
        order = torch.randperm(X.shape[0], device=X.device, generator=generator)
        for rows in torch.split(order, batch_size):
            torch.index_select(X, 0, rows, out=A[0][:len(rows)])
            for a, b, out in products:
                torch.matmul(a, b, out=out)

    return epoch, flops


def _make_data(n_samples, device, dtype, seed=0):
    """Random rows made on ``device``, labels the argmax of a random linear map of 32 columns."""
    import torch

    generator = torch.Generator(device=device).manual_seed(seed)
    X = torch.randn(n_samples, N_FEATURES, generator=generator, device=device, dtype=dtype)
    mixing = torch.randn(32, N_CLASSES, generator=generator, device=device, dtype=dtype)
    return X, torch.argmax(X[:, :32] @ mixing, dim=1)


def _table(times, labels, per=1, per_name="step"):
    """Rows (contender, median, best, median per step), the headers, medians and bests."""
    s = {k: median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    rows = [[labels[k], s[k], best[k], 1e3 * s[k] / per] for k in times]
    return rows, s, best, ["contender", "s (median)", "s (best)", f"ms / {per_name} (median)"]


def _ratio(s, best, label, a, b, op=None, target=None):
    return Ratio(label, s[a] / s[b], op, target, best[a] / best[b])


def _setup_line(device, repeats, warmup_s):
    return (f"Device: {device}; median of {repeats} alternated runs after a warm-up round "
            f"of {warmup_s:.1f} s (first calls included).")


def _adam_workload(device, mode, repeats):
    """Workload 1, and on the CPU skdnn on NumPy arrays: its section, skdnn's fitted model."""
    import torch

    n = SIZES[mode]["adam_rows"]
    timed = _timer(device)
    X, y = _make_data(n, device, torch.float32)
    dtypes = ("float32", "float64") if torch.device(device).type == "cpu" else ("float32",)
    data = {"float32": X, "float64": X.double()}
    contenders = {("torch", "float32"): lambda: timed(_torch_adam_epoch, X, y, LAYERS, BATCH)}
    for dtype in dtypes:
        contenders["skdnn", dtype] = _fitting(timed, LAYERS, BATCH, data[dtype], y)
        if torch.device(device).type == "cpu":
            contenders["numpy", dtype] = _fitting(timed, LAYERS, BATCH, data[dtype].numpy(),
                                                  y.numpy())
    times, warmup_s, repeats = _rounds(contenders, repeats, mode)
    n_steps = -(-n // BATCH)
    names = {"torch": f"PyTorch loop on {device} (nn.Sequential, Adam)",
             "skdnn": f"skdnn on torch tensors on {device} (dispatch)",
             "numpy": "skdnn on the same data as NumPy arrays"}
    rows, s, best, headers = _table(times, {k: f"{names[k[0]]}, {k[1]}" for k in times},
                                    per=n_steps)
    ratios = [_ratio(s, best, "skdnn / PyTorch loop, float32", ("skdnn", "float32"),
                     ("torch", "float32"), "<=", 1.0)]
    ratios += [_ratio(s, best, f"skdnn on torch CPU tensors / skdnn on NumPy, {dtype}",
                      ("skdnn", dtype), ("numpy", dtype), "<=", 1.2)
               for dtype in dtypes if ("numpy", dtype) in s]
    model = _fit(_skdnn(LAYERS, BATCH), X, y)
    # In float64: float32's rounding, amplified by an epoch of Adam steps, moves
    # the probabilities by ~1e-2 between any two BLAS libraries.
    X64 = data["float64"]
    on_device = _fit(_skdnn(LAYERS, BATCH), X64, y)
    reference = _fit(_skdnn(LAYERS, BATCH), X64.cpu().numpy(), y.cpu().numpy())
    with sklearn.config_context(array_api_dispatch=True):
        probabilities = on_device.predict_proba(X64[:2000]).cpu().numpy()
    difference = float(np.max(np.abs(probabilities - reference.predict_proba(
        X64[:2000].cpu().numpy()))))
    notes = [(f"Check: skdnn on {device} predicts what the same fit on NumPy predicts, in "
              f"float64: {'yes' if difference < 1e-8 else 'NO'} (max abs difference of the "
              f"probabilities {difference:.1e}).")]
    section = Section(
        key="gpu adam", title=f"G1. One Adam epoch on {device}: 784 -> (256, 128) -> 10",
        setup=[(f"Data: random, made by torch on {device}, X {n} x {N_FEATURES}, "
               f"{N_CLASSES} classes; batch {BATCH} ({n_steps} steps), learning rate "
               f"{LEARNING_RATE}; each skdnn run is fit(max_iter=1)."),
               _setup_line(device, repeats, warmup_s)],
        headers=headers, rows=rows, ratios=ratios, notes=notes,
        raw={"times": {" ".join(k): v for k, v in times.items()}, "n_samples": n})
    return section, model


def _wide_workload(device, mode, repeats):
    """Workload 2: the wide network's Adam epoch, beside its matrix products alone."""
    import torch

    sizes = SIZES[mode]
    n, layers, batch = sizes["wide_rows"], sizes["wide_layers"], sizes["wide_batch"]
    timed = _timer(device)
    X, y = _make_data(n, device, torch.float32)
    epoch, flops = _products_epoch(X, [N_FEATURES, *layers, N_CLASSES], batch)
    contenders = {"skdnn": _fitting(timed, layers, batch, X, y),
                  "torch": lambda: timed(_torch_adam_epoch, X, y, layers, batch),
                  "products": lambda: timed(epoch)}
    times, warmup_s, repeats = _rounds(contenders, repeats, mode)
    n_steps = -(-n // batch)
    labels = {"skdnn": f"skdnn on torch tensors on {device} (dispatch)",
              "torch": f"PyTorch loop on {device} (nn.Sequential, Adam)",
              "products": "matrix products alone (and the batch gather)"}
    rows, s, best, headers = _table(times, labels, per=n_steps)
    for row, k in zip(rows, times):
        row.append(flops * n_steps / s[k] / 1e12)
    ratios = [_ratio(s, best, "skdnn / PyTorch loop, wide", "skdnn", "torch", "<=", 1.0),
              _ratio(s, best, "skdnn / matrix products alone, wide", "skdnn", "products",
                     "<=", 1.5)]
    return Section(
        key="gpu wide", title=f"G2. Wide network on {device}: 784 -> {layers} -> 10, "
                              f"one Adam epoch",
        setup=[(f"Data: random, made by torch on {device}, X {n} x {N_FEATURES} float32; "
               f"batch {batch} ({n_steps} steps); products alone: "
               f"{flops / 1e9:.1f} GFLOP per step, from the shapes."),
               _setup_line(device, repeats, warmup_s)],
        headers=headers + ["TFLOP/s of the products"], rows=rows, ratios=ratios,
        raw={"times": times, "n_samples": n, "flops_per_step": flops})


def _course_workload(device, mode, repeats):
    """Workload 3: the course run, full-batch gradient descent, float64."""
    import torch

    n_iter = SIZES[mode]["course_iterations"]
    timed = _timer(device)
    X_host, y_host, source = course.load_data()
    X = torch.as_tensor(X_host, device=device)
    y = torch.as_tensor(np.asarray(y_host, dtype=np.int64), device=device)
    dims = [X.shape[1], *course.LAYERS, 1]
    initial = course_loop.initialize_parameters_deep(dims)

    def skdnn_model():
        return course.course_model(max_iter=n_iter)

    contenders = {"skdnn": lambda: timed(_fit, skdnn_model(), X, y),
                  "torch": lambda: timed(_torch_full_batch_gd, initial, X, y, n_iter)}
    times, warmup_s, repeats = _rounds(contenders, repeats, mode)
    labels = {"skdnn": f"skdnn on torch tensors on {device} (dispatch)",
              "torch": f"PyTorch loop on {device} (nn.Sequential, SGD)"}
    rows, s, best, headers = _table(times, labels, per=n_iter, per_name="iteration")
    skdnn = {k: v.cpu().numpy() for k, v in _fit(skdnn_model(), X, y).parameters_.items()}
    linears = [m for m in _torch_full_batch_gd(initial, X, y, n_iter) if hasattr(m, "weight")]
    difference = max(
        max(float(np.max(np.abs(linear.weight.detach().cpu().numpy() - skdnn[f"W{l}"]))),
            float(np.max(np.abs(linear.bias.detach().cpu().numpy() - skdnn[f"b{l}"].ravel()))))
        for l, linear in enumerate(linears, start=1))
    notes = [(f"Check: skdnn on {device} and the PyTorch loop, from the same initial weights, "
             f"reach the same parameters: {'yes' if difference < 1e-6 else 'NO'} "
             f"(max abs difference {difference:.1e}).")]
    return Section(
        key="gpu course", title=f"G3. Course run on {device}: (20, 7, 5), full-batch "
                                "gradient descent",
        setup=[(f"Data: {source}, X {X.shape[0]} x {X.shape[1]} float64 on {device}; "
               f"learning rate {course.LEARNING_RATE}; {n_iter} iterations per run."),
               _setup_line(device, repeats, warmup_s)],
        headers=headers, rows=rows, notes=notes,
        ratios=[_ratio(s, best, "skdnn / PyTorch loop, course run", "skdnn", "torch",
                       "<=", 1.0)],
        raw={"times": times, "iterations": n_iter})


def _predict_workload(device, mode, repeats, model):
    """Workload 4: ``predict_proba`` on many rows, skdnn's weights in both contenders."""
    import torch

    n = SIZES[mode]["predict_rows"]
    if torch.device(device).type == "cuda":
        # X at most a quarter of the GPU: the peer's activations take as much again.
        quarter = torch.cuda.get_device_properties(device).total_memory // 4
        n = min(n, quarter // (4 * N_FEATURES))
    timed = _timer(device)
    X, _ = _make_data(n, device, torch.float32, seed=1)
    network = _network([N_FEATURES, *LAYERS, N_CLASSES], device, torch.float32,
                       model.parameters_)

    def skdnn_predict(rows):
        with sklearn.config_context(array_api_dispatch=True):
            return model.predict_proba(rows)

    def torch_predict(rows):
        with torch.no_grad():
            return torch.softmax(network(rows), dim=1)

    contenders = {"skdnn": lambda: timed(skdnn_predict, X),
                  "torch": lambda: timed(torch_predict, X)}
    times, warmup_s, repeats = _rounds(contenders, repeats, mode)
    labels = {"skdnn": f"skdnn predict_proba on {device} (dispatch)",
              "torch": f"PyTorch on {device}: forward and softmax under no_grad"}
    rows, s, best, headers = _table(times, labels)
    rows = [row[:3] + [n / s[k]] for row, k in zip(rows, times)]
    same = torch.allclose(skdnn_predict(X[:2000]), torch_predict(X[:2000]), rtol=1e-4,
                          atol=1e-6)
    return Section(
        key="gpu predict", title=f"G4. Prediction on {device}: predict_proba, float32, "
                                 "784 -> 256 -> 128 -> 10",
        setup=[(f"Data: {n} x {N_FEATURES} float32, made by torch on {device} "
               f"({X.element_size() * X.nelement() / 2**30:.1f} GiB); the model of G1."),
               _setup_line(device, repeats, warmup_s)],
        headers=headers[:3] + ["rows / s"], rows=rows,
        notes=[("Check: PyTorch with skdnn's weights gives skdnn's probabilities: "
               f"{'yes' if same else 'NO'}.")],
        ratios=[_ratio(s, best, "skdnn / PyTorch, predict_proba", "skdnn", "torch",
                       "<=", 1.0)],
        raw={"times": times, "n_rows": n})


def sections(device="cuda", quick=False, repeats=None):
    """The four workloads' sections on ``device``, each yielded as it finishes.

    Parameters
    ----------
    device : {"cuda", "cpu"} or str, default="cuda"
        A torch device; its type picks the sizes (:data:`SIZES`).
    quick : bool, default=False
        Tiny sizes, one round: seconds, for the test suite; verdicts mean nothing.
    repeats : int, optional
        Timed rounds per workload; by default as many as fit its budget
        (:data:`ROUND_BUDGET_S`) after the warm-up round, at most
        :data:`DEFAULT_REPEATS`.

    Yields
    ------
    section : Section
    """
    import torch

    mode = "quick" if quick else torch.device(device).type
    torch.manual_seed(0)
    adam, model = _adam_workload(device, mode, repeats)
    yield adam
    for workload in (_wide_workload, _course_workload):
        yield workload(device, mode, repeats)
        if torch.device(device).type == "cuda":
            torch.cuda.empty_cache()
    yield _predict_workload(device, mode, repeats, model)


def run(device="cuda", quick=False, repeats=None):
    """Run the four workloads on ``device`` and return their sections (see :func:`sections`).

    Returns
    -------
    sections : list of Section
    """
    return list(sections(device, quick, repeats))
