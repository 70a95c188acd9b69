"""Profile skdnn's fits and predictions: ``python -m benchmarks.profiling WHAT [...]``.

``WHAT`` is one or more of ``course``, ``minibatch``, ``predict`` (the
suite's workloads) and ``memory``. For the three timed ones it prints the
top of a :mod:`cProfile` run (NumPy's ufuncs, ``np.matmul`` included, are not
calls to cProfile: their time is the *own* time of the Python function
calling them), then, when ``line_profiler`` is installed, line timings of
every function defined in skdnn's modules that the run called. For
``memory`` it fits under :mod:`tracemalloc` and prints the lines that hold
the most memory when traced memory peaks.

This is a tool for the engine's authors: it finds skdnn's functions by
walking its modules, so that it follows the engine as it changes, and no
test pins what it prints.
"""

import argparse
import cProfile
import inspect
import io
import pkgutil
import pstats
import threading
import time
import tracemalloc

import numpy as np

import skdnn
from benchmarks import course, minibatch, predict


def skdnn_functions():
    """Every function and method defined in skdnn's modules."""
    import importlib

    found = []
    for info in pkgutil.walk_packages(skdnn.__path__, "skdnn."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional dependency is missing
            continue
        for _, member in inspect.getmembers(module):
            owners = [member] if inspect.isclass(member) else []
            candidates = [member] + [f for owner in owners for f in vars(owner).values()]
            found += [f for f in candidates if inspect.isfunction(f)
                      and f.__module__ == module.__name__]
    return list(dict.fromkeys(found))


def profile(title, function, top):
    """Print a cProfile table and, with line_profiler, line timings of ``function()``."""
    print(f"\n{'=' * 20} {title} {'=' * 20}")
    function()  # warm-up
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(function)
    print(f"cProfile, wall {time.perf_counter() - start:.3f} s (with profiling overhead):")
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(top)
    print("\n".join(line for line in stream.getvalue().splitlines()[4:] if line.strip()))
    try:
        from line_profiler import LineProfiler
    except ImportError:
        print("(line_profiler not installed: pip install line_profiler for line timings)")
        return
    lines = LineProfiler(*skdnn_functions())
    lines.runcall(function)
    stream = io.StringIO()
    lines.print_stats(stream=stream, output_unit=1e-3, stripzeros=True)
    print(stream.getvalue())


def memory_peak(fit, top):
    """Print what is allocated, by line, when traced memory peaks during ``fit()``."""
    tracemalloc.start(25)
    peak = {"bytes": 0, "snapshot": None}
    done = threading.Event()

    def watch():
        while not done.is_set():
            current = tracemalloc.get_traced_memory()[0]
            if current > peak["bytes"] + 2**20:
                peak["bytes"], peak["snapshot"] = current, tracemalloc.take_snapshot()
            time.sleep(0.0005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    fit()
    done.set()
    thread.join()
    print(f"traced peak {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MiB")
    tracemalloc.stop()
    if peak["snapshot"] is not None:
        for stat in peak["snapshot"].statistics("lineno")[:top]:
            print(f"  {stat.size / 2**20:8.2f} MiB  {stat.traceback[0]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="+", choices=["course", "minibatch", "predict", "memory"])
    parser.add_argument("--iterations", type=int, default=100, help="course run iterations")
    parser.add_argument("--samples", type=int, default=20000, help="mini-batch rows")
    parser.add_argument("--rows", type=int, default=200_000, help="rows to predict")
    parser.add_argument("--top", type=int, default=20, help="rows of each table")
    args = parser.parse_args(argv)
    X, y = minibatch.make_data(args.samples)
    for what in args.what:
        if what == "course":
            Xc, yc, source = course.load_data()
            profile(f"course run on {source}, {args.iterations} iterations",
                    lambda: course.course_model(max_iter=args.iterations).fit(Xc, yc),
                    args.top)
        elif what == "minibatch":
            for dtype in (np.float64, np.float32):
                Xd = X.astype(dtype)
                profile(f"mini-batch Adam epoch, {np.dtype(dtype).name}",
                        lambda Xd=Xd: minibatch.fit_quietly(minibatch.skdnn_model(), Xd, y),
                        args.top)
        elif what == "predict":
            model = minibatch.fit_quietly(minibatch.skdnn_model(), X.astype(np.float32), y)
            rows = predict.make_rows(args.rows)
            profile(f"predict_proba, {args.rows} float32 rows",
                    lambda: model.predict_proba(rows), args.top)
        else:
            memory_peak(lambda: minibatch.fit_quietly(minibatch.skdnn_model(max_iter=2), X, y),
                        args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
