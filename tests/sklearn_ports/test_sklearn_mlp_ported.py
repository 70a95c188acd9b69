"""scikit-learn's MLP tests (sklearn/neural_network/tests/test_mlp.py, 1.9), ported: fitting, solvers, partial_fit, predict_proba.

Each test keeps its original name and parametrisation; the line under
``# Port:`` says what was changed. The settings are scikit-learn's, translated
by :func:`sklearn_mlp_port.sk` (its docstring gives the translation). The
tests that differ in substance are listed, with the reason, in the docs'
'Coming from MLPClassifier'. The rest, from test_early_stopping on, is in
test_sklearn_mlp_ported_stopping.py.
"""

import functools
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_almost_equal, assert_array_equal
from sklearn.datasets import make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.fixes import CSR_CONTAINERS
from tests.sklearn_ports.sklearn_mlp_port import (
    ACTIVATION_TYPES,
    X_digits_binary,
    X_digits_multi,
    X_reg,
    classification_datasets,
    regression_datasets,
    sk,
    y_digits_binary,
    y_digits_multi,
    y_reg,
)

from skdnn import LLayerClassifier, LLayerRegressor, engine


def test_alpha():
    # Port: as is.
    X = X_digits_binary[:100]
    y = y_digits_binary[:100]
    alpha_vectors = []
    alpha_values = np.arange(2)
    absolute_sum = lambda x: np.sum(np.abs(x))
    for alpha in alpha_values:
        mlp = LLayerClassifier(**sk(hidden_layer_sizes=10, alpha=alpha, random_state=1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(X, y)
        alpha_vectors.append(np.array([absolute_sum(mlp.coefs_[0]),
                                       absolute_sum(mlp.coefs_[1])]))
    for i in range(len(alpha_values) - 1):
        assert (alpha_vectors[i] > alpha_vectors[i + 1]).all()


def test_fit():
    # Port: weights set in parameters_ after a first partial_fit (coefs_ is read-only).
    X = np.array([[0.6, 0.8, 0.7]])
    y = np.array([0])
    mlp = LLayerClassifier(**sk("sgd", learning_rate_init=0.1, alpha=0.1, activation="logistic",
                                random_state=1, max_iter=1, hidden_layer_sizes=2, momentum=0))
    mlp.partial_fit(X, y, classes=[0, 1])
    mlp.parameters_["W1"][...] = np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0]]).T
    mlp.parameters_["W2"][...] = np.array([[0.1], [0.2]]).T
    mlp.parameters_["b1"][...] = np.array([[0.1], [0.1]])
    mlp.parameters_["b2"][...] = np.array([[1.0]])
    mlp.partial_fit(X, y, classes=[0, 1])
    # The worked example is scikit-learn's (test_mlp.py, test_fit).
    assert_almost_equal(mlp.coefs_[0], np.array([[0.098, 0.195756], [0.2956664, 0.096008],
                                                 [0.4939998, -0.002244]]), decimal=3)
    assert_almost_equal(mlp.coefs_[1], np.array([[0.04706], [0.154089]]), decimal=3)
    assert_almost_equal(mlp.intercepts_[0], np.array([0.098333, 0.09626]), decimal=3)
    assert_almost_equal(mlp.intercepts_[1], np.array(0.9235), decimal=3)
    assert_almost_equal(mlp.predict_proba(X)[0, 1], 0.739, decimal=3)


def test_gradient():
    # Port: the gradient is engine.loss_and_gradients' (sklearn: _loss_grad_lbfgs).
    for n_labels in [2, 3]:
        n_samples = 5
        n_features = 10
        random_state = np.random.RandomState(seed=42)
        X = random_state.rand(n_samples, n_features)
        y = 1 + np.mod(np.arange(n_samples) + 1, n_labels)
        Y = LabelBinarizer().fit_transform(y).astype(float)
        for activation in ACTIVATION_TYPES:
            mlp = LLayerClassifier(**sk("lbfgs", activation=activation, hidden_layer_sizes=10,
                                        alpha=1e-5, learning_rate_init=0.2, max_iter=1,
                                        random_state=1))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                mlp.fit(X, y)
            activations = [mlp.activation, mlp.out_activation_]
            parameters = {k: v.copy() for k, v in mlp.parameters_.items()}

            loss_grad_fun = functools.partial(engine.loss_and_gradients, X.T, Y.T,
                                              activations=activations, alpha=1e-5)
            _, grad = loss_grad_fun(parameters)
            grad = {k: v.copy() for k, v in grad.items()}
            epsilon = 1e-5
            for name, p in parameters.items():
                numgrad = np.zeros_like(p)
                for i in np.ndindex(p.shape):
                    p[i] += epsilon
                    plus = loss_grad_fun(parameters)[0]
                    p[i] -= 2 * epsilon
                    minus = loss_grad_fun(parameters)[0]
                    p[i] += epsilon
                    numgrad[i] = (plus - minus) / (epsilon * 2.0)
                assert_almost_equal(numgrad, grad["d" + name])


