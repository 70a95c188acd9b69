"""LLayerClassifier as a scikit-learn user meets it: fit, predict, pipelines, errors."""

import inspect
import re

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_blobs, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import COURSE_SETTINGS, LLayerClassifier, LLayerRegressor, engine
from skdnn._estimators.base import BaseLLayer
from tests.helpers.training import course

FAST = dict(hidden_layer_sizes=(8,), learning_rate=0.5, max_iter=200, random_state=0)


@pytest.fixture
def binary_data():
    return make_classification(120, 6, n_informative=4, class_sep=2.0, random_state=0)


@pytest.fixture
def multiclass_data():
    X, y = make_blobs(150, 4, centers=3, random_state=0)
    return StandardScaler().fit_transform(X), y


# skdnn's name of each MLP parameter whose default skdnn takes.
MLP_NAMES = {"hidden_layer_sizes": "hidden_layer_sizes", "activation": "activation",
             "solver": "solver", "learning_rate": "learning_rate_init", "max_iter": "max_iter",
             "max_fun": "max_fun", "batch_size": "batch_size", "shuffle": "shuffle",
             "power_t": "power_t", "alpha": "alpha", "momentum": "momentum",
             "beta_1": "beta_1", "beta_2": "beta_2", "epsilon": "epsilon", "tol": "tol",
             "n_iter_no_change": "n_iter_no_change", "early_stopping": "early_stopping",
             "validation_fraction": "validation_fraction", "warm_start": "warm_start",
             "random_state": "random_state", "verbose": "verbose"}


def _defaults(cls):
    return {name: p.default for name, p in inspect.signature(cls).parameters.items()}


@pytest.mark.parametrize("ours, peer", [(LLayerClassifier, MLPClassifier),
                                        (LLayerRegressor, MLPRegressor)])
def test_defaults_are_scikit_learns_mlp(ours, peer):
    defaults, peer_defaults = _defaults(ours), _defaults(peer)
    assert {name: defaults[name] for name in MLP_NAMES} == {
        name: peer_defaults[peer_name] for name, peer_name in MLP_NAMES.items()}
    # MLP's Glorot-uniform draw for ReLU, no learning-rate schedule or decay.
    assert (defaults["init"], defaults["schedule"], defaults["decay_rate"]) == (
        "glorot_uniform", "constant", 0.0)


def test_the_three_signatures_agree():
    base = _defaults(BaseLLayer)
    for cls in (LLayerClassifier, LLayerRegressor):
        shared = {name: value for name, value in _defaults(cls).items() if name in base}
        assert shared == base, cls.__name__


def test_course_settings_give_the_course_model():
    clf = LLayerClassifier(**COURSE_SETTINGS)
    assert clf.hidden_layer_sizes == (20, 7, 5)
    assert (clf.activation, clf.init, clf.solver) == ("relu", "xavier", "gd")
    assert (clf.learning_rate, clf.max_iter, clf.batch_size) == (0.0075, 2500, None)
    assert (clf.tol, clf.alpha) == (None, 0.0)
    with pytest.raises(TypeError):
        COURSE_SETTINGS["max_iter"] = 10  # read-only: a typo cannot change it for everyone


def test_auto_batch_size_is_min_200_n_samples():
    X, y = make_blobs(450, 4, centers=2, random_state=0)
    steps = []
    original = engine.OPTIMIZERS["adam"].update

    def counting_update(self, parameters, grads):
        steps.append(1)
        return original(self, parameters, grads)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine.OPTIMIZERS["adam"], "update", counting_update)
        for n_samples, steps_per_epoch in [(450, 3), (150, 1)]:  # 200 + 200 + 50; min(200, 150)
            steps.clear()
            clf = LLayerClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
            with pytest.warns(ConvergenceWarning, match="maximum iterations .max_iter=2. reached"):
                clf.fit(X[:n_samples], y[:n_samples])
            assert len(steps) == 2 * steps_per_epoch


def test_binary_fit_attributes(binary_data):
    X, y = binary_data
    clf = LLayerClassifier(**course(**FAST)).fit(X, y)
    assert clf.score(X, y) > 0.9
    assert_array_equal(clf.classes_, [0, 1])
    assert clf.n_features_in_ == 6
    assert clf.n_iter_ == 200 and len(clf.loss_curve_) == 200
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.n_layers_ == 3 and clf.n_outputs_ == 1 and clf.out_activation_ == "sigmoid"
    assert sorted(clf.parameters_) == ["W1", "W2", "b1", "b2"]
    assert clf.parameters_["W1"].shape == (8, 6) and clf.parameters_["b2"].shape == (1, 1)
    assert [c.shape for c in clf.coefs_] == [(6, 8), (8, 1)]
    assert [b.shape for b in clf.intercepts_] == [(8,), (1,)]
    assert_array_equal(clf.coefs_[0], clf.parameters_["W1"].T)


def test_predict_proba_and_predict_agree(binary_data):
    X, y = binary_data
    clf = LLayerClassifier(**course(**FAST)).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (120, 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.predict(X), clf.classes_[(proba[:, 1] > 0.5).astype(int)])
    assert_allclose(clf.predict_log_proba(X), np.log(proba))


