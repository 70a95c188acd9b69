"""Profile skdnn's hot paths: ``python -m benchmarks.profiling WHAT [...]``.

``WHAT`` is one or more of ``course``, ``minibatch``, ``predict``, ``memory``,
``layouts`` (the course run's two big products in each possible layout) and
``floor`` (the mini-batch floor's parts, each beside its limit).
For the three timed paths it prints the top of a :mod:`cProfile` run (NumPy's
ufuncs, ``np.matmul`` included, are not calls to cProfile: their time is the
*own* time of the Python function calling them), then, when ``line_profiler``
is installed, line timings of the engine functions on the path. For
``memory`` it fits under :mod:`tracemalloc` and prints what is allocated at
the moment traced memory peaks, by line.

This is a tool for the engine's authors, not part of the suite's verdicts.
"""

import argparse
import cProfile
import io
import itertools
import pstats
import sys
import threading
import time
import tracemalloc
import warnings

import numpy as np

from benchmarks import course, minibatch, predict
from benchmarks._harness import alternate as _alternate
from skdnn import LLayerClassifier, _base
from skdnn.engine import activations, losses, optimizers, propagation, training

ENGINE_FUNCTIONS = [
    training.train_epoch, training.loss_and_gradients, training._columns,
    propagation.forward_propagation, propagation.linear_activation_forward,
    propagation.linear_forward, propagation.backward_propagation,
    propagation.linear_activation_backward, propagation.linear_backward, propagation._matmul,
    propagation.Workspace.get, activations._relu, activations._relu_backward,
    activations._sigmoid, activations._sigmoid_backward, activations._softmax,
    losses._binary_cross_entropy, losses._categorical_cross_entropy, losses._clipped,
    losses.output_delta, losses.mean_loss, optimizers.GradientDescent.update,
    optimizers.Adam.update,
]


def _cprofile(function, top):
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(function)
    elapsed = time.perf_counter() - start
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(top)
    print(f"cProfile, wall {elapsed:.3f} s (with profiling overhead):")
    print("\n".join(line for line in stream.getvalue().splitlines()[4:] if line.strip()))


def _line_profile(function, extra=()):
    try:
        from line_profiler import LineProfiler
    except ImportError:
        print("(line_profiler not installed: pip install line_profiler for line timings)")
        return
    profiler = LineProfiler()
    for f in [*ENGINE_FUNCTIONS, *extra]:
        profiler.add_function(f)
    profiler.runcall(function)
    stream = io.StringIO()
    profiler.print_stats(stream=stream, output_unit=1e-3, stripzeros=True)
    print(stream.getvalue())


def _profile(title, function, top, extra=()):
    print(f"\n{'=' * 20} {title} {'=' * 20}")
    function()  # warm-up
    _cprofile(function, top)
    _line_profile(function, extra)


def profile_course(iterations, top):
    X, y, source = course.load_data()
    print(f"course run on {source}, {iterations} iterations")

    def fit():
        LLayerClassifier(course.LAYERS, random_state=1, max_iter=iterations).fit(X, y)

    _profile("course run: LLayerClassifier.fit", fit, top, [_base.BaseLLayer._fit,
                                                             _base.BaseLLayer._run_epochs])


def profile_minibatch(n_samples, top):
    X, y = minibatch.make_data(n_samples)
    for dtype in (np.float64, np.float32):
        Xd = X.astype(dtype)

        def fit(Xd=Xd):
            minibatch.skdnn_model().fit(Xd, y)

        _profile(f"mini-batch Adam epoch, {np.dtype(dtype).name}", fit, top)


def profile_predict(n_rows, top):
    X_small, y_small = minibatch.make_data(2000)
    model = minibatch.fit_quietly(minibatch.skdnn_model(max_iter=2),
                                  X_small.astype(np.float32), y_small)
    X = predict.make_rows(n_rows)

    def run():
        model.predict_proba(X)

    _profile(f"predict_proba, {n_rows} float32 rows", run, top,
             [_base.BaseLLayer._forward, type(model).predict_proba])


