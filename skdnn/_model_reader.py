"""Reading and checking an skdnn model file, before any estimator is built.

Kept apart from :mod:`skdnn.model_io` (which writes and loads) because the
checks are most of the work: every value is verified with h5py only, never
unpickled or evaluated, and every failure names the file and the problem.
"""

import json

import h5py
import numpy as np
from sklearn.preprocessing import LabelBinarizer

from ._classifier import LLayerClassifier
from ._regressor import LLayerRegressor

FORMAT_VERSION = 1
"""int: version of the file layout that :func:`skdnn.save_model` writes."""

_FORMAT_NAME = "skdnn-model"
_ESTIMATORS = {"LLayerClassifier": LLayerClassifier, "LLayerRegressor": LLayerRegressor}
_ROOT_ATTRS = {"format", "format_version", "skdnn_version", "estimator", "hyperparameters",
               "fitted_state"}
_ROOT_MEMBERS = {"parameters", "loss_curve", "validation_scores", "classes",
                 "feature_names_in"}
_COMMON_STATE = {"n_features_in_", "n_layers_", "n_outputs_", "out_activation_", "n_iter_",
                 "t_", "best_loss_", "best_validation_score_"}
_STATE_KEYS = {LLayerClassifier: _COMMON_STATE | {"y_type", "sparse_input"},
               LLayerRegressor: _COMMON_STATE | {"y_ndim"}}
_OUTPUT_OF_TARGET = {"binary": "sigmoid", "multiclass": "softmax",
                     "multilabel-indicator": "sigmoid"}


def _decode(value):
    """Inverse of :func:`_encode`; any other JSON object is refused."""
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.keys() == {"__tuple__"} and isinstance(value["__tuple__"], list):
        return tuple(_decode(v) for v in value["__tuple__"])
    if value.keys() == {"__ndarray__", "dtype"} and isinstance(value["dtype"], str):
        dtype = np.dtype(value["dtype"])
        if dtype.kind not in "biuf":
            raise ValueError(f"array dtype {dtype} is not numeric")
        return np.asarray(_decode(value["__ndarray__"]), dtype=dtype)
    if value.keys() == {"__dict__"} and isinstance(value["__dict__"], list):
        pairs = [_decode(p) for p in value["__dict__"]]
        if not all(isinstance(p, list) and len(p) == 2 and
                   isinstance(p[0], (str, int, float, bool, type(None))) for p in pairs):
            raise ValueError("a dict is not stored as [key, value] pairs with scalar keys")
        return dict(pairs)
    raise ValueError(f"unexpected JSON object with keys {sorted(value)}")


