"""skdnn: the L-layer neural network of the deep-learning course, as scikit-learn estimators.

- :mod:`skdnn.engine`: the NumPy forward/backward engine with the course's functions.
- :class:`LLayerClassifier`, :class:`LLayerRegressor`: scikit-learn estimators on it.
- :mod:`skdnn.datasets`: the cat vs non-cat images.
"""

from ._classifier import LLayerClassifier
from ._regressor import LLayerRegressor

__version__ = "0.1.0"

__all__ = ["LLayerClassifier", "LLayerRegressor", "__version__"]
