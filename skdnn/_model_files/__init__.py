"""The fitted state's schema (start, move, model-file check of each attribute) and
the reading of model files."""
