"""The kinds of fitted values: how a model file holds each one, and how it is checked.

A kind turns an attribute into JSON-ready values and named arrays
(``dump``), and back (``load``). The way back checks everything, because the
values may come from a damaged or hostile file: each check fails with a
short ``ValueError`` or ``TypeError`` that never echoes a large value, and
the estimator is built from the given arrays themselves, without copies or a
random initialisation. Which attribute has which kind is the table of
:mod:`skdnn._model_files.schema`.
"""

import math

import numpy as np
from sklearn.preprocessing import LabelBinarizer

from .. import engine

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_LABEL_KINDS = "biuf"
_TARGET_TYPES = ("binary", "multiclass", "multilabel-indicator")


def _short(value, limit=40):
    """``repr(value)`` cut to ``limit`` characters: a file's values may be huge."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _is_finite_number(value):
    """Whether ``value`` is an int or float (not a bool) that a float holds finitely."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int of hundreds of digits
        return False


class _Arrays:
    """The arrays of a model file, handed out once each, checked as they are taken."""

    def __init__(self, arrays):
        if not isinstance(arrays, dict):
            raise TypeError(f"arrays must be a dict, got {type(arrays).__name__}")
        self._arrays = arrays
        self._taken = set()

    def take(self, name, shape, dtypes):
        """The finite array ``name`` of ``shape``, its dtype in ``dtypes`` (or a str of kinds)."""
        array = self._arrays.get(name)
        if not isinstance(array, np.ndarray):
            raise ValueError(f"the array {name!r} is missing")
        if array.shape != shape:
            raise ValueError(f"{name} has shape {_short(array.shape)}, expected {shape}")
        kinds = isinstance(dtypes, str)
        if (array.dtype.kind not in dtypes) if kinds else (array.dtype not in dtypes):
            expected = f"kinds {dtypes!r}" if kinds else sorted(str(d) for d in dtypes)
            raise ValueError(f"{name} has dtype {array.dtype}, expected {expected}")
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ValueError(f"{name} holds non-finite values (NaN or infinity)")
        self._taken.add(name)
        return array

    def __contains__(self, name):
        return name in self._arrays

    def check_all_taken(self):
        unknown = sorted(set(self._arrays) - self._taken)
        if unknown:
            raise ValueError(f"unexpected arrays {_short(unknown[:3])} ({len(unknown)} in all)")


# --- kinds: dump(value, name, arrays, estimator) -> JSON; load(stored, name, arrays, estimator) ---
# An optional kind (a file may lack it) has check_absent(name, estimator), which raises
# ValueError where that file cannot be valid.

MAX_COUNT = 2**53 - 1
"""int: the largest count a model file may hold; up to it, a float holds every count exactly."""


class Count:
    """An int from ``minimum`` to :data:`MAX_COUNT`."""

    optional = False

    def __init__(self, minimum=0):
        self.minimum = minimum

    def dump(self, value, name, arrays, estimator):
        return int(value)

    def load(self, stored, name, arrays, estimator):
        if isinstance(stored, bool) or not isinstance(stored, int) \
                or not self.minimum <= stored <= MAX_COUNT:
            raise ValueError(f"{name} must be an integer from {self.minimum} to 2**53 - 1, "
                             f"got {_short(stored)}")
        return stored


class Number:
    """A float, ±infinity allowed (as the strings "inf", "-inf"), NaN never; or None."""

    optional = False

    def __init__(self, none=False):
        self.none = none

    def dump(self, value, name, arrays, estimator):
        if value is None:
            return None
        value = float(value)
        return value if math.isfinite(value) else str(value)

    def load(self, stored, name, arrays, estimator):
        if stored is None and self.none:
            return None
        if stored in ("inf", "-inf"):
            return float(stored)
        if not _is_finite_number(stored):
            raise ValueError(f"{name} must be a number{' or null' if self.none else ''}, "
                             f"got {_short(stored)}")
        return float(stored)


class Choice:
    """One of a few JSON values, of the same type (so that ``true`` is not ``1``)."""

    optional = False

    def __init__(self, *options):
        self.options = options

    def dump(self, value, name, arrays, estimator):
        return value

    def load(self, stored, name, arrays, estimator):
        for option in self.options:
            if type(stored) is type(option) and stored == option:
                return option
        raise ValueError(f"{name} must be one of {list(self.options)}, got {_short(stored)}")


class Curve:
    """A list of finite floats, kept as the float64 array ``name``; or None."""

    optional = False

    def __init__(self, none=False):
        self.none = none

    def dump(self, value, name, arrays, estimator):
        if value is None:
            return None
        arrays[name] = np.asarray(value, dtype=np.float64).reshape(-1)
        return len(arrays[name])

    def load(self, stored, name, arrays, estimator):
        if stored is None and self.none:
            return None
        length = Count().load(stored, f"the length of {name}", arrays, estimator)
        return arrays.take(name, (length,), (np.dtype(np.float64),)).tolist()


