"""The README, the examples and the benchmarks, run as a user would."""
