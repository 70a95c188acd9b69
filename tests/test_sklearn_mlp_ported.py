"""scikit-learn's MLP tests (sklearn/neural_network/tests/test_mlp.py, 1.9), ported.

Each test keeps its original name; the line under ``# Port:`` says what was
changed. scikit-learn's ``solver="sgd"`` (momentum 0.9, Nesterov, step 1e-3,
mini-batches of ``min(200, n)``, 100 hidden units, ``alpha=1e-4``) is
:data:`SGD` in skdnn's names: the momentum form of the course takes the step
``1e-3 / (1 - 0.9)`` for the same updates.
"""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor
from sklearn.preprocessing import MinMaxScaler

from skdnn import LLayerClassifier, LLayerRegressor

SGD = dict(hidden_layer_sizes=(100,), solver="momentum", nesterovs_momentum=True,
           momentum=0.9, learning_rate=1e-3 / (1 - 0.9), batch_size=200, alpha=1e-4,
           init="glorot_uniform")

X_digits, y_digits = load_digits(n_class=2, return_X_y=True)
X_digits_binary = MinMaxScaler().fit_transform(X_digits[:200])
y_digits_binary = y_digits[:200]
X_iris, y_iris = load_iris(return_X_y=True)


def test_partial_fit_errors():
    # Port: MLPClassifier(solver="sgd") is LLayerClassifier(solver="gd").
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    with pytest.raises(ValueError):
        LLayerClassifier(solver="gd").partial_fit(X, y, classes=[2])
    assert not hasattr(LLayerClassifier(solver="lbfgs"), "partial_fit")


def test_adaptive_learning_rate():
    # Port: learning_rate="adaptive" is schedule="adaptive"; solver="sgd" is SGD.
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    clf = LLayerClassifier(tol=0.5, max_iter=3000, schedule="adaptive", **SGD)
    clf.fit(X, y)
    assert clf.max_iter > clf.n_iter_
    assert 1e-6 > clf._optimizer.learning_rate


def test_warm_start():
    # Port: skdnn's message lists the classes as Python lists, after a colon.
    X = X_iris
    y = y_iris
    y_2classes = np.array([0] * 75 + [1] * 75)
    y_3classes = np.array([0] * 40 + [1] * 40 + [2] * 70)
    y_3classes_alt = np.array([0] * 50 + [1] * 50 + [3] * 50)
    y_4classes = np.array([0] * 37 + [1] * 37 + [2] * 38 + [3] * 38)
    y_5classes = np.array([0] * 30 + [1] * 30 + [2] * 30 + [3] * 30 + [4] * 30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = LLayerClassifier(hidden_layer_sizes=2, solver="lbfgs", warm_start=True,
                               random_state=42, tol=1e-2).fit(X, y)
        clf.fit(X, y)
        clf.fit(X, y_3classes)
        for y_i in (y_2classes, y_3classes_alt, y_4classes, y_5classes):
            clf = LLayerClassifier(hidden_layer_sizes=2, solver="lbfgs", warm_start=True,
                                   random_state=42, tol=1e-2).fit(X, y)
            message = ("warm_start can only be used where y has the same classes as in the "
                       f"previous call to fit: previously [0, 1, 2], y has "
                       f"{np.unique(y_i).tolist()}")
            with pytest.raises(ValueError, match=re.escape(message)):
                clf.fit(X, y_i)


def test_n_iter_no_change():
    # Port: solver="sgd" is SGD; random_state=0 (the original draws from NumPy's global seed).
    X = X_digits_binary[:100]
    y = y_digits_binary[:100]
    tol = 0.01
    max_iter = 3000
    for n_iter_no_change in [2, 5, 10, 50, 100]:
        clf = LLayerClassifier(tol=tol, max_iter=max_iter, n_iter_no_change=n_iter_no_change,
                               random_state=0, **SGD)
        clf.fit(X, y)
        assert clf._no_improvement_count == n_iter_no_change + 1
        assert max_iter > clf.n_iter_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_n_iter_no_change_inf():
    # Port: solver="sgd" is SGD; random_state=0.
    X = X_digits_binary[:100]
    y = y_digits_binary[:100]
    tol = 1e9
    n_iter_no_change = np.inf
    max_iter = 3000
    clf = LLayerClassifier(tol=tol, max_iter=max_iter, n_iter_no_change=n_iter_no_change,
                           random_state=0, **SGD)
    clf.fit(X, y)
    assert clf.n_iter_ == max_iter
    assert clf._no_improvement_count == clf.n_iter_ - 1


@pytest.mark.parametrize("MLPEstimator", [LLayerClassifier, LLayerRegressor])
def test_mlp_partial_fit_after_fit(MLPEstimator):
    # Port: solver="adam" with its step 1e-3 and max_iter=200, scikit-learn's defaults.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPEstimator(early_stopping=True, solver="adam", learning_rate=1e-3,
                           max_iter=200, random_state=0).fit(X_iris, y_iris)
    msg = "partial_fit does not support early_stopping=True"
    with pytest.raises(ValueError, match=msg):
        mlp.partial_fit(X_iris, y_iris)


@pytest.mark.parametrize("global_random_seed", [0, 42])
def test_mlp_vs_poisson_glm_equivalent(global_random_seed):
    # Port: two seeds in place of scikit-learn's global_random_seed fixture.
    n = 100
    rng = np.random.default_rng(global_random_seed)
    X = np.linspace(0, 1, n)
    y = rng.poisson(np.exp(X + 1))
    X = X.reshape(n, -1)
    glm = PoissonRegressor(alpha=0, tol=1e-7).fit(X, y)
    mlp = LLayerRegressor(loss="poisson", hidden_layer_sizes=(1,), activation="identity",
                          alpha=0, solver="lbfgs", tol=1e-7,
                          random_state=np.random.RandomState(global_random_seed + 1)).fit(X, y)
    assert_allclose(mlp.predict(X), glm.predict(X), rtol=1e-4)
    mlp = LLayerRegressor(loss="squared_error", hidden_layer_sizes=(1,), activation="identity",
                          alpha=0, solver="lbfgs", tol=1e-7,
                          random_state=np.random.RandomState(global_random_seed + 1)).fit(X, y)
    assert not np.allclose(mlp.predict(X), glm.predict(X), rtol=1e-4)
