"""Tests of save_model and load_model."""
