"""Data, fitted models and comparisons that several test folders share."""