@pytest.mark.parametrize("X,y", classification_datasets)
def test_lbfgs_classification(X, y):
    # Port: as is.
    X_train = X[:150]
    y_train = y[:150]
    X_test = X[150:]
    expected_shape_dtype = (X_test.shape[0], y_train.dtype.kind)
    for activation in ACTIVATION_TYPES:
        mlp = LLayerClassifier(**sk("lbfgs", hidden_layer_sizes=50, max_iter=150, shuffle=True,
                                    random_state=1, activation=activation))
        mlp.fit(X_train, y_train)
        y_predict = mlp.predict(X_test)
        assert mlp.score(X_train, y_train) > 0.95
        assert (y_predict.shape[0], y_predict.dtype.kind) == expected_shape_dtype


@pytest.mark.parametrize("X,y", regression_datasets)
def test_lbfgs_regression(X, y):
    # Port: as is.
    for activation in ACTIVATION_TYPES:
        mlp = LLayerRegressor(**sk("lbfgs", hidden_layer_sizes=50, max_iter=200, tol=1e-3,
                                   shuffle=True, random_state=1, activation=activation))
        mlp.fit(X, y)
        if activation == "identity":
            assert mlp.score(X, y) > 0.80
        else:
            assert mlp.score(X, y) > 0.98


@pytest.mark.parametrize("X,y", classification_datasets)
def test_lbfgs_classification_maxfun(X, y):
    # Port: as is.
    max_fun = 10
    for activation in ACTIVATION_TYPES:
        mlp = LLayerClassifier(**sk("lbfgs", hidden_layer_sizes=50, max_iter=150,
                                    max_fun=max_fun, shuffle=True, random_state=1,
                                    activation=activation))
        with pytest.warns(ConvergenceWarning):
            mlp.fit(X, y)
        assert max_fun >= mlp.n_iter_


@pytest.mark.parametrize("X,y", regression_datasets)
def test_lbfgs_regression_maxfun(X, y):
    # Port: no warning due for "identity": SciPy converges within max_fun from skdnn's start.
    max_fun = 10
    for activation in ACTIVATION_TYPES:
        mlp = LLayerRegressor(**sk("lbfgs", hidden_layer_sizes=50, tol=0.0, max_iter=150,
                                   max_fun=max_fun, shuffle=True, random_state=1,
                                   activation=activation))
        if activation == "identity":
            with warnings.catch_warnings():
                warnings.simplefilter("error", ConvergenceWarning)
                mlp.fit(X, y)
        else:
            with pytest.warns(ConvergenceWarning):
                mlp.fit(X, y)
        assert max_fun >= mlp.n_iter_


def test_learning_rate_warmstart():
    # Port: _optimizer.learning_rate is the step of the epoch run (t_=4), not the next's.
    X = [[3, 2], [1, 6], [5, 6], [-2, -4]]
    y = [1, 1, 1, 0]
    for learning_rate in ["invscaling", "constant"]:
        mlp = LLayerClassifier(**sk("sgd", hidden_layer_sizes=4, learning_rate=learning_rate,
                                    max_iter=1, power_t=0.25, warm_start=True))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(X, y)
            prev_eta = mlp._optimizer.learning_rate
            mlp.fit(X, y)
            post_eta = mlp._optimizer.learning_rate
        if learning_rate == "constant":
            assert prev_eta == post_eta
        elif learning_rate == "invscaling":
            assert mlp.learning_rate / pow(4 + 1, mlp.power_t) == post_eta


