"""batch_norm in the estimators: the network it builds, what predicts, every solver, the options.

Each test compares against a reference that a wrong implementation would
miss: a literal NumPy computation of the statistics, the engine driven by
hand, or another fit that must be equal (repeated rows for integer weights).
Continuing, early stopping, dtypes, sparse input and scikit-learn's checks
are in ``test_batch_norm_fitting.py``.
"""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.preprocessing import LabelBinarizer

from skdnn import LLayerClassifier, LLayerRegressor, engine
from tests.helpers.training import SOLVERS, fit_quietly, moons, regression, three_classes

# Short fits on purpose: the end-of-fit warning about max_iter is expected.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

EPSILON = 1e-5  # the engine's and PyTorch's


def _fitted_bytes(est):
    """The whole fitted state (optimiser and random state included), pickled."""
    params = est.get_params()
    return pickle.dumps(sorted((k, v) for k, v in vars(est).items() if k not in params))


def _batch_statistics(X, parameters, weights=None, hidden="relu"):
    """Each normalised layer's weighted batch mean and (biased) variance, literally.

    ``X`` in scikit-learn's layout; the network's normalised layers use these
    very statistics, as in training.
    """
    weights = np.ones(len(X)) if weights is None else np.asarray(weights, dtype=float)
    A, stats, l = X, {}, 1
    while f"W{l + 1}" in parameters:  # hidden layers only
        Z = A @ parameters[f"W{l}"].T
        if f"gamma{l}" in parameters:
            mean = np.average(Z, axis=0, weights=weights)
            var = np.average((Z - mean) ** 2, axis=0, weights=weights)
            stats[f"running_mean{l}"], stats[f"running_var{l}"] = mean[:, None], var[:, None]
            Z = ((Z - mean) / np.sqrt(var + EPSILON) * parameters[f"gamma{l}"].T
                 + parameters[f"beta{l}"].T)
        else:
            Z = Z + parameters[f"b{l}"].T
        A = np.maximum(Z, 0) if hidden == "relu" else np.tanh(Z)
        l += 1
    return stats


# ------------------------------------------------------------------ the network built


@pytest.mark.parametrize("Est, data", [(LLayerClassifier, moons), (LLayerRegressor, regression)])
@pytest.mark.parametrize("batch_norm, normalised", [(True, [1, 2, 3]), ([False, True, False], [2]),
                                                    ((True, False, True), [1, 3]),
                                                    (False, []), ([False] * 3, [])])
def test_batch_norm_builds_gamma_and_beta_instead_of_b(Est, data, batch_norm, normalised):
    X, y = data(40)
    est = Est((5, 4, 3), batch_norm=batch_norm, max_iter=2, random_state=0).fit(X, y)
    expected = {f"W{l}" for l in range(1, 5)} | {"b4"}
    for l in range(1, 4):
        expected |= {f"gamma{l}", f"beta{l}"} if l in normalised else {f"b{l}"}
    assert set(est.parameters_) == expected
    sizes = {1: 5, 2: 4, 3: 3}
    for l in normalised:
        assert est.parameters_[f"gamma{l}"].shape == est.parameters_[f"beta{l}"].shape == (
            sizes[l], 1)
    assert set(est.running_stats_) == {f"running_{s}{l}" for l in normalised
                                       for s in ("mean", "var")}
    for key, value in est.running_stats_.items():
        assert value.shape == (sizes[int(key[-1])], 1)
        assert np.all(np.isfinite(value))
    # The running statistics have moved from their start (means 0, variances 1).
    assert all(not np.allclose(v, 0) and not np.allclose(v, 1)
               for v in est.running_stats_.values())


