"""Hyperparameters as JSON in a model file: tuples, arrays and dicts tagged to come back alike.

Values from a file are decoded strictly: any JSON object that is not one of
the tags is refused, and so is a dict with a key twice.
"""

import math
from numbers import Integral, Real

import numpy as np


def encode_hyperparameter(value, name):
    """JSON form of a hyperparameter; tuples, arrays and dicts are tagged to come back alike."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": str(value)}
    if isinstance(value, list):
        return [encode_hyperparameter(v, name) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [encode_hyperparameter(v, name) for v in value]}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {"__ndarray__": encode_hyperparameter(value.tolist(), name),
                "dtype": value.dtype.str}
    if isinstance(value, dict):
        # JSON keys are strings only; pairs keep class labels such as 0 and "0" apart.
        return {"__dict__": [[encode_hyperparameter(k, name), encode_hyperparameter(v, name)]
                             for k, v in value.items()]}
    if callable(value):
        raise ValueError(f"Hyperparameter {name}={value!r} is a callable, which a model file "
                         "cannot hold (it stores JSON, never code): set it to a name (for "
                         f"scoring, a scikit-learn scorer name) with set_params({name}=...) "
                         "before saving, or pickle the estimator.")
    raise ValueError(f"Hyperparameter {name}={value!r} of type {type(value).__name__} cannot be "
                     "stored in a model file (only None, bool, numbers, str, and lists, "
                     "tuples, numeric arrays and dicts of them).")


def decode_hyperparameters(stored):
    """The hyperparameters from their parsed JSON object, each as :func:`_decode` makes it."""
    if not isinstance(stored, dict):
        raise ValueError("the hyperparameters are not a JSON object")
    return {key: _decode(value) for key, value in stored.items()}


def _decode(value):
    """Inverse of :func:`encode_hyperparameter`; any other JSON object is refused."""
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.keys() == {"__float__"} and value["__float__"] in ("inf", "-inf", "nan"):
        return float(value["__float__"])
    if value.keys() == {"__tuple__"} and isinstance(value["__tuple__"], list):
        return tuple(_decode(v) for v in value["__tuple__"])
    if value.keys() == {"__ndarray__", "dtype"} and isinstance(value["dtype"], str) \
            and len(value["dtype"]) <= 8:
        dtype = np.dtype(value["dtype"])
        if dtype.kind not in "biuf":
            raise ValueError(f"a hyperparameter array has dtype {dtype}, not a numeric one")
        return np.asarray(_decode(value["__ndarray__"]), dtype=dtype)
    if value.keys() == {"__dict__"} and isinstance(value["__dict__"], list):
        pairs = [_decode(p) for p in value["__dict__"]]
        if not all(isinstance(p, list) and len(p) == 2 and
                   isinstance(p[0], (str, int, float, bool, type(None))) for p in pairs):
            raise ValueError("a hyperparameter dict is not stored as [key, value] pairs with "
                             "scalar keys")
        stored = dict(pairs)
        if len(stored) != len(pairs):
            raise ValueError("a hyperparameter dict has a key twice")
        return stored
    raise ValueError(f"a hyperparameter is an unexpected JSON object with keys "
                     f"{sorted(value)[:5]}")