def test_multilabel_classification():
    # Port: as is.
    X, y = make_multilabel_classification(n_samples=50, random_state=0, return_indicator=True)
    mlp = LLayerClassifier(**sk("lbfgs", hidden_layer_sizes=50, alpha=1e-5, max_iter=150,
                                random_state=0, activation="logistic", learning_rate_init=0.2))
    mlp.fit(X, y)
    assert mlp.score(X, y) > 0.97
    mlp = LLayerClassifier(**sk("sgd", hidden_layer_sizes=50, max_iter=150, random_state=0,
                                activation="logistic", alpha=1e-5, learning_rate_init=0.2))
    for i in range(100):
        mlp.partial_fit(X, y, classes=[0, 1, 2, 3, 4])
    assert mlp.score(X, y) > 0.9
    mlp = LLayerClassifier(**sk(early_stopping=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y).predict(X)


def test_multioutput_regression():
    # Port: as is.
    X, y = make_regression(n_samples=200, n_targets=5, random_state=11)
    mlp = LLayerRegressor(**sk("lbfgs", hidden_layer_sizes=50, max_iter=200, tol=1e-2,
                               random_state=1))
    mlp.fit(X, y)
    assert mlp.score(X, y) > 0.9


def test_partial_fit_classes_error():
    # Port: as is.
    X = [[3, 2]]
    y = [0]
    clf = LLayerClassifier(**sk("sgd"))
    clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError):
        clf.partial_fit(X, y, classes=[1, 2])


def test_partial_fit_classification():
    # Port: as is.
    for X, y in classification_datasets:
        mlp = LLayerClassifier(**sk("sgd", max_iter=100, random_state=1, tol=0, alpha=1e-5,
                                    learning_rate_init=0.2))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(X, y)
        pred1 = mlp.predict(X)
        mlp = LLayerClassifier(**sk("sgd", random_state=1, alpha=1e-5, learning_rate_init=0.2))
        for i in range(100):
            mlp.partial_fit(X, y, classes=np.unique(y))
        pred2 = mlp.predict(X)
        assert_array_equal(pred1, pred2)
        assert mlp.score(X, y) > 0.95


def test_partial_fit_unseen_classes():
    # Port: as is.
    clf = LLayerClassifier(**sk(random_state=0))
    clf.partial_fit([[1], [2], [3]], ["a", "b", "c"], classes=["a", "b", "c", "d"])
    clf.partial_fit([[4]], ["d"])
    assert clf.score([[1], [2], [3], [4]], ["a", "b", "c", "d"]) > 0


def test_partial_fit_regression():
    # Port: as is.
    X = X_reg
    y = y_reg
    for momentum in [0, 0.9]:
        mlp = LLayerRegressor(**sk("sgd", max_iter=100, activation="relu", random_state=1,
                                   learning_rate_init=0.01, batch_size=X.shape[0],
                                   momentum=momentum))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(X, y)
        pred1 = mlp.predict(X)
        mlp = LLayerRegressor(**sk("sgd", activation="relu", learning_rate_init=0.01,
                                   random_state=1, batch_size=X.shape[0], momentum=momentum))
        for i in range(100):
            mlp.partial_fit(X, y)
        pred2 = mlp.predict(X)
        assert_allclose(pred1, pred2)
        score = mlp.score(X, y)
        assert score > 0.65


def test_partial_fit_errors():
    # Port: as is.
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    with pytest.raises(ValueError):
        LLayerClassifier(**sk("sgd")).partial_fit(X, y, classes=[2])
    assert not hasattr(LLayerClassifier(**sk("lbfgs")), "partial_fit")


def test_nonfinite_params():
    # Port: skdnn's message, "training diverged".
    rng = np.random.RandomState(0)
    n_samples = 10
    fmax = np.finfo(np.float64).max
    X = fmax * rng.uniform(size=(n_samples, 2))
    y = rng.standard_normal(size=n_samples)
    clf = LLayerRegressor(**sk())
    msg = "training diverged"
    with pytest.raises(ValueError, match=msg), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)


