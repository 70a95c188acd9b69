"""Run the benchmark suite: ``python -m benchmarks [--quick] [--only ...]``.

Also runnable as ``python benchmarks/run.py``. Prints a machine line, then one
Markdown section per benchmark (tables of medians, then ratios with their
targets and PASS/MISS), then a summary table of every ratio. The exit code is
0 whatever the verdicts: a MISS is a finding, not a failure.

``--device cuda`` (or ``cpu``) runs :mod:`benchmarks.gpu` alone: skdnn under
scikit-learn's array API dispatch on PyTorch tensors on that device, against
a PyTorch loop there. Dispatch needs ``SCIPY_ARRAY_API=1`` before SciPy is
first imported, so this module sets it (unless already set) before importing
scikit-learn; it changes nothing for NumPy inputs. Without torch, ``--device``
prints why and exits with 0 (a finding); a device torch cannot use exits with 2.
"""

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

# Before scikit-learn imports SciPy: SciPy reads it once, at its first import.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

from sklearn.exceptions import ConvergenceWarning

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _harness

BENCHMARKS = ("course", "minibatch", "predict", "memory")


QUICK_NOTE = ("Quick sizes carry no verdict: the targets are for the full sizes, so the "
              "result column reads 'no verdict'. Run without --quick for PASS/MISS.")


def _run_one(name, args):
    if name == "course":
        from benchmarks import course
        return course.run(args.quick, args.repeats, args.course_iterations)
    if name == "minibatch":
        from benchmarks import minibatch
        return minibatch.run(args.quick, args.repeats, args.minibatch_samples)
    if name == "predict":
        from benchmarks import predict
        return predict.run(args.quick, args.repeats, args.predict_rows)
    from benchmarks import fit_memory
    return fit_memory.run(args.quick, args.memory_samples)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="skdnn against its peers: the course run, mini-batch training, "
                    "prediction and fit memory, beside MLPClassifier, a course-style loop "
                    "and PyTorch. Prints Markdown tables.")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and few repeats (seconds, for the test suite); "
                             "its verdicts mean nothing")
    parser.add_argument("--only", default=",".join(BENCHMARKS),
                        help=f"comma-separated subset of {', '.join(BENCHMARKS)}")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed runs per contender (default 5 for the course run, else 3)")
    parser.add_argument("--course-iterations", type=int, default=None,
                        help="gradient-descent iterations per course run (default 100)")
    parser.add_argument("--minibatch-samples", type=int, default=None,
                        help="rows of the mini-batch data (default 60000)")
    parser.add_argument("--predict-rows", type=int, default=None,
                        help="rows to predict (default 200000)")
    parser.add_argument("--memory-samples", type=int, default=None,
                        help="rows of the fit-memory data (default 60000)")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit BLAS threads (threadpoolctl) for the whole run, and with "
                             "--device torch's threads too; default: BLAS's own choice, "
                             "usually one per core")
    parser.add_argument("--json", metavar="PATH", default=None,
                        help="also write every result (and every run's time) to PATH")
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None,
                        help="run only the device benchmark (benchmarks/gpu.py): skdnn under "
                             "array API dispatch on PyTorch tensors on that device, against "
                             "a PyTorch loop there; needs torch")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(args.only) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.blas_threads:
        if args.device and _device_unavailable(args.device) is None:
            import torch  # its intra-op threads are its own, out of threadpoolctl's reach
            torch.set_num_threads(args.blas_threads)
        from threadpoolctl import threadpool_limits
        with threadpool_limits(limits=args.blas_threads, user_api="blas"):
            return _main(args)
    return _main(args)


def _device_unavailable(device):
    """Why ``device`` cannot be benchmarked, or None: (message, exit code)."""
    from benchmarks import gpu

    if not gpu.available():
        return ((f"--device {device}: PyTorch is not installed, so there is nothing to run "
                "(install torch to run the device benchmark)."), 0)
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        return (("--device cuda: torch sees no CUDA device here; run with --device cpu, or "
                "on a machine with a GPU."), 2)
    return None


def _sections(args):
    """Each requested benchmark's section as it finishes, its wall time in its notes."""
    if args.device:
        from benchmarks import gpu
        start = time.perf_counter()
        for section in gpu.sections(args.device, args.quick, args.repeats):
            section.notes.append(f"Wall time since the device benchmark began: "
                                 f"{time.perf_counter() - start:.1f} s.")
            yield section
        return
    for name in BENCHMARKS:
        if name not in args.only:
            continue
        start = time.perf_counter()
        section = _run_one(name, args)
        section.notes.append(f"Benchmark wall time: {time.perf_counter() - start:.1f} s.")
        yield section


def _main(args):
    if args.device:
        unavailable = _device_unavailable(args.device)
        if unavailable is not None:
            message, code = unavailable
            print(message, file=sys.stderr if code else sys.stdout)
            return code
    # The timed fits stop after a fixed, short number of epochs: the warning that
    # such a model is not yet better than a constant says nothing about speed.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    machine = _harness.machine_line()
    if args.device:
        from benchmarks import gpu
        machine += " " + gpu.device_line(args.device)
    print(f"# skdnn benchmarks{' (quick)' if args.quick else ''}\n\n{machine}\n", flush=True)
    if args.quick:
        print(QUICK_NOTE + "\n", flush=True)
    sections = []
    for section in _sections(args):
        sections.append(section)
        for ratio in section.ratios:
            ratio.verdict = not args.quick
        print(section.markdown(), flush=True)
    rows = [[s.key, r.label, r.value, r.target_text, r.result]
            for s in sections for r in s.ratios if r.op is not None]
    print("## Summary\n")
    headers = ["benchmark", "ratio", "value", "target", "result"]
    print("\n".join(_harness.markdown_table(headers, rows)))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nLoad average at the end: {load}. Timings are medians of alternated runs; on a "
          "busy machine compare with the 'from best runs' column, or rerun.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "quick": args.quick,
                       "sections": [s.as_dict() for s in sections]}, f, indent=1, default=float)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
