"""Namespaces, data and comparisons for the array API tests (CPU and GPU).

A fit on another array library is compared with the same fit on NumPy arrays
of the same dtype: the parameters are drawn by NumPy and moved, and so are
the batch orders and dropout masks, so the two agree to float tolerance (not
bit for bit: the libraries sum in their own orders).
"""

import warnings

import array_api_compat
import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_moons, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning

from skdnn import LLayerClassifier, LLayerRegressor, engine
from tests.helpers.training import course


class Namespace:
    """An array library, a device and a float dtype that the tests put data on.

    Parameters
    ----------
    name : str
        Importable name of the library (skipped when it is not installed).
    device_name : str or None
        The library's name of the device; None is its default.
    dtype_name : {"float64", "float32"}
    """

    def __init__(self, name, device_name=None, dtype_name="float64"):
        self.name, self.device_name, self.dtype_name = name, device_name, dtype_name
        self.dtype = np.dtype(dtype_name)
        # Short fits: float64 agrees to rounding; float32 sums in another order per library.
        self.tolerance = ({"rtol": 1e-9, "atol": 1e-12} if dtype_name == "float64"
                          else {"rtol": 2e-4, "atol": 2e-5})

    def __repr__(self):
        return "-".join(filter(None, [self.name, self.device_name, self.dtype_name]))

    def load(self):
        """Import the library; set ``xp`` (array_api_compat's namespace) and ``device``."""
        library = pytest.importorskip(self.name)
        self.xp = array_api_compat.array_namespace(library.asarray(1))
        if self.name == "array_api_strict" and self.device_name is not None:
            self.device = library.Device(self.device_name)
        else:
            self.device = self.device_name
        self.expected_device = array_api_compat.device(self.xp.asarray(1, device=self.device))
        return self

    def host(self, array):
        """``array`` in NumPy, floats in this dtype: what the NumPy reference fit sees."""
        array = np.asarray(array)
        return array.astype(self.dtype) if array.dtype.kind == "f" else array

    def put(self, array):
        """``array`` in this library, on this device (strings stay NumPy's)."""
        array = self.host(array)
        if array.dtype.kind in "OUS":
            return array
        return self.xp.asarray(array, device=self.device)

    def assert_lives_here(self, array):
        """Assert ``array`` is in this library, on this device."""
        assert array_api_compat.array_namespace(array) is self.xp, type(array)
        assert array_api_compat.device(array) == self.expected_device

    def assert_close(self, actual, desired, err_msg=""):
        """Assert ``actual`` (any library) equals NumPy's ``desired`` to this dtype's tolerance."""
        assert_allclose(engine.to_numpy(actual), desired, err_msg=err_msg, **self.tolerance)


NAMESPACES = [
    Namespace("numpy"),
    Namespace("array_api_strict"),
    Namespace("array_api_strict", dtype_name="float32"),
    Namespace("array_api_strict", "device1"),
    Namespace("torch", "cpu"),
    Namespace("torch", "cpu", "float32"),
]


def binary():
    """Two moons: a binary problem."""
    return make_moons(60, noise=0.25, random_state=0)


def multiclass():
    """Three classes, four features."""
    return make_classification(72, n_features=4, n_informative=3, n_redundant=0, n_classes=3,
                               n_clusters_per_class=1, random_state=0)


def multilabel():
    """Three labels, four features."""
    return make_multilabel_classification(60, n_features=4, n_classes=3, random_state=0)


def strings():
    """The three classes of :func:`multiclass`, named by strings."""
    X, y = multiclass()
    return X, np.array(["cat", "dog", "emu"])[y]


def regression(n_outputs=1, poisson=False):
    """A smooth target of three features; ``poisson``: its exp (positive)."""
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, (64, 3))
    Y = np.column_stack([np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + k for k in range(n_outputs)])
    Y = np.exp(Y) if poisson else Y
    return X, Y.ravel() if n_outputs == 1 else Y


def weights(n):
    """Positive sample weights, not all equal."""
    return np.random.RandomState(1).uniform(0.2, 2.0, n)


SMALL = {"hidden_layer_sizes": (6, 4), "max_iter": 15, "random_state": 0}
ADAM = {"solver": "adam", "learning_rate": 0.01, "batch_size": 16}

def adam_classifier():
    """A classifier trained by Adam on mini-batches, as in :data:`CASES`."""
    return LLayerClassifier(**course(**SMALL, **ADAM))