class _ModelReader:
    """Reads and checks one open model file; every failure names the file."""

    def __init__(self, file, source):
        self.file = file
        self.source = source

    def fail(self, message):
        raise ValueError(f"Invalid skdnn model file {self.source}: {message}.")

    def read(self):
        """Return ``(estimator class, hyperparameters, fitted attributes)``, all checked."""
        attrs = self.file.attrs
        if not isinstance(attrs.get("format"), str) or attrs["format"] != _FORMAT_NAME:
            self.fail(f"it has no 'format' attribute equal to {_FORMAT_NAME!r}, so it was not "
                      "written by skdnn.model_io.save_model")
        version = attrs.get("format_version")
        if not isinstance(version, (int, np.integer)) or isinstance(version, bool) or version < 1:
            self.fail(f"format_version is {version!r}, not a positive integer")
        if version > FORMAT_VERSION:
            raise ValueError(
                f"The skdnn model file {self.source} has format version {int(version)}: it was "
                f"written by a newer skdnn ({attrs.get('skdnn_version')!r}), and this skdnn "
                f"reads format versions up to {FORMAT_VERSION}; upgrade skdnn to load it.")
        unknown = sorted(set(attrs) - _ROOT_ATTRS) + sorted(set(self.file) - _ROOT_MEMBERS)
        if unknown:
            self.fail(f"it has unexpected entries {unknown}")
        name = attrs.get("estimator")
        cls = _ESTIMATORS.get(name) if isinstance(name, str) else None
        if cls is None:
            self.fail(f"unknown estimator type {name!r}; skdnn model files hold one of "
                      f"{sorted(_ESTIMATORS)}")
        params, probe = self.hyperparameters(cls)
        state = self.json_attr("fitted_state")
        if not isinstance(state, dict) or state.keys() != _STATE_KEYS[cls]:
            self.fail(f"fitted_state must have exactly the keys {sorted(_STATE_KEYS[cls])}")
        attributes = self.network(state, probe._layer_sizes())
        attributes.update(self.targets(cls, state))
        return cls, params, attributes

    def json_attr(self, name):
        text = self.file.attrs.get(name)
        if not isinstance(text, str):
            self.fail(f"attribute {name!r} is missing or not a string")
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            self.fail(f"attribute {name!r} is not valid JSON ({exc})")

    def hyperparameters(self, cls):
        stored = self.json_attr("hyperparameters")
        expected = set(cls().get_params(deep=False))
        if not isinstance(stored, dict) or set(stored) != expected:
            got = set(stored) if isinstance(stored, dict) else set()
            self.fail(f"hyperparameters for {cls.__name__} must be exactly its parameters; "
                      f"unknown: {sorted(got - expected)}, missing: {sorted(expected - got)}")
        try:
            params = {key: _decode(value) for key, value in stored.items()}
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            self.fail(f"hyperparameters cannot be decoded ({exc})")
        probe = cls(**params)
        try:
            probe._validate_params()
            probe._check_settings()
        except (ValueError, TypeError) as exc:
            self.fail(f"bad hyperparameter value: {exc}")
        return params, probe

    def scalar(self, state, key, kind=int, minimum=0, allow_none=False, allow_inf=False):
        """``state[key]`` as an int >= ``minimum`` or a float (finite unless ``allow_inf``)."""
        value = state[key]
        if value is None and allow_none:
            return None
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                self.fail(f"{key} is {value!r}, not an integer >= {minimum}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or np.isnan(value) \
                or (np.isinf(value) and not allow_inf):
            self.fail(f"{key} is {value!r}, not a {'' if allow_inf else 'finite '}number")
        return float(value)

    def member(self, name, kind=h5py.Dataset, required=True):
        """The dataset or group ``name``, refusing links and data stored outside the file."""
        parent, _, leaf = name.rpartition("/")
        group = self.member(parent, h5py.Group, required) if parent else self.file
        link = None if group is None else group.get(leaf, getlink=True)
        what = "dataset" if kind is h5py.Dataset else "group"
        if link is None:
            if required:
                self.fail(f"missing {what} {name!r}")
            return None
        if not isinstance(link, h5py.HardLink):
            self.fail(f"{name!r} is a link to somewhere else; model files hold their data inline")
        obj = group[leaf]
        if not isinstance(obj, kind):
            self.fail(f"{name!r} is not a {what}")
        if kind is h5py.Dataset and (obj.external or obj.is_virtual):
            self.fail(f"dataset {name!r} stores its data outside the file")
        return obj

    def floats(self, name, shape=None, required=True):
        """A finite float32/float64 dataset of ``shape`` (else 1-D), checked before reading."""
        ds = self.member(name, required=required)
        if ds is None:
            return None
        if (ds.shape != shape) if shape is not None else (ds.ndim != 1):
            self.fail(f"{name} has shape {ds.shape}, expected {shape or '(n,)'}")
        if ds.dtype.kind != "f" or ds.dtype.itemsize not in (4, 8):
            self.fail(f"{name} has dtype {ds.dtype}, expected float32 or float64")
        values = ds[()].astype(ds.dtype.newbyteorder("="), copy=False)
        if not np.isfinite(values).all():
            self.fail(f"{name} holds non-finite values (NaN or infinity)")
        return values

    def labels(self, name, required=True):
        """A 1-D dataset of numbers or bools, or of UTF-8 strings (then an object array)."""
        ds = self.member(name, required=required)
        if ds is None:
            return None
        info = h5py.check_string_dtype(ds.dtype)
        numeric = info is None and ds.dtype.kind in "biuf" and ds.dtype.isnative
        if ds.ndim != 1 or not (numeric or (info and info.encoding == "utf-8" and not info.length)):
            self.fail(f"{name} has shape {ds.shape} and dtype {ds.dtype}, expected 1-D numbers "
                      "or variable-length UTF-8 strings")
        values = ds[()] if numeric else ds.asstr()[()]
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            self.fail(f"{name} holds non-finite values")
        return values

    def network(self, state, hidden):
        n_features = self.scalar(state, "n_features_in_", minimum=1)
        n_outputs = self.scalar(state, "n_outputs_", minimum=1)
        if self.scalar(state, "n_layers_", minimum=2) != len(hidden) + 2:
            self.fail(f"n_layers_ is {state['n_layers_']} but hidden_layer_sizes={hidden} "
                      f"makes {len(hidden) + 2} layers")
        sizes = [n_features, *hidden, n_outputs]
        expected = {f"{p}{l}" for l in range(1, len(sizes)) for p in "Wb"}
        found = set(self.member("parameters", h5py.Group))
        if found != expected:
            self.fail(f"parameters must be exactly {sorted(expected)}, found {sorted(found)}")
        parameters = {}
        for l in range(1, len(sizes)):
            parameters[f"W{l}"] = self.floats(f"parameters/W{l}", (sizes[l], sizes[l - 1]))
            parameters[f"b{l}"] = self.floats(f"parameters/b{l}", (sizes[l], 1))
        dtypes = sorted({str(p.dtype) for p in parameters.values()})
        if len(dtypes) > 1:
            self.fail(f"the parameters mix dtypes {dtypes}")
        scores = self.floats("validation_scores", required=False)
        attributes = {
            "parameters_": parameters, "n_features_in_": n_features, "n_layers_": len(sizes),
            "n_outputs_": n_outputs, "n_iter_": self.scalar(state, "n_iter_"),
            "t_": self.scalar(state, "t_"), "loss_curve_": self.floats("loss_curve").tolist(),
            "best_loss_": self.scalar(state, "best_loss_", float, allow_inf=True),
            "validation_scores_": None if scores is None else scores.tolist(),
            "best_validation_score_": self.scalar(state, "best_validation_score_", float,
                                                  allow_none=True, allow_inf=True)}
        names = self.labels("feature_names_in", required=False)
        if names is not None:
            if names.shape != (n_features,) or names.dtype.kind != "O":
                self.fail(f"feature_names_in holds {len(names)} {names.dtype} values, expected "
                          f"{n_features} strings")
            attributes["feature_names_in_"] = names
        return attributes

    def targets(self, cls, state):
        n_outputs, out_activation = state["n_outputs_"], state["out_activation_"]
        if cls is LLayerRegressor:
            y_ndim = state["y_ndim"]
            if out_activation != "identity" or isinstance(y_ndim, bool) or y_ndim not in (1, 2) \
                    or (y_ndim == 1 and n_outputs != 1):
                self.fail(f"a regressor needs out_activation_='identity' and y_ndim 1 (one "
                          f"output) or 2, got {out_activation!r}, {y_ndim!r}, {n_outputs} outputs")
            return {"out_activation_": "identity", "_y_ndim": y_ndim}
        y_type = state["y_type"]
        if not isinstance(y_type, str) or y_type not in _OUTPUT_OF_TARGET \
                or not isinstance(state["sparse_input"], bool):
            self.fail(f"y_type is {y_type!r} (expected one of {sorted(_OUTPUT_OF_TARGET)}) and "
                      f"sparse_input {state['sparse_input']!r} must be a bool")
        classes = self.labels("classes")
        if classes.dtype.kind == "O":
            # Strings come back as objects; a fitted binarizer holds them as NumPy str.
            classes = np.asarray(classes.tolist(), dtype=str)
        expected_outputs = 1 if y_type == "binary" else len(classes)
        if out_activation != _OUTPUT_OF_TARGET[y_type] or n_outputs != expected_outputs:
            self.fail(f"a {y_type} classifier with {len(classes)} classes has {expected_outputs} "
                      f"{_OUTPUT_OF_TARGET[y_type]} outputs, but the file says {n_outputs} "
                      f"{out_activation!r} outputs")
        # The binarizer of multilabel y learns from an indicator matrix, not from labels.
        multilabel = y_type == "multilabel-indicator"
        try:
            binarizer = LabelBinarizer().fit(np.eye(len(classes), dtype=int) if multilabel
                                             else classes)
        except ValueError as exc:
            self.fail(f"classes {classes!r} are not valid labels ({exc})")
        if binarizer.y_type_ != y_type or binarizer.classes_.dtype != classes.dtype \
                or not np.array_equal(binarizer.classes_, classes):
            self.fail(f"classes {classes!r} are not the sorted distinct labels of a {y_type} "
                      "target")
        binarizer.sparse_input_ = state["sparse_input"]
        return {"out_activation_": out_activation, "classes_": binarizer.classes_,
                "_label_binarizer": binarizer}