def test_multiclass_uses_softmax(multiclass_data):
    X, y = multiclass_data
    clf = LLayerClassifier(**course(**FAST)).fit(X, y)
    assert clf.out_activation_ == "softmax" and clf.n_outputs_ == 3
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, y) > 0.95


def test_string_labels(multiclass_data):
    X, y = multiclass_data
    labels = np.array(["cat", "dog", "emu"])[y]
    clf = LLayerClassifier(**course(**FAST)).fit(X, labels)
    assert_array_equal(clf.classes_, ["cat", "dog", "emu"])
    assert set(clf.predict(X)) <= {"cat", "dog", "emu"}
    assert clf.score(X, labels) > 0.95


def test_same_random_state_bit_identical(binary_data):
    X, y = binary_data
    a = LLayerClassifier(**course(**FAST)).fit(X, y)
    b = LLayerClassifier(**course(**FAST)).fit(X, y)
    for key in a.parameters_:
        assert_array_equal(a.parameters_[key], b.parameters_[key])
    c = LLayerClassifier(**course(**{**FAST, "random_state": 1})).fit(X, y)
    assert not np.array_equal(a.parameters_["W1"], c.parameters_["W1"])


# One step at learning rate 1e-12 leaves the initial weights, the test's subject:
# the model is no better than a constant, as meant.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_init_draws_layer_by_layer_from_random_state(binary_data):
    X, y = binary_data
    clf = LLayerClassifier(**course((5, 3), init="small", max_iter=1, learning_rate=1e-12,
                           random_state=7)).fit(X, y)
    rng = np.random.RandomState(7)
    for l, (n_out, n_in) in enumerate([(5, 6), (3, 5), (1, 3)], start=1):
        assert_allclose(clf.parameters_[f"W{l}"], rng.randn(n_out, n_in) * 0.01, rtol=1e-9)


def test_verbose_prints_course_lines(binary_data, capsys):
    X, y = binary_data
    LLayerClassifier(**course(**{**FAST, "max_iter": 250}, verbose=1)).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for i, line in zip((0, 100, 200), lines):
        assert re.fullmatch(rf"Cost after iteration {i}: \d\.\d+(e-\d+)?", line)


def test_pipeline_and_grid_search_over_layer_sizes(binary_data):
    X, y = binary_data
    pipe = make_pipeline(StandardScaler(), LLayerClassifier(**course(**FAST)))
    grid = GridSearchCV(pipe, {"llayerclassifier__hidden_layer_sizes": [(2,), (8,), (8, 4)]},
                        cv=3, n_jobs=2).fit(X, y)
    assert len(grid.cv_results_["mean_test_score"]) == 3
    assert grid.best_estimator_.score(X, y) > 0.9
    serial = GridSearchCV(pipe, grid.param_grid, cv=3, n_jobs=1).fit(X, y)
    assert_array_equal(grid.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"])


def test_joblib_round_trip_identical_predictions(binary_data, tmp_path):
    X, y = binary_data
    clf = LLayerClassifier(**course(**FAST)).fit(X, y)
    joblib.dump(clf, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert_array_equal(loaded.predict(X), clf.predict(X))


def test_saturated_units_train_without_runtime_warning(binary_data):
    # pytest turns RuntimeWarning into an error (pyproject.toml).
    X, y = binary_data
    clf = LLayerClassifier(**course((4,), activation="sigmoid", learning_rate=1.0, max_iter=50,
                           random_state=0)).fit(X * 1e4, y)
    assert np.isfinite(clf.loss_curve_).all()
    proba = clf.predict_proba(X * 1e6)
    assert np.isfinite(proba).all()
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        clf.predict_log_proba(X * 1e6)


@pytest.mark.parametrize("X_bad, message", [
    (np.full((4, 6), np.nan), "NaN"),
    (np.full((4, 6), np.inf), "infinity"),
    (np.zeros((0, 6)), "0 sample"),
])
def test_bad_X_at_fit(X_bad, message):
    with pytest.raises(ValueError, match=message):
        LLayerClassifier(**course(**FAST)).fit(X_bad, np.arange(len(X_bad)) % 2)


def test_bad_input_at_predict(binary_data):
    X, y = binary_data
    clf = LLayerClassifier(**course(**FAST)).fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features, but LLayerClassifier is expecting 6"):
        clf.predict(X[:, :5])
    with pytest.raises(ValueError, match="NaN"):
        clf.predict_proba(np.full((2, 6), np.nan))


def test_single_class_and_regression_target(binary_data):
    X, _ = binary_data
    with pytest.raises(ValueError, match="only one class"):
        LLayerClassifier(**course(**FAST)).fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="Unknown label type"):
        LLayerClassifier(**course(**FAST)).fit(X, np.linspace(0, 1, len(X)))


def test_bad_hyperparameters_named(binary_data):
    X, y = binary_data
    for params, name in (({"hidden_layer_sizes": (3, 0)}, "hidden_layer_sizes"),
                         ({"learning_rate": -1.0}, "learning_rate"),
                         ({"init": "ones"}, "init"),
                         ({"activation": ["relu", "tanh"]}, "activation")):
        with pytest.raises(ValueError, match=name):
            LLayerClassifier(**course(**{**FAST, **params})).fit(X, y)
