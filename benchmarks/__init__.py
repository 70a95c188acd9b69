"""skdnn's benchmark suite: skdnn against its peers, with targets.

Run it from the repository root::

    python -m benchmarks            # the full suite (a few minutes)
    python -m benchmarks --quick    # a small version, run by tests/test_benchmarks.py

Each benchmark runs skdnn and its peers alternately, several times, in one
process, and prints Markdown tables of medians and ratios (skdnn / peer),
each ratio beside its target with PASS or MISS. See ``docs/benchmarks.rst``.
"""
