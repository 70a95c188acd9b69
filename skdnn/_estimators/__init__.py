"""The estimators' faces and their fit: validation, encoding, solvers, stopping."""