@pytest.mark.parametrize("settings, match", [
    ({"batch_norm": [True]}, "batch_norm has 1 entries but there are 2 hidden layers"),
    ({"batch_norm": [True, False, True]}, "batch_norm has 3 entries"),
    ({"batch_norm": [1, 0]}, "batch_norm must be a bool or a list of bools"),
    ({"batch_norm": [True, "yes"]}, "batch_norm must be a bool or a list of bools"),
    ({"batch_norm": "yes"}, "batch_norm"),
    ({"batch_norm": 1}, "batch_norm"),
    ({"batch_norm_momentum": 1.5}, "batch_norm_momentum"),
    ({"batch_norm_momentum": -0.1}, "batch_norm_momentum"),
    ({"batch_norm_momentum": "0.9"}, "batch_norm_momentum"),
])
@pytest.mark.parametrize("how", ["fit", "partial_fit", "warm_start"])
def test_bad_batch_norm_settings_are_refused_before_anything_changes(settings, match, how):
    X, y = moons(40)
    est = LLayerClassifier((4, 3), batch_norm=True, max_iter=2, random_state=0)
    if how == "fit":
        unfitted = clone(est).set_params(**settings)
        with pytest.raises(ValueError, match=match):
            unfitted.fit(X, y)
        assert not hasattr(unfitted, "parameters_") and not hasattr(unfitted, "running_stats_")
    est.set_params(warm_start=how == "warm_start").fit(X, y)
    before = _fitted_bytes(est)
    est.set_params(**settings)
    with pytest.raises(ValueError, match=match):
        est.partial_fit(X, y) if how == "partial_fit" else est.fit(X, y)
    assert _fitted_bytes(est) == before


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9, 1.0])
def test_running_statistics_are_the_momentum_average_of_the_batches(momentum):
    # Two full-batch epochs of gradient descent: the running statistics are
    # momentum * (momentum * start + (1 - momentum) * first) + (1 - momentum) * second,
    # each batch's statistics those of the parameters before its step.
    X, y = moons(50)
    settings = dict(hidden_layer_sizes=(5, 4), solver="gd", learning_rate=0.5, batch_size=None,
                    batch_norm=True, batch_norm_momentum=momentum, random_state=0)
    one = LLayerClassifier(max_iter=1, **settings).fit(X, y)
    two = LLayerClassifier(max_iter=2, **settings).fit(X, y)
    start = engine.initialize_network([2, 5, 4, 1], one.init, np.random.RandomState(0),
                                      batch_norm=[True, True])
    first, second = _batch_statistics(X, start), _batch_statistics(X, one.parameters_)
    for key, value in two.running_stats_.items():
        initial = 0.0 if "mean" in key else 1.0
        after_one = momentum * initial + (1 - momentum) * first[key]
        assert_allclose(one.running_stats_[key], after_one, rtol=1e-10, atol=1e-12, err_msg=key)
        assert_allclose(value, momentum * after_one + (1 - momentum) * second[key], rtol=1e-10,
                        atol=1e-12, err_msg=key)


# ------------------------------------------------------------------ training vs prediction


def _trained_multiclass(**settings):
    X, y = three_classes(90)
    settings = {"batch_norm": True, "solver": "adam", "learning_rate": 0.02, "batch_size": 16,
                "max_iter": 15, "random_state": 0, **settings}
    est = LLayerClassifier((6, 5), **settings).fit(X, y)
    return est, X, y


def test_prediction_normalises_by_the_running_statistics():
    est, X, _ = _trained_multiclass()
    activations = ["relu", "relu", "softmax"]
    by_running, _ = engine.forward_propagation(X.T, est.parameters_, activations,
                                               running_stats=est.running_stats_)
    proba = est.predict_proba(X)
    assert_allclose(proba, by_running.T, rtol=1e-12, atol=1e-15)
    # Training's normalisation, by the batch's own statistics, predicts otherwise.
    by_batch, _ = engine.forward_propagation(X.T, est.parameters_, activations)
    assert np.abs(by_batch.T - proba).max() > 1e-3
    # A row alone (no batch to normalise over) predicts as it does among others.
    for i in (0, 17, 89):
        assert_allclose(est.predict_proba(X[i:i + 1])[0], proba[i], rtol=1e-12, atol=1e-15)
    assert_allclose(est.predict_proba(X[::-1]), proba[::-1], rtol=1e-12, atol=1e-15)


