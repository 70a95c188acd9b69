"""The benchmark suite cannot rot: its quick version runs and prints every table.

No timing is asserted here: the quick suite's verdicts (PASS/MISS) mean
nothing at its sizes. What is checked is that ``python -m benchmarks --quick``
exits cleanly and prints, for each benchmark, its Markdown section with a
ratio table of finite numbers and PASS/MISS/info verdicts.
"""

import itertools
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = {"course": "## 1. Course run", "minibatch": "## 2. Mini-batch training",
            "predict": "## 3. Prediction", "memory": "## 4. Fit memory"}


def ratio_rows(text, heading):
    """The rows of the ratio table under ``heading`` in the Markdown ``text``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
               len(lines))
    section = lines[start:end]
    header = next(i for i, line in enumerate(section) if line.startswith("| ratio |"))
    rows = []
    for line in section[header + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def number(cell):
    return float(cell.replace(" ", ""))


@pytest.fixture(scope="module")
def quick_output():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quick_suite_prints_the_machine_line(quick_output):
    assert "Machine: " in quick_output
    assert "NumPy " in quick_output and "BLAS " in quick_output


@pytest.mark.parametrize("key", list(SECTIONS))
def test_quick_suite_prints_each_table_with_finite_ratios(quick_output, key):
    rows = ratio_rows(quick_output, SECTIONS[key])
    assert rows, f"no ratio rows under {SECTIONS[key]!r}"
    for label, value, best, target, result in rows:
        assert math.isfinite(number(value)), (label, value)
        assert best == "-" or math.isfinite(number(best)), (label, best)
        assert result in {"PASS", "MISS", "info"}, (label, result)
        assert (target == "-") == (result == "info"), (label, target, result)
    # Every benchmark compares skdnn with a peer, and checks at least one target.
    assert any(label.startswith("skdnn") and "/" in label for label, *_ in rows)
    assert any(result != "info" for *_, result in rows)


def test_quick_suite_baseline_computes_what_skdnn_computes(quick_output):
    assert "reach the same parameters after 2 iterations: yes" in quick_output


def test_quick_suite_times_the_mini_batch_floor(quick_output):
    # The floor replays products recorded from skdnn: an engine change that
    # breaks the recording would silently drop these rows.
    labels = {row[0] for row in ratio_rows(quick_output, SECTIONS["minibatch"])}
    assert {"skdnn / floor, float64", "floor / MLPClassifier, float64"} <= labels


def test_quick_suite_times_the_course_products_with_their_update(quick_output):
    # Same for the course run: the update row needs every weight's gradient
    # buffer to be found among the recorded products.
    labels = {row[0] for row in ratio_rows(quick_output, SECTIONS["course"])}
    assert "skdnn / its matrix products and weights' update" in labels


def test_quick_suite_prints_the_summary(quick_output):
    rows = ratio_rows(quick_output.replace("| benchmark | ratio |", "| ratio |"), "## Summary")
    assert {row[0] for row in rows} == set(SECTIONS)


def test_ratio_verdicts():
    sys.path.insert(0, str(ROOT))
    from benchmarks._harness import Ratio

    assert Ratio("a", 0.5, "<=", 0.5).result == "PASS"
    assert Ratio("a", 0.51, "<=", 0.5).result == "MISS"
    assert Ratio("a", 1.0, ">=", 1.0).result == "PASS"
    assert Ratio("a", 0.99, ">=", 1.0).result == "MISS"
    assert Ratio("a", 1, "=", 0).result == "MISS"
    assert Ratio("a", float("nan"), "<=", 1.0).result == "MISS"
    assert Ratio("a", 3.0).result == "info"


def test_alternate_rotates_the_order():
    sys.path.insert(0, str(ROOT))
    from benchmarks._harness import alternate

    calls = []
    contenders = {name: (lambda name=name: calls.append(name) or 1.0) for name in "abc"}
    times = alternate(contenders, repeats=3, warmup=False)
    assert calls == list("abcbcacab")
    assert times == {name: [1.0, 1.0, 1.0] for name in "abc"}


def test_compare_runs_two_engines_in_one_process():
    # The working tree against a copy of itself: it runs, prints both
    # engines' times and a finite paired ratio (its value means nothing here).
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", "benchmarks.compare", "--path",
                           str(ROOT / "skdnn"), "--steps", "2", "--trials", "2",
                           "--samples", "600"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("this ") and lines[1].startswith("other ")
    ratio = float(lines[2].split(":")[1].split()[0])
    assert math.isfinite(ratio) and ratio > 0


def test_floor_step_records_the_products_of_one_step():
    # Forward: three products; backward: dW for every layer and dA for the
    # two upper ones, never dA0. A change that recorded two steps, or the
    # input layer's gradient, would change this count.
    sys.path.insert(0, str(ROOT))
    from benchmarks.minibatch import BATCH, FloorStep, make_data

    X, _ = make_data(600)
    floor = FloorStep.record(X)
    sizes = [784, 256, 128, 10]
    weights = sum(a * b for a, b in itertools.pairwise(sizes))
    upper = sum(a * b for a, b in itertools.pairwise(sizes[1:]))
    assert floor.flops == 2 * BATCH * (2 * weights + upper)


def test_floor_step_moves_the_data_of_a_real_step():
    # Adam must read the gradients the products write and update the weights
    # they read; a copy of either would stay cached and flatter the floor.
    sys.path.insert(0, str(ROOT))
    from benchmarks.minibatch import FloorStep, make_data

    floor = FloorStep.record(make_data(600)[0])
    floor.grads["dW1"][...] = 0.0
    floor.products()
    assert np.abs(floor.grads["dW1"]).sum() > 0
    floor.parameters["W2"][...] = np.nan  # dW1 = (W2^T dZ2) X: through the live W2
    floor.products()
    assert np.isnan(floor.grads["dW1"]).all()


def test_profiling_floor_prints_each_part():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", "benchmarks.profiling", "floor", "--samples",
                           "600", "--repeats", "1", "--steps", "2"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    rows = {line[:36].strip(): line[36:].split() for line in done.stdout.splitlines()
            if line.startswith("  ") and "=" not in line}
    assert {"skdnn's training step", "floor step (the three below)", "gather a batch",
            "matrix products of a step", "Adam step (all parameters)",
            "W1-sized pass: np.sqrt"} <= set(rows)
    gflops = float(rows["matrix products of a step"][2])
    assert math.isfinite(gflops) and gflops > 0
    assert "floor step = " in done.stdout and "skdnn / floor, median of per-round" in done.stdout
