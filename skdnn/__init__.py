"""skdnn: the L-layer neural network of the deep-learning course, as scikit-learn estimators.

- :mod:`skdnn.engine`: the NumPy forward/backward engine with the course's functions.
- :class:`LLayerClassifier`, :class:`LLayerRegressor`: scikit-learn estimators on it, with
  scikit-learn's ``MLPClassifier``/``MLPRegressor`` defaults; :data:`COURSE_SETTINGS`: the
  course's settings (``LLayerClassifier(**COURSE_SETTINGS)``).
- :func:`save_model`, :func:`load_model`: model files safe to take from anyone (safetensors
  and JSON, checksummed, never unpickled; atomic saves; exact resume), :class:`ModelFileError`.
- :mod:`skdnn.datasets`: the cat vs non-cat images.
- :mod:`skdnn.plotting`: loss curves and misclassified images (needs matplotlib).
"""

from types import MappingProxyType

from ._estimators.classifier import LLayerClassifier
from ._estimators.regressor import LLayerRegressor
from .model_io import ModelFileError, load_model, save_model

__version__ = "0.1.0"

COURSE_SETTINGS = MappingProxyType({
    "hidden_layer_sizes": (20, 7, 5), "activation": "relu", "init": "xavier", "solver": "gd",
    "learning_rate": 0.0075, "max_iter": 2500, "batch_size": None, "tol": None, "alpha": 0.0,
})
"""Mapping: the deep-learning course's settings (the estimators' former defaults).

``LLayerClassifier(**COURSE_SETTINGS, random_state=1)`` trains exactly as
:func:`skdnn.engine.L_layer_model` does: layers (20, 7, 5) with ReLU, the
``randn / sqrt(fan_in)`` initialisation, 2500 epochs of full-batch gradient
descent at learning rate 0.0075, no stopping tolerance and no L2 penalty.
Read-only: to change one setting, ``{**COURSE_SETTINGS, "learning_rate": 0.1}``.
"""

__all__ = ["COURSE_SETTINGS", "LLayerClassifier", "LLayerRegressor", "ModelFileError",
           "__version__", "load_model", "save_model"]