def profile_memory(n_samples, epochs, top):
    X64, y = minibatch.make_data(n_samples)
    for dtype in (np.float64, np.float32):
        X = X64.astype(dtype)
        model = minibatch.skdnn_model(max_iter=epochs)
        tracemalloc.start(25)
        peak = {"bytes": 0, "snapshot": None}
        done = threading.Event()

        def watch(done=done, peak=peak):
            while not done.is_set():
                current = tracemalloc.get_traced_memory()[0]
                if current > peak["bytes"] + 2**20:
                    peak["bytes"] = current
                    peak["snapshot"] = tracemalloc.take_snapshot()
                time.sleep(0.0005)

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
        done.set()
        thread.join()
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"\n{'=' * 20} fit memory, {np.dtype(dtype).name}, X {X.nbytes / 2**20:.1f} MiB "
              f"{'=' * 20}")
        print(f"traced peak {traced_peak / 2**20:.1f} MiB; largest sampled "
              f"{peak['bytes'] / 2**20:.1f} MiB, live at that moment (by line):")
        if peak["snapshot"] is not None:
            stats = peak["snapshot"].filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)]).statistics("traceback")
            for stat in stats[:top]:
                frames = [f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}"
                          for frame in stat.traceback if "benchmarks" not in frame.filename]
                print(f"  {stat.size / 2**20:8.2f} MiB in {stat.count:5d} blocks  "
                      + " <- ".join(reversed(frames[-4:])))


def profile_layouts(repeats, calls=10):
    """The two big products of the course run in every layout, 2 and 1 BLAS threads.

    Alternated, ``repeats`` rounds of ``calls`` calls each; prints the median
    and best ms per call. skdnn's current layout is the first of each pair.
    """
    from threadpoolctl import threadpool_limits

    rng = np.random.RandomState(0)
    X = rng.rand(209, 12288)              # scikit-learn layout, C-ordered
    Xc = np.ascontiguousarray(X.T)        # course layout, C-ordered (12288, 209)
    W = rng.randn(20, 12288)
    Wt = np.ascontiguousarray(W.T)        # MLPClassifier's coefs_ layout
    dZ = rng.randn(20, 209)
    dZt = np.ascontiguousarray(dZ.T)
    z, zt = np.empty((20, 209)), np.empty((209, 20))
    g, gt = np.empty((20, 12288)), np.empty((12288, 20))
    cases = {
        "forward: W1 @ X.T -> (20, 209) [skdnn now]": lambda: np.matmul(W, X.T, out=z),
        "forward: X @ W1.T -> (209, 20)": lambda: np.matmul(X, W.T, out=zt),
        "forward: X @ W1t, W1t C (12288, 20) [MLP]": lambda: np.matmul(X, Wt, out=zt),
        "forward: W1 @ Xc, Xc C (12288, 209) [course]": lambda: np.matmul(W, Xc, out=z),
        "dW1: dZ1 @ X -> (20, 12288) [skdnn now]": lambda: np.matmul(dZ, X, out=g),
        "dW1: dZ1t.T @ X, dZ1t C (209, 20)": lambda: np.matmul(dZt.T, X, out=g),
        "dW1: X.T @ dZ1t -> (12288, 20) [MLP]": lambda: np.matmul(X.T, dZt, out=gt),
        "dW1: dZ1 @ Xc.T [course]": lambda: np.matmul(dZ, Xc.T, out=g),
    }
    for threads in (2, 1):
        with threadpool_limits(limits=threads, user_api="blas"):
            def timer(f):
                return lambda: _harness_timed(f, calls)
            times = _alternate({k: timer(f) for k, f in cases.items()}, repeats)
        print(f"\n{threads} BLAS thread(s): ms per call (median, best of {repeats} x {calls})")
        for k, v in times.items():
            print(f"  {k:48s} {1e3 * np.median(v) / calls:8.2f} {1e3 * min(v) / calls:8.2f}"
                  f"   {103.0 / (1e3 * min(v) / calls):6.1f} GFLOP/s best")


