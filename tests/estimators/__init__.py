"""Tests of LLayerClassifier and LLayerRegressor and their fit."""
