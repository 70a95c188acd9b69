"""skdnn: the L-layer neural network of the deep-learning course, as scikit-learn estimators.

- :mod:`skdnn.engine`: the NumPy forward/backward engine with the course's functions.
- :class:`LLayerClassifier`, :class:`LLayerRegressor`: scikit-learn estimators on it.
- :func:`save_model`, :func:`load_model`: model files safe to take from anyone (safetensors
  and JSON, checksummed, never unpickled; atomic saves; exact resume), :class:`ModelFileError`.
- :mod:`skdnn.datasets`: the cat vs non-cat images.
- :mod:`skdnn.plotting`: loss curves and misclassified images (needs matplotlib).
"""

from ._classifier import LLayerClassifier
from ._regressor import LLayerRegressor
from .model_io import ModelFileError, load_model, save_model

__version__ = "0.1.0"

__all__ = ["LLayerClassifier", "LLayerRegressor", "ModelFileError", "__version__", "load_model",
           "save_model"]