def test_coefs_and_intercepts_are_the_folded_network_that_predicts():
    est, X, _ = _trained_multiclass()
    A = X
    for W, b in zip(est.coefs_[:-1], est.intercepts_[:-1]):
        A = np.maximum(A @ W + b, 0)
    Z = A @ est.coefs_[-1] + est.intercepts_[-1]
    softmax = np.exp(Z - Z.max(axis=1, keepdims=True))
    assert_allclose(softmax / softmax.sum(axis=1, keepdims=True), est.predict_proba(X),
                    rtol=1e-10, atol=1e-13)
    assert est.coefs_[0].shape == (4, 6) and est.intercepts_[0].shape == (6,)


# ------------------------------------------------------------------ every solver


SOLVER_SETTINGS = {"gd": {"learning_rate": 0.5}, "momentum": {"learning_rate": 0.1},
                   "adam": {"learning_rate": 0.02}, "lbfgs": {}}


@pytest.mark.parametrize("solver", SOLVERS)
def test_every_solver_trains_gamma_and_beta(solver):
    X, y = moons(120)
    est = LLayerClassifier((8, 6), batch_norm=True, solver=solver, batch_size=32, max_iter=60,
                           random_state=0, **SOLVER_SETTINGS[solver]).fit(X, y)
    assert est.loss_curve_[-1] < 0.6 * est.loss_curve_[0]
    assert est.score(X, y) > 0.85
    for l in (1, 2):  # started at ones and zeros
        assert not np.allclose(est.parameters_[f"gamma{l}"], 1, atol=1e-3)
        assert not np.allclose(est.parameters_[f"beta{l}"], 0, atol=1e-3)


@pytest.mark.parametrize("Est, data", [
    (LLayerClassifier, moons), (LLayerClassifier, three_classes),
    (LLayerRegressor, regression), (LLayerRegressor, lambda n: regression(n, n_outputs=2))])