# (id, estimator, data, whether to pass sample weights): every solver, output and option
# whose arrays could leave the namespace of X.
CASES = [
    ("binary-gd", LLayerClassifier(**course(**SMALL, learning_rate=0.1)), binary, False),
    ("multiclass-adam", LLayerClassifier(**course(**SMALL, **ADAM)), multiclass, False),
    ("multilabel-nesterov", LLayerClassifier(**course(**SMALL, solver="momentum",
                                                      learning_rate=0.05,
                                             nesterovs_momentum=True, batch_size=20)),
     multilabel, False),
    ("strings-alpha", LLayerClassifier(**course(**SMALL, learning_rate=0.1, alpha=0.5)), strings,
     False),
    ("binary-dropout", LLayerClassifier(**course(**SMALL, **ADAM, dropout=0.3)), binary, False),
    ("multiclass-weights", LLayerClassifier(**course(**SMALL, **ADAM)), multiclass, True),
    ("binary-early-stopping", LLayerClassifier(**course(**{**SMALL, "max_iter": 40}, **ADAM,
                                               early_stopping=True, n_iter_no_change=3,
                                               tol=1e-3)), binary, False),
    ("multiclass-lbfgs", LLayerClassifier(**course(**SMALL, solver="lbfgs")), multiclass, False),
    ("regression-adam", LLayerRegressor(**course(**SMALL, **ADAM)), regression, False),
    ("regression-2d-momentum", LLayerRegressor(**course(**SMALL, solver="momentum",
                                                        learning_rate=0.02)),
     lambda: regression(2), True),
    ("poisson-gd", LLayerRegressor(**course(**SMALL, loss="poisson", learning_rate=0.01)),
     lambda: regression(poisson=True), False),
    ("poisson-2d-adam", LLayerRegressor(**course(**SMALL, **ADAM, loss="poisson")),
     lambda: regression(2, poisson=True), False),
    ("regression-lbfgs-weights", LLayerRegressor(**course(**SMALL, solver="lbfgs", alpha=0.1)),
     regression, True),
    # Batch normalisation: batch statistics in training (weighted, with dropout), running
    # ones in prediction, the full batch's for L-BFGS.
    ("multiclass-batch-norm-dropout-weights",
     LLayerClassifier(**course(**SMALL, **ADAM, batch_norm=True, dropout=0.2, alpha=0.1)),
     multiclass, True),
    ("binary-batch-norm-lbfgs-weights",
     LLayerClassifier(**course(**SMALL, solver="lbfgs", batch_norm=True)), binary, True),
    ("regression-2d-batch-norm-momentum",
     LLayerRegressor(**course(**SMALL, solver="momentum", learning_rate=0.02,
                              batch_norm=[False, True], batch_norm_momentum=0.7,
                              batch_size=20)), lambda: regression(2), False),
]


def fit_pair(estimator, data, weighted, ns):
    """The estimator fitted on NumPy and under dispatch on ``ns``; the data of both."""
    X, y = data()
    X, y = ns.host(X), ns.host(y)
    sample_weight = ns.host(weights(len(X))) if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # short fits, on purpose
        reference = clone(estimator).fit(X, y, sample_weight=sample_weight)
        X_ns, y_ns = ns.put(X), ns.put(y)
        with sklearn.config_context(array_api_dispatch=True):
            fitted = clone(estimator).fit(
                X_ns, y_ns, sample_weight=None if sample_weight is None else ns.put(sample_weight))
    return reference, fitted, X, y, X_ns, y_ns


def assert_same_fit(reference, fitted, ns):
    """Assert the fitted arrays (running statistics included) live on ``ns`` and equal NumPy's."""
    assert fitted.n_iter_ == reference.n_iter_
    assert_allclose(fitted.loss_curve_, reference.loss_curve_, **ns.tolerance)
    for key, value in fitted.parameters_.items():
        ns.assert_lives_here(value)
        assert value.dtype == getattr(ns.xp, ns.dtype_name), key
        ns.assert_close(value, reference.parameters_[key], err_msg=key)
    assert fitted.running_stats_.keys() == reference.running_stats_.keys()
    for key, value in fitted.running_stats_.items():
        ns.assert_lives_here(value)
        assert value.dtype == getattr(ns.xp, ns.dtype_name), key
        ns.assert_close(value, reference.running_stats_[key], err_msg=key)
    for fitted_list, reference_list in [(fitted.coefs_, reference.coefs_),
                                        (fitted.intercepts_, reference.intercepts_)]:
        for value, expected in zip(fitted_list, reference_list, strict=True):
            ns.assert_lives_here(value)
            ns.assert_close(value, expected)


def assert_same_outputs(reference, fitted, X, y, X_ns, y_ns, ns):
    """Assert predict (and the probabilities) live on ``ns`` and equal the NumPy model's."""
    methods = ["predict"]
    if isinstance(fitted, LLayerClassifier):
        methods += ["predict_proba", "predict_log_proba"]
    with sklearn.config_context(array_api_dispatch=True):
        for method in methods:
            out = getattr(fitted, method)(X_ns)
            expected = getattr(reference, method)(X)
            if expected.dtype.kind in "OUS":  # string labels come back as NumPy's
                assert isinstance(out, np.ndarray)
                assert_array_equal(out, expected)
                continue
            ns.assert_lives_here(out)
            assert out.shape == expected.shape, method
            if method == "predict" and isinstance(fitted, LLayerClassifier):
                assert_array_equal(engine.to_numpy(out), expected)
            else:
                ns.assert_close(out, expected, err_msg=method)
        score = fitted.score(X_ns, y_ns)
    assert isinstance(score, float)
    assert score == pytest.approx(reference.score(X, y), rel=ns.tolerance["rtol"], abs=1e-6)
