"""What every benchmark shares: alternating timings, verdicts, Markdown tables.

A benchmark builds a :class:`Section`: a title, a table of measurements, and
ratio rows, each with its target and a PASS/MISS verdict. Timings come from
:func:`alternate`, which runs skdnn and its peers in turn, in a rotating
order, several times in the same process, so that a burst of load from other
processes lands on every contender alike; the tables report medians.
"""

import contextlib
import gc
import math
import os
import platform
import statistics
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Ratio", "Section", "alternate", "blas_threads", "machine_line", "markdown_table", "median",
           "timed"]


@contextlib.contextmanager
def blas_threads(n):
    """Limit NumPy's BLAS to ``n`` threads inside the block (``None``: no limit)."""
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n, user_api="blas"):
        yield


def timed(function, *args, **kwargs):
    """Run ``function(*args, **kwargs)`` and return the elapsed wall time in seconds."""
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def alternate(contenders, repeats, warmup=True):
    """Time several contenders in turn, ``repeats`` rounds.

    Each contender is a callable taking no argument and returning its own
    elapsed time in seconds (so that it can leave its setup out of the
    timing). Round ``r`` runs the contenders in the order rotated by ``r``,
    so none is always first (or always right after the heaviest one).

    Parameters
    ----------
    contenders : dict of str to callable
    repeats : int
    warmup : bool, default=True
        Run every contender once, untimed, before the first round.

    Returns
    -------
    times : dict of str to list of float
        Seconds of each run, by contender.
    """
    names = list(contenders)
    if warmup:
        for name in names:
            contenders[name]()
    times = {name: [] for name in names}
    for r in range(repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            times[name].append(float(contenders[name]()))
    return times


def median(values):
    """Median of a non-empty sequence of numbers, as a float."""
    return float(statistics.median(values))


_OPERATORS = {"<=": lambda v, t: v <= t, ">=": lambda v, t: v >= t,
              "=": lambda v, t: v == t}


@dataclass
class Ratio:
    """One ratio (or other figure) checked against a target.

    Attributes
    ----------
    label : str
        What is compared, e.g. ``"skdnn / MLPClassifier"``.
    value : float
    op : {"<=", ">=", "="} or None
        ``None`` for an informational row (no target).
    target : float or None
    best : float or None
        For timings: the same ratio from each contender's best run, a
        reading less sensitive to load from other processes (informational;
        the verdict uses ``value``, from medians).
    verdict : bool
        False at sizes too small to judge (``--quick``): the row keeps its
        target but reads ``"no verdict"``.
    """

    label: str
    value: float
    op: str = None
    target: float = None
    best: float = None
    verdict: bool = True

    @property
    def result(self):
        """``"PASS"``, ``"MISS"``, ``"info"`` without a target, or ``"no verdict"``."""
        if self.op is None:
            return "info"
        if not self.verdict:
            return "no verdict"
        if not math.isfinite(self.value):
            return "MISS"
        return "PASS" if _OPERATORS[self.op](self.value, self.target) else "MISS"

    @property
    def target_text(self):
        """The target as printed, e.g. ``"<= 0.8"``, or ``"-"`` without one."""
        return "-" if self.op is None else f"{self.op} {_number(self.target)}"


@dataclass
class Section:
    """The result of one benchmark: a measurement table and its ratios.

    Attributes
    ----------
    key : str
        Short name, e.g. ``"course"``.
    title : str
    setup : list of str
        Lines describing the data and settings.
    headers : list of str
        Columns of the measurement table.
    rows : list of list
        Its rows; floats are formatted with 3 significant digits.
    ratios : list of Ratio
    notes : list of str
        Lines printed after the tables.
    raw : dict
        Raw measurements (every run's time, ...), kept for ``--json``.
    """

    key: str
    title: str
    setup: list = field(default_factory=list)
    headers: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    ratios: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    raw: dict = field(default_factory=dict)

    def markdown(self):
        """The section as Markdown: a heading, the setup, two tables, the notes."""
        lines = [f"## {self.title}", ""]
        lines += [f"{line}  " if i < len(self.setup) - 1 else line
                  for i, line in enumerate(self.setup)]
        lines += [""] + markdown_table(self.headers, self.rows) + [""]
        ratio_rows = [[r.label, r.value, "-" if r.best is None else r.best, r.target_text,
                       r.result] for r in self.ratios]
        lines += markdown_table(["ratio", "value (medians)", "from best runs", "target",
                                 "result"], ratio_rows)
        if self.notes:
            lines += [""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def as_dict(self):
        """The section as plain data, for ``--json``."""
        return {"key": self.key, "title": self.title, "setup": self.setup,
                "headers": self.headers, "rows": [[_plain(c) for c in row] for row in self.rows],
                "ratios": [{"label": r.label, "value": r.value, "best": r.best,
                            "target": r.target_text, "result": r.result} for r in self.ratios],
                "notes": self.notes, "raw": self.raw}


def _plain(cell):
    if isinstance(cell, (np.floating, np.integer)):
        return cell.item()
    return cell


def _number(x):
    if isinstance(x, str):
        return x
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return f"{int(x):,}".replace(",", " ")
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    magnitude = abs(x)
    if magnitude >= 1000:
        return f"{x:,.0f}".replace(",", " ")
    if magnitude >= 0.01:
        return f"{x:.3g}" if magnitude < 100 else f"{x:.0f}"
    return f"{x:.2e}"


def markdown_table(headers, rows):
    """The lines of a Markdown table; numbers get 3 significant digits.

    Parameters
    ----------
    headers : list of str
    rows : list of list
        Strings as they are, numbers formatted.

    Returns
    -------
    lines : list of str
    """
    cells = [[_number(c) if not isinstance(c, str) else c for c in row] for row in rows]
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in cells]
    return out


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        found = [f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')}, "
                 f"{p.get('num_threads')} threads, {p.get('threading_layer')})"
                 for p in threadpool_info()
                 if p.get("user_api") == "blas" and "numpy" in p.get("filepath", "")]
        if found:
            return found[0]
    try:
        config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{config.get('name')} {config.get('version')}"
    except Exception:  # noqa: BLE001 - older numpy: no dict mode
        return "unknown"


def machine_line():
    """One line describing the machine: CPU, cores, Python, NumPy and its BLAS."""
    import sklearn

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return (f"Machine: {_cpu_model()}, {os.cpu_count()} cores ({usable} usable); "
            f"Python {platform.python_version()}, NumPy {np.__version__} with BLAS {_blas()}, "
            f"scikit-learn {sklearn.__version__}; load average "
            f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} at start.")
