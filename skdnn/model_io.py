"""Save fitted skdnn estimators to HDF5 files and load them back, without pickle.

A model file holds numbers and strings only: hyperparameters and fitted
scalars as JSON, weights and labels as HDF5 datasets. :func:`load_model`
reads them with h5py (never pickle, never ``eval``) and checks every value
before it builds the estimator, so an untrusted file can at worst be rejected.
"""

import json
import os
import warnings
from numbers import Integral, Real

import h5py
import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._classifier import LLayerClassifier
from ._model_reader import _ESTIMATORS, _FORMAT_NAME, FORMAT_VERSION, _ModelReader

__all__ = ["FORMAT_VERSION", "load_model", "save_model"]

def save_model(estimator, path):
    """Save a fitted estimator to an HDF5 model file.

    The file holds the format version, the skdnn version, the class name, the
    hyperparameters (JSON), the weights, the labels and the fitted scalars
    and curves, so the loaded estimator predicts bit-identically. The
    optimiser's moments and the shuffling generator are not saved:
    ``partial_fit`` or ``warm_start`` after loading start them afresh. The
    written file is read back through :func:`load_model`'s checks, so a file
    that saves also loads.

    Parameters
    ----------
    estimator : LLayerClassifier or LLayerRegressor
        A fitted estimator; not a subclass or a pipeline (use joblib there).
    path : str, path-like or writable binary file object
        Where to write; an existing file is overwritten.

    Raises
    ------
    TypeError
        When ``estimator`` is not an ``LLayerClassifier`` or ``LLayerRegressor``.
    sklearn.exceptions.NotFittedError
        When ``estimator`` is not fitted.
    ValueError
        When a hyperparameter has a type the file cannot hold, or the fitted
        state is inconsistent (e.g. ``hidden_layer_sizes`` set after fitting);
        a file at a path is then removed.

    Warns
    -----
    UserWarning
        When ``random_state`` is a ``numpy.random.RandomState`` instance, which
        cannot be stored: ``random_state=None`` is saved instead (predictions
        are unaffected; a new ``fit`` of the loaded estimator is not seeded).

    See Also
    --------
    load_model : Read the file back.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skdnn import LLayerClassifier
    >>> from skdnn.model_io import load_model, save_model
    >>> X, y = make_classification(50, 4, random_state=0)
    >>> clf = LLayerClassifier((5,), max_iter=20, random_state=0).fit(X, y)
    >>> save_model(clf, "model.h5")  # doctest: +SKIP
    >>> (load_model("model.h5").predict(X) == clf.predict(X)).all()  # doctest: +SKIP
    True
    """
    from . import __version__

    name = type(estimator).__name__
    if _ESTIMATORS.get(name) is not type(estimator):
        raise TypeError(f"save_model saves LLayerClassifier and LLayerRegressor estimators, "
                        f"got {type(estimator).__module__}.{type(estimator).__qualname__}.")
    check_is_fitted(estimator)
    params = estimator.get_params(deep=False)
    if isinstance(params.get("random_state"), np.random.RandomState):
        warnings.warn("random_state is a RandomState instance, which a model file cannot hold: "
                      "random_state=None is saved instead.", UserWarning, stacklevel=2)
        params["random_state"] = None
    hyperparameters = json.dumps({key: _encode(value, key) for key, value in params.items()})
    state, arrays = _collect_state(estimator)
    with h5py.File(path, "w") as f:
        f.attrs.update({"format": _FORMAT_NAME, "format_version": FORMAT_VERSION,
                        "skdnn_version": __version__, "estimator": name,
                        "hyperparameters": hyperparameters, "fitted_state": json.dumps(state)})
        for key, value in arrays.items():
            if value.dtype.kind in "UO":
                f.create_dataset(key, data=value.astype(object), dtype=h5py.string_dtype())
            else:
                f.create_dataset(key, data=value)
    try:
        load_model(path)
    except ValueError as exc:
        if isinstance(path, (str, os.PathLike)):
            os.remove(path)
        raise ValueError(f"{name} cannot be saved, its fitted state is inconsistent: "
                         f"{exc}") from exc