def test_predict_proba_binary():
    # Port: as is.
    X = X_digits_binary[:50]
    y = y_digits_binary[:50]
    clf = LLayerClassifier(**sk(hidden_layer_sizes=5, activation="logistic", random_state=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    y_proba = clf.predict_proba(X)
    y_log_proba = clf.predict_log_proba(X)
    (n_samples, n_classes) = y.shape[0], 2
    proba_max = y_proba.argmax(axis=1)
    proba_log_max = y_log_proba.argmax(axis=1)
    assert y_proba.shape == (n_samples, n_classes)
    assert_array_equal(proba_max, proba_log_max)
    assert_allclose(y_log_proba, np.log(y_proba))
    assert roc_auc_score(y, y_proba[:, 1]) == 1.0


def test_predict_proba_multiclass():
    # Port: as is.
    X = X_digits_multi[:10]
    y = y_digits_multi[:10]
    clf = LLayerClassifier(**sk(hidden_layer_sizes=5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    y_proba = clf.predict_proba(X)
    y_log_proba = clf.predict_log_proba(X)
    (n_samples, n_classes) = y.shape[0], np.unique(y).size
    proba_max = y_proba.argmax(axis=1)
    proba_log_max = y_log_proba.argmax(axis=1)
    assert y_proba.shape == (n_samples, n_classes)
    assert_array_equal(proba_max, proba_log_max)
    assert_allclose(y_log_proba, np.log(y_proba))


def test_predict_proba_multilabel():
    # Port: as is.
    X, Y = make_multilabel_classification(n_samples=50, random_state=0, return_indicator=True)
    n_samples, n_classes = Y.shape
    clf = LLayerClassifier(**sk("lbfgs", hidden_layer_sizes=30, random_state=0))
    clf.fit(X, Y)
    y_proba = clf.predict_proba(X)
    assert y_proba.shape == (n_samples, n_classes)
    assert_array_equal(y_proba > 0.5, Y)
    y_log_proba = clf.predict_log_proba(X)
    proba_max = y_proba.argmax(axis=1)
    proba_log_max = y_log_proba.argmax(axis=1)
    assert (y_proba.sum(1) - 1).dot(y_proba.sum(1) - 1) > 1e-10
    assert_array_equal(proba_max, proba_log_max)
    assert_allclose(y_log_proba, np.log(y_proba))


def test_shuffle():
    # Port: as is.
    X, y = make_regression(n_samples=50, n_features=5, n_targets=1, random_state=0)
    common = {"hidden_layer_sizes": 1, "max_iter": 1, "batch_size": 1, "random_state": 0}
    for shuffle in [True, False]:
        mlp1 = LLayerRegressor(**sk(shuffle=shuffle, **common))
        mlp2 = LLayerRegressor(**sk(shuffle=shuffle, **common))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp1.fit(X, y)
            mlp2.fit(X, y)
        assert np.array_equal(mlp1.coefs_[0], mlp2.coefs_[0])
    mlp1 = LLayerRegressor(**sk(shuffle=True, **common))
    mlp2 = LLayerRegressor(**sk(shuffle=False, **common))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp1.fit(X, y)
        mlp2.fit(X, y)
    assert not np.array_equal(mlp1.coefs_[0], mlp2.coefs_[0])


@pytest.mark.parametrize("csr_container", CSR_CONTAINERS)
def test_sparse_matrices(csr_container):
    # Port: as is.
    X = X_digits_binary[:50]
    y = y_digits_binary[:50]
    X_sparse = csr_container(X)
    mlp = LLayerClassifier(**sk("lbfgs", hidden_layer_sizes=15, random_state=1))
    mlp.fit(X, y)
    pred1 = mlp.predict(X)
    mlp.fit(X_sparse, y)
    pred2 = mlp.predict(X_sparse)
    assert_almost_equal(pred1, pred2)
    pred1 = mlp.predict(X)
    pred2 = mlp.predict(X_sparse)
    assert_array_equal(pred1, pred2)


def test_tolerance():
    # Port: as is.
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    clf = LLayerClassifier(**sk("sgd", tol=0.5, max_iter=3000))
    clf.fit(X, y)
    assert clf.max_iter > clf.n_iter_


def test_verbose_sgd(capsys):
    # Port: skdnn prints the course's "Cost after iteration i": "iteration" for "Iteration".
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    clf = LLayerClassifier(**sk("sgd", max_iter=2, verbose=10, hidden_layer_sizes=2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    clf.partial_fit(X, y)
    out, _ = capsys.readouterr()
    assert "iteration" in out
