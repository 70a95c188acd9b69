"""skdnn's benchmark suite: skdnn against its peers, with targets.

Run it from the repository root::

    python -m benchmarks            # the full suite (a few minutes)
    python -m benchmarks --quick    # a small version, no verdicts; run by the tests
    python -m benchmarks.first_hour # the defaults against MLP's, on scikit-learn's data
    python -m benchmarks.batch_norm # batch_norm=True against False, at equal work
    python -m benchmarks.batch_norm_leftover  # batch norm when the rows leave a small batch

Each benchmark runs skdnn and its peers alternately, several times, in one
process, and prints Markdown tables of medians and ratios (skdnn / peer),
each ratio beside its target with PASS or MISS. See ``docs/benchmarks.rst``.
"""
