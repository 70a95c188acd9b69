"""Every script of examples/ runs to completion, as ``python examples/NAME.py`` would.

Each example runs in a subprocess with ``MPLBACKEND=Agg`` (no window), from a
temporary working directory, and must exit with status 0 and no traceback.
Examples that import an optional package (matplotlib, pandas) are skipped
when it is missing. The cat-table example is checked further: with the cat
images it must print skdnn's costs equal to the published ones, and without
them it must say how to get them and still exit 0.
"""

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from skdnn.datasets import get_data_home

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
OPTIONAL = {"matplotlib", "pandas", "skl2onnx", "onnxruntime"}
TIMEOUT = 900  # seconds; every example takes well under a minute on two idle cores

# ENGINE.md, "The published table": costs at iterations 0, 100, ..., 400, accuracies.
PUBLISHED = {
    "2 layers (7,)": ([0.693049735659989, 0.6464320953428849, 0.6325140647912677,
                       0.6015024920354665, 0.5601966311605747], 1.0, 0.72),
    "4 layers (20, 7, 5)": ([0.7717493284237686, 0.6720534400822914, 0.6482632048575212,
                             0.6115068816101356, 0.5670473268366111],
                            0.9856459330143539, 0.8),
}


def _missing_optional(path):
    """Optional top-level packages that ``path`` imports and that are not installed."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return sorted(n for n in names & OPTIONAL if importlib.util.find_spec(n) is None)


def _run(path, tmp_path, **env_changes):
    missing = _missing_optional(path)
    if missing:
        pytest.skip(f"{path.name} needs {', '.join(missing)}")
    env = {**os.environ, "MPLBACKEND": "Agg", **env_changes}
    # The examples import skdnn: make the source tree importable whether or
    # not skdnn is installed (it is the same code when it is).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, (
        f"{path.name} exited with {result.returncode}\n--- stdout ---\n{result.stdout}"
        f"\n--- stderr ---\n{result.stderr}")
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout.strip(), f"{path.name} printed nothing"
    return result.stdout


def _cat_data_present():
    home = get_data_home()
    return all((home / f).is_file() for f in ("train_catvnoncat.h5", "test_catvnoncat.h5"))


def test_examples_found():
    names = {p.name for p in EXAMPLES}
    assert {"plot_cat_table.py", "plot_xor.py", "plot_grid_search_pipeline.py",
            "plot_save_load.py", "plot_digits_multiclass.py"} <= names
    for path in EXAMPLES:
        # sphinx-gallery needs a docstring header with a title, and executes plot_*.py only.
        assert path.name.startswith("plot_"), path.name
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert docstring and "\n===" in docstring, f"{path.name} has no gallery title"


@pytest.mark.parametrize("path", [
    pytest.param(p, marks=pytest.mark.slow) if p.name == "plot_scaling_out.py" else p
    for p in EXAMPLES if p.name not in {"plot_cat_table.py", "plot_choosing_settings.py"}],
    ids=lambda p: p.name)
def test_example_runs(path, tmp_path):
    _run(path, tmp_path)


def _scores(rst):
    return [float(line.split("- ")[1]) for line in rst.splitlines()
            if re.fullmatch(r"\s+- -?[0-9.]+", line)]


@pytest.mark.slow
def test_settings_page_table_is_what_its_script_prints(tmp_path):
    printed = _run(ROOT / "examples" / "plot_choosing_settings.py", tmp_path)
    page = (ROOT / "docs" / "user_guide" / "settings_table.rst").read_text(encoding="utf-8")
    # The same rows and columns, and the same scores but for rounding: with another
    # number of BLAS threads, L-BFGS's 200 iterations on digits carry the last-bit
    # differences of the products to two of the 450 held-out predictions (0.822 on
    # two threads, 0.827 on one).
    assert re.sub(r"-?[0-9]+\.[0-9]+", "x", printed) == re.sub(r"-?[0-9]+\.[0-9]+", "x", page)
    assert len(_scores(page)) == 18
    assert _scores(printed) == pytest.approx(_scores(page), abs=0.01)


def test_cat_table_without_data_exits_cleanly(tmp_path):
    empty = tmp_path / "no_data_here"
    empty.mkdir()
    out = _run(ROOT / "examples" / "plot_cat_table.py", tmp_path, SKDNN_DATA=str(empty))
    assert "SKDNN_DATA" in out and "train_catvnoncat.h5" in out
    assert "Cost" not in out and "accuracy" not in out


ROW = re.compile(r"^\s*(\d+)\s+([0-9.]+)\s+([0-9.]+)\s+[0-9.e+-]+\s*$")
ACCURACY = re.compile(r"^train accuracy ([0-9.]+) \(published [0-9.]+\), "
                      r"test accuracy ([0-9.]+) \(published [0-9.]+\)$")


@pytest.mark.slow  # the same fits as tests/engine/test_published_table.py, through the example
@pytest.mark.skipif(not _cat_data_present(),
                    reason="cat images not found: set SKDNN_DATA to the folder holding "
                           "train_catvnoncat.h5 and test_catvnoncat.h5")
def test_cat_table_reproduces_published_figures(tmp_path):
    out = _run(ROOT / "examples" / "plot_cat_table.py", tmp_path)
    # Split the output into one block per model and read skdnn's own column.
    blocks = {}
    current = None
    for line in out.splitlines():
        header = next((name for name in PUBLISHED if line.startswith(name + ":")), None)
        if header:
            current = blocks.setdefault(header, {"costs": [], "acc": None})
        elif current is not None and (row := ROW.match(line)):
            current["costs"].append((int(row.group(1)), float(row.group(2))))
        elif current is not None and (acc := ACCURACY.match(line)):
            current["acc"] = (float(acc.group(1)), float(acc.group(2)))
    assert set(blocks) == set(PUBLISHED), out
    for name, (costs, train, test) in PUBLISHED.items():
        printed = blocks[name]
        assert [i for i, _ in printed["costs"]] == [0, 100, 200, 300, 400], out
        assert [c for _, c in printed["costs"]] == pytest.approx(costs, rel=0, abs=1e-9)
        assert printed["acc"] == pytest.approx((train, test), rel=0, abs=1e-12), out