def test_lbfgs_predicts_with_the_full_batch_statistics(Est, data):
    X, y = data(60)
    weights = np.random.RandomState(1).uniform(0.2, 2.0, len(X))
    est = Est((5, 4), activation="tanh", batch_norm=[True, True], solver="lbfgs", max_iter=40,
              random_state=0).fit(X, y, sample_weight=weights)
    expected = _batch_statistics(X, est.parameters_, weights, hidden="tanh")
    assert est.running_stats_.keys() == expected.keys()
    for key, value in expected.items():
        assert_allclose(est.running_stats_[key], value, rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("normalize_y", [True, False])
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_regressor_fits_with_batch_norm(solver, n_outputs, normalize_y):
    X, y = regression(120, n_outputs=n_outputs)
    y = 10 * y + 5  # a scale that normalize_y takes off
    est = LLayerRegressor((16, 8), batch_norm=True, solver=solver, learning_rate=0.01,
                          batch_size=32, max_iter=150, normalize_y=normalize_y,
                          random_state=0).fit(X, y)
    assert est.predict(X).shape == y.shape
    assert est.score(X, y) > 0.8


def test_multiclass_softmax_with_batch_norm_predicts_probabilities():
    est, X, y = _trained_multiclass(max_iter=60)
    proba = est.predict_proba(X)
    assert proba.shape == (90, 3)
    assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    assert est.score(X, y) > 0.85


# ------------------------------------------------------------------ the options


def _engine_by_hand(est, X, y, sample_weight, n_epochs):
    """The estimator's training written with the engine: its draws, steps and statistics."""
    rng = np.random.RandomState(est.random_state)
    layers = [X.shape[1], *est.hidden_layer_sizes, len(np.unique(y))]
    hidden = len(est.hidden_layer_sizes)
    parameters = engine.initialize_network(layers, est.init, rng, batch_norm=[True] * hidden)
    running_stats = engine.initialize_running_stats(parameters)
    optimizer = engine.Adam(est.learning_rate, beta_1=est.beta_1, beta_2=est.beta_2,
                            epsilon=est.epsilon)
    Y = LabelBinarizer().fit_transform(y).astype(float)
    for _ in range(n_epochs):
        engine.train_epoch(X.T, Y.T, parameters, [*["relu"] * hidden, "softmax"], optimizer,
                           batch_size=est.batch_size, rng=rng, sample_weight=sample_weight,
                           alpha=est.alpha, dropout=[est.dropout] * hidden,
                           running_stats=running_stats,
                           batch_norm_momentum=est.batch_norm_momentum)
    return parameters, running_stats


def test_dropout_alpha_and_weights_train_as_the_engine_by_hand():
    X, y = three_classes(70)
    weights = np.random.RandomState(2).uniform(0, 2, len(X))
    est = LLayerClassifier((6, 5), batch_norm=True, batch_norm_momentum=0.8, dropout=0.25,
                           alpha=0.3, solver="adam", learning_rate=0.02, batch_size=16,
                           max_iter=6, tol=None, random_state=3)
    est.fit(X, y, sample_weight=weights)
    parameters, running_stats = _engine_by_hand(est, X, y, weights, 6)
    for fitted, expected in [(est.parameters_, parameters), (est.running_stats_, running_stats)]:
        assert fitted.keys() == expected.keys()
        for key in expected:
            assert_allclose(fitted[key], expected[key], rtol=1e-10, atol=1e-13, err_msg=key)
    # Dropout is training's alone: predictions are deterministic.
    assert_array_equal(est.predict_proba(X), est.predict_proba(X))


def test_alpha_penalises_the_weights_but_not_gamma_and_beta():
    # One full-batch step of gradient descent with and without the penalty:
    # it adds alpha / m * W to each dW, and nothing to dgamma and dbeta.
    X, y = moons(80)
    alpha, learning_rate, m = 3.0, 0.5, len(X)
    settings = dict(hidden_layer_sizes=(5, 4), batch_norm=[True, False], solver="gd",
                    learning_rate=learning_rate, batch_size=None, max_iter=1, random_state=0)
    penalised = LLayerClassifier(alpha=alpha, **settings).fit(X, y)
    plain = LLayerClassifier(alpha=0.0, **settings).fit(X, y)
    start = engine.initialize_network([2, 5, 4, 1], plain.init, np.random.RandomState(0),
                                      batch_norm=[True, False])
    for key, value in plain.parameters_.items():
        if key.startswith("W"):
            assert_allclose(penalised.parameters_[key],
                            value - learning_rate * alpha / m * start[key], rtol=1e-12,
                            atol=1e-14, err_msg=key)
        else:
            assert_array_equal(penalised.parameters_[key], value, err_msg=key)
    # The cost counts the squared weights alone (gamma starts at ones: they would show).
    squares = sum(np.sum(start[f"W{l}"] ** 2) for l in (1, 2, 3))
    assert penalised.loss_curve_[0] == pytest.approx(
        plain.loss_curve_[0] + 0.5 * alpha * squares / m, rel=1e-12)


@pytest.mark.parametrize("Est, data", [(LLayerClassifier, three_classes),
                                       (LLayerRegressor, regression)])
def test_lbfgs_integer_weights_are_repeated_rows_and_zero_weights_removed_rows(Est, data):
    X, y = data(45)
    est = Est((5, 4), activation="tanh", batch_norm=True, solver="lbfgs", alpha=0.1,
              max_iter=50, random_state=0)
    repeats = np.tile([0, 1, 2, 3], 12)[:len(X)]
    weighted = fit_quietly(clone(est), X, y, sample_weight=repeats)
    rows = np.repeat(np.arange(len(X)), repeats)
    repeated = fit_quietly(clone(est), X[rows], y[rows])
    for name in ("parameters_", "running_stats_"):
        fitted, expected = getattr(weighted, name), getattr(repeated, name)
        for key in expected:
            assert_allclose(fitted[key], expected[key], rtol=1e-6, atol=1e-9, err_msg=key)
    assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-6, atol=1e-9)
    unweighted = fit_quietly(clone(est), X, y)
    assert not np.allclose(unweighted.running_stats_["running_mean1"],
                           weighted.running_stats_["running_mean1"], atol=1e-4)