def profile_floor(n_samples, repeats, steps=100):
    """Where the mini-batch floor's time goes, and how close each part is to its limit.

    Alternated, ``repeats`` rounds of ``steps`` calls each, ms per step:
    skdnn's own training step and the floor's step (see
    :class:`benchmarks.minibatch.FloorStep`), then the floor's three parts
    alone; a large square product, the two cores' matrix-product throughput
    to compare the step's products with; and single NumPy passes over an
    array the size of ``W1``, to compare Adam's ``sqrt`` with a plain
    addition. skdnn / floor is also given as the median of per-round ratios,
    for the quietest and the busiest quarter of the rounds apart.
    """
    X, y = minibatch.make_data(n_samples)
    floor = minibatch.FloorStep.record(X)
    if floor is None:
        print("floor: the engine's products could not be recorded")
        return
    order = np.random.default_rng(0).permutation(n_samples)
    batches = itertools.cycle(range(0, n_samples - minibatch.BATCH + 1, minibatch.BATCH))

    def gather():
        floor.gather(X, order[next(batches):][:minibatch.BATCH])

    def floor_step():
        gather()
        floor.products()
        floor.adam()

    W1 = floor.parameters["W1"]
    a, b, c = (np.random.default_rng(1).standard_normal(W1.shape) for _ in range(3))
    c = np.abs(c)
    size = 1024
    P, Q, R = (np.random.default_rng(2).standard_normal((size, size)) for _ in range(3))
    parts = {
        "skdnn's training step": None,
        "floor step (the three below)": floor_step,
        "gather a batch": gather,
        "matrix products of a step": floor.products,
        "Adam step (all parameters)": floor.adam,
        f"reference product {size}^3": lambda: np.matmul(P, Q, out=R),
        "W1-sized pass: np.add": lambda: np.add(a, b, out=b),
        "W1-sized pass: np.sqrt": lambda: np.sqrt(c, out=b),
        "W1-sized pass: np.divide": lambda: np.divide(a, c, out=b),
    }
    rounds = {k: (lambda f=f: _harness_timed(f, steps)) for k, f in parts.items()}
    rounds["skdnn's training step"] = _engine_steps(X, y, steps)
    times = _alternate(rounds, repeats)
    ms = {k: 1e3 * np.median(v) / steps for k, v in times.items()}
    flops = {"matrix products of a step": floor.flops, f"reference product {size}^3": 2 * size**3}
    print(f"\nfloor of a mini-batch step, {n_samples} rows: ms per call "
          f"(median and best of {repeats} x {steps} calls)")
    for k, v in times.items():
        best = 1e3 * min(v) / steps
        extra = (f"{flops[k] / best / 1e6:8.1f} GFLOP/s best" if k in flops
                 else f"{1e6 * best / W1.size:8.2f} ns/element best" if "pass" in k else "")
        print(f"  {k:34s} {ms[k]:8.3f} {best:8.3f}   {extra}")
    step = ms["floor step (the three below)"]
    print(f"  floor step = {step:.3f} ms; Adam is "
          f"{ms['Adam step (all parameters)'] / step:.0%} of it, and one np.sqrt over W1 "
          f"costs {ms['W1-sized pass: np.sqrt'] / ms['W1-sized pass: np.add']:.1f} np.add passes")
    skdnn, base = np.array(times["skdnn's training step"]), np.array(times[list(parts)[1]])
    ratios, by_speed = skdnn / base, np.argsort(skdnn + base)
    quarter = max(1, len(ratios) // 4)
    print(f"  skdnn / floor, median of per-round ratios: {np.median(ratios):.3f}; quietest "
          f"quarter {np.median(ratios[by_speed[:quarter]]):.3f}, busiest quarter "
          f"{np.median(ratios[by_speed[-quarter:]]):.3f}")


def _engine_steps(X, y, steps):
    """A callable timing ``steps`` Adam steps of skdnn's engine, as ``fit`` takes them."""
    from skdnn import engine

    train = minibatch.engine_trainer(engine, X, y)
    rows = min(steps * minibatch.BATCH, X.shape[0])
    starts = itertools.cycle(range(0, X.shape[0] - rows + 1, rows))

    def run():
        start = next(starts)
        begin = time.perf_counter()
        train(start, rows, start)
        return (time.perf_counter() - begin) * steps * minibatch.BATCH / rows

    return run


def _harness_timed(f, calls):
    start = time.perf_counter()
    for _ in range(calls):
        f()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="+",
                        choices=["course", "minibatch", "predict", "memory", "layouts",
                                 "floor"])
    parser.add_argument("--iterations", type=int, default=50, help="course run iterations")
    parser.add_argument("--samples", type=int, default=60000, help="mini-batch/memory rows")
    parser.add_argument("--rows", type=int, default=200_000, help="rows to predict")
    parser.add_argument("--repeats", type=int, default=15, help="rounds of 'layouts' and 'floor'")
    parser.add_argument("--steps", type=int, default=100, help="calls per round of 'floor'")
    parser.add_argument("--top", type=int, default=25, help="rows of each cProfile table")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit BLAS threads (1 gives steadier numbers on a busy machine)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.blas_threads:
        from threadpoolctl import threadpool_limits
        with threadpool_limits(limits=args.blas_threads, user_api="blas"):
            return _run(args)
    return _run(args)


def _run(args):
    for what in args.what:
        if what == "course":
            profile_course(args.iterations, args.top)
        elif what == "minibatch":
            profile_minibatch(args.samples, args.top)
        elif what == "predict":
            profile_predict(args.rows, args.top)
        elif what == "layouts":
            profile_layouts(args.repeats)
        elif what == "floor":
            profile_floor(args.samples, args.repeats, args.steps)
        else:
            profile_memory(args.samples, 2, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
