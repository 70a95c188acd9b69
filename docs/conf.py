"""Sphinx configuration of the skdnn documentation.

Build from the repository root with::

    pip install ".[docs]"      # or: pip install . -r docs/requirements.txt
    sphinx-build -W --keep-going -b html docs docs/_build/html

The examples gallery runs every ``examples/plot_*.py``. The cat vs non-cat
example needs the images (set ``SKDNN_DATA`` to the folder holding
``train_catvnoncat.h5`` and ``test_catvnoncat.h5``); without them it is shown
but not run, and the build still succeeds.
"""

import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# Document the source tree next to this folder, and let child processes (the
# joblib workers of the grid-search example) import it too.
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT),
                                                         os.environ.get("PYTHONPATH")]))
os.environ.setdefault("MPLBACKEND", "Agg")

import skdnn  # noqa: E402
from skdnn.datasets import get_data_home  # noqa: E402

# -- Project ------------------------------------------------------------------

project = "skdnn"
author = "the skdnn developers"
copyright = "the skdnn developers"
version = release = skdnn.__version__

# -- General ------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "auto_examples/*.md5",
                    "auto_examples/*.json",
                    # Included by user_guide/settings.rst, not a page of its own.
                    "user_guide/settings_table.rst"]
default_role = "literal"
root_doc = "index"

autosummary_generate = True
autodoc_typehints = "none"

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- Examples gallery ---------------------------------------------------------


def _cat_data_present():
    home = get_data_home()
    return all((home / name).is_file()
               for name in ("train_catvnoncat.h5", "test_catvnoncat.h5"))


# sphinx-gallery runs the files whose path matches this pattern and only shows
# the others. Without the cat images, plot_cat_table.py would stop at once
# (sys.exit), so it is shown without being run.
_RUN_PATTERN = r"/plot_" if _cat_data_present() else r"/plot_(?!cat_table)"

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": _RUN_PATTERN,
    "doc_module": ("skdnn",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skdnn": None},
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "plot_gallery": "True",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}

# -- HTML ---------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skdnn {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "getting_started": []}
html_static_path = []
html_show_sourcelink = False

# -- Module-level tables of skdnn.engine ---------------------------------------
# The engine's tables (ACTIVATIONS, LOSSES, ...) are documented where they are
# defined, by a docstring after the assignment. autodoc looks for such
# docstrings only in the module it documents them from (skdnn.engine, which
# re-exports them), so they are copied into that module's source analysis.

_ENGINE_TABLES = {
    "ACTIVATIONS": "skdnn.engine.activations",
    "OUTPUT_ACTIVATIONS": "skdnn.engine.activations",
    "INITIALIZERS": "skdnn.engine.initializers",
    "LOSSES": "skdnn.engine.losses",
    "LOSS_OF_OUTPUT": "skdnn.engine.losses",
    "OPTIMIZERS": "skdnn.engine.optimizers",
}


def _engine_table_docs(app):
    from sphinx.pycode import ModuleAnalyzer

    engine = ModuleAnalyzer.for_module("skdnn.engine")
    engine.analyze()
    for name, module in _ENGINE_TABLES.items():
        analyzer = ModuleAnalyzer.for_module(module)
        analyzer.analyze()
        engine.attr_docs.setdefault(("", name), list(analyzer.attr_docs[("", name)]))


# -- Methods inherited from scikit-learn --------------------------------------
# The estimators' pages show the methods they inherit from scikit-learn
# (get_params, score, set_fit_request, ...). Their docstrings refer to labels
# and glossary terms of scikit-learn's own documentation, which this offline
# build cannot link to: such references become plain text.

_SKLEARN_ROLE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<[^`>]*>)?`")


def _unlink_sklearn_references(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if not module.startswith("sklearn"):
        return
    for i, line in enumerate(lines):
        lines[i] = _SKLEARN_ROLE.sub(lambda m: f"*{m.group(1).strip()}*", line)


def setup(app):
    app.connect("builder-inited", _engine_table_docs)
    app.connect("autodoc-process-docstring", _unlink_sklearn_references, priority=400)