class PerOutput:
    """One finite float per output, in the network's dtype (positive with ``positive``);
    absent when unused."""

    optional = True

    def __init__(self, positive=False):
        self.positive = positive

    def check_absent(self, name, estimator):
        """Absent without ``normalize_y``: the regressor checks which it is."""

    def dump(self, value, name, arrays, estimator):
        arrays[name] = engine.to_numpy(value)
        return len(arrays[name])

    def load(self, stored, name, arrays, estimator):
        n_outputs = estimator.n_outputs_
        if stored != n_outputs or isinstance(stored, bool):
            raise ValueError(f"the length of {name} must be n_outputs_={n_outputs}, "
                             f"got {_short(stored)}")
        values = arrays.take(name, (n_outputs,), (estimator.parameters_["W1"].dtype,))
        if self.positive and not (values > 0).all():
            raise ValueError(f"{name} must be positive")
        return values


class FeatureNames:
    """``feature_names_in_``: absent, or ``n_features_in_`` strings (an object array)."""

    optional = True

    def check_absent(self, name, estimator):
        """Absent when the model was fitted without feature names."""

    def dump(self, value, name, arrays, estimator):
        return [str(v) for v in value]

    def load(self, stored, name, arrays, estimator):
        if not isinstance(stored, list) or len(stored) != estimator.n_features_in_ \
                or not all(isinstance(v, str) for v in stored):
            raise ValueError(f"{name} must be a list of {estimator.n_features_in_} strings")
        return np.asarray(stored, dtype=object)


class Generator:
    """``_random_state``: an MT19937 state, its key the uint32 array ``_random_state.key``."""

    optional = False

    def dump(self, value, name, arrays, estimator):
        state = value.get_state(legacy=False)
        if state["bit_generator"] != "MT19937":
            raise ValueError(f"a random generator of type {state['bit_generator']} cannot be "
                             "saved, only numpy's default MT19937")
        _, key, pos, has_gauss, cached_gaussian = value.get_state()
        arrays[f"{name}.key"] = key
        return {"pos": int(pos), "has_gauss": int(has_gauss),
                "cached_gaussian": float(cached_gaussian)}

    def load(self, stored, name, arrays, estimator):
        if not isinstance(stored, dict) or set(stored) != {"pos", "has_gauss", "cached_gaussian"}:
            raise ValueError(f"{name} must hold exactly pos, has_gauss and cached_gaussian")
        pos, has_gauss, gauss = stored["pos"], stored["has_gauss"], stored["cached_gaussian"]
        if isinstance(pos, bool) or not isinstance(pos, int) or not 0 <= pos <= 624 \
                or has_gauss not in (0, 1) or type(has_gauss) is not int \
                or not _is_finite_number(gauss):
            raise ValueError(f"{name} has an invalid pos, has_gauss or cached_gaussian")
        key = arrays.take(f"{name}.key", (624,), (np.dtype(np.uint32),))
        generator = np.random.RandomState(0)
        generator.set_state(("MT19937", key, pos, has_gauss, float(gauss)))
        return generator


class Labels:
    """``classes_``: a list of strings, or the length of the numeric array ``classes_``."""

    optional = False

    def dump(self, value, name, arrays, estimator):
        value = np.asarray(value)
        if value.dtype.kind in _LABEL_KINDS:
            arrays[name] = value
            return len(value)
        if value.dtype.kind in "UO" and all(isinstance(v, str) for v in value.tolist()):
            return value.tolist()
        raise ValueError(f"{name} of dtype {value.dtype} cannot be saved: only numbers, "
                         "bools and strings")

    def load(self, stored, name, arrays, estimator):
        if isinstance(stored, list):
            if not stored or not all(isinstance(v, str) for v in stored):
                raise ValueError(f"{name} must be a list of strings or a count")
            labels = np.asarray(stored, dtype=str)
        else:
            length = Count(1).load(stored, f"the length of {name}", arrays, estimator)
            labels = arrays.take(name, (length,), _LABEL_KINDS)
        if len(labels) > 1 and not (labels[1:] > labels[:-1]).all():
            raise ValueError(f"{name} must be sorted and distinct")
        return labels


class Binarizer:
    """``_label_binarizer``: a LabelBinarizer rebuilt from ``classes_``, without refitting.

    Refitting would need a target: for multilabel models an identity matrix
    of n_labels squared entries, gigabytes for 20,000 labels.
    """

    optional = False

    def dump(self, value, name, arrays, estimator):
        return {"y_type_": str(value.y_type_), "sparse_input_": bool(value.sparse_input_)}

    def load(self, stored, name, arrays, estimator):
        if not isinstance(stored, dict) or set(stored) != {"y_type_", "sparse_input_"} \
                or stored["y_type_"] not in _TARGET_TYPES \
                or not isinstance(stored["sparse_input_"], bool):
            raise ValueError(f"{name} must hold y_type_ (one of {list(_TARGET_TYPES)}) and "
                             "sparse_input_ (a bool)")
        classes, y_type = estimator.classes_, stored["y_type_"]
        if y_type == "multilabel-indicator":
            valid = classes.dtype.kind in "iu" and np.array_equal(classes,
                                                                  np.arange(len(classes)))
        else:
            valid = (len(classes) == 2) == (y_type == "binary") and len(classes) >= 2
        if not valid:
            raise ValueError(f"{len(classes)} classes of dtype {classes.dtype} are not the "
                             f"classes of a {y_type} target")
        binarizer = LabelBinarizer()
        binarizer.y_type_, binarizer.sparse_input_ = y_type, stored["sparse_input_"]
        binarizer.classes_ = classes
        return binarizer