def load_model(path):
    """Load an estimator saved by :func:`save_model`, checking every value first.

    Nothing in the file is executed or unpickled. Before the estimator is
    built, the loader checks the format version, the estimator type
    (``LLayerClassifier`` or ``LLayerRegressor`` only), the hyperparameter
    names (exactly the estimator's) and values (the estimator's own
    validation), the weight shapes against ``n_features_in_``,
    ``hidden_layer_sizes`` and ``n_outputs_``, their dtype (float32 or
    float64, one for all layers) and finiteness, and the labels against the
    output layer. Unknown entries, links and externally stored data are refused.

    Parameters
    ----------
    path : str, path-like or readable binary file object
        A file written by :func:`save_model`.

    Returns
    -------
    estimator : LLayerClassifier or LLayerRegressor
        The fitted estimator.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file is not HDF5, not an skdnn model file, written by a newer
        skdnn (format version above :data:`FORMAT_VERSION`), or fails a check;
        the message names the file and the problem.

    See Also
    --------
    save_model : Write the file.
    """
    source = repr(os.fspath(path)) if isinstance(path, (str, os.PathLike)) \
        else repr(getattr(path, "name", path))
    try:
        f = h5py.File(path, "r")
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ValueError(f"{source} is not an HDF5 file, so not an skdnn model file "
                         f"({exc}).") from exc
    with f:
        try:
            cls, params, attributes = _ModelReader(f, source).read()
        except (OSError, KeyError, TypeError) as exc:
            # h5py's own errors on a damaged file; the message keeps the file name.
            raise ValueError(f"Invalid skdnn model file {source}: it could not be read "
                             f"({type(exc).__name__}: {exc}).") from exc
    estimator = cls(**params)
    # The estimator's own initialisation makes the training-only state (optimiser,
    # patience counter) that partial_fit and warm_start need; the saved attributes
    # then replace what it drew. A throwaway generator keeps NumPy's global one untouched.
    estimator._initialize(attributes["n_features_in_"], attributes["n_outputs_"],
                          attributes["out_activation_"], attributes["parameters_"]["W1"].dtype,
                          np.random.RandomState(0))
    estimator._random_state = check_random_state(estimator.random_state)
    for key, value in attributes.items():
        setattr(estimator, key, value)
    return estimator


# --- writing ---

def _encode(value, name):
    """JSON form of a hyperparameter; tuples, arrays and dicts are tagged to come back alike."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, list):
        return [_encode(v, name) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, name) for v in value]}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {"__ndarray__": _encode(value.tolist(), name), "dtype": value.dtype.str}
    if isinstance(value, dict):
        # JSON keys are strings only; pairs keep class labels such as 0 and "0" apart.
        return {"__dict__": [[_encode(k, name), _encode(v, name)] for k, v in value.items()]}
    raise ValueError(f"Hyperparameter {name}={value!r} of type {type(value).__name__} cannot be "
                     "stored in a model file (only None, bool, numbers, str, and lists, "
                     "tuples, numeric arrays and dicts of them).")


def _collect_state(estimator):
    """Fitted scalars (a JSON-ready dict) and arrays (HDF5 path to ndarray) of ``estimator``."""
    best_score = estimator.best_validation_score_
    state = {"n_features_in_": int(estimator.n_features_in_),
             "n_layers_": int(estimator.n_layers_), "n_outputs_": int(estimator.n_outputs_),
             "out_activation_": str(estimator.out_activation_),
             "n_iter_": int(estimator.n_iter_), "t_": int(estimator.t_),
             "best_loss_": float(estimator.best_loss_),
             "best_validation_score_": None if best_score is None else float(best_score)}
    arrays = {f"parameters/{k}": np.asarray(v) for k, v in estimator.parameters_.items()}
    arrays["loss_curve"] = np.asarray(estimator.loss_curve_, dtype=np.float64)
    if estimator.validation_scores_ is not None:
        arrays["validation_scores"] = np.asarray(estimator.validation_scores_, dtype=np.float64)
    if hasattr(estimator, "feature_names_in_"):
        arrays["feature_names_in"] = _checked_labels(estimator.feature_names_in_, "feature names")
    if isinstance(estimator, LLayerClassifier):
        arrays["classes"] = _checked_labels(estimator.classes_, "classes_")
        state["y_type"] = str(estimator._label_binarizer.y_type_)
        state["sparse_input"] = bool(estimator._label_binarizer.sparse_input_)
    else:
        state["y_ndim"] = int(estimator._y_ndim)
    return state, arrays


def _checked_labels(values, what):
    values = np.asarray(values)
    if values.dtype.kind == "O" and not all(isinstance(v, str) for v in values.tolist()):
        raise ValueError(f"{what} of object dtype must all be str to be saved, got {values!r}.")
    if values.dtype.kind not in "biufUO":
        raise ValueError(f"{what} of dtype {values.dtype} cannot be saved in a model file.")
    return values


