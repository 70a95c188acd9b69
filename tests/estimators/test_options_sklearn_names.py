"""The options that come from scikit-learn's MLP: Nesterov, schedules, Poisson, patience.

Each is checked against the rule scikit-learn states for it (its
``_stochastic_optimizers.py`` and ``_multilayer_perceptron.py``), and the
names scikit-learn spells otherwise get a hint.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import mean_poisson_deviance
from sklearn.neural_network._base import poisson_loss
from tests.helpers.training import assert_same_parameters, fit_quietly, moons, parameters_differ

from skdnn import LLayerClassifier, LLayerRegressor, engine, load_model, save_model
from tests.helpers.training import course


def poisson_data(n=200, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, (n, 2))
    return X, rng.poisson(np.exp(0.5 + X[:, 0] - 0.5 * X[:, 1])).astype(float)


# ---------------------------------------------------------------- Nesterov


def test_nesterovs_momentum_reaches_the_optimiser_and_changes_training():
    X, y = moons(60)
    common = dict(hidden_layer_sizes=(4,), solver="momentum", learning_rate=0.1, max_iter=5,
                  random_state=0)
    plain = fit_quietly(LLayerClassifier(**course(**common)), X, y)
    ahead = fit_quietly(LLayerClassifier(**course(nesterovs_momentum=True, **common)), X, y)
    assert plain._optimizer.nesterov is False and ahead._optimizer.nesterov is True
    assert parameters_differ(plain, ahead)
    # A changed setting starts a fresh optimiser on a warm start.
    ahead.set_params(warm_start=True, nesterovs_momentum=False)
    assert not ahead._optimizer_is_current()


# ---------------------------------------------------------------- schedules


def test_invscaling_divides_by_the_samples_seen_before_the_epoch_plus_one():
    X, y = moons(40)
    common = dict(hidden_layer_sizes=(4,), learning_rate=0.5, random_state=0)
    scheduled = LLayerClassifier(**course(schedule="invscaling", power_t=0.4, max_iter=3,
                                          **common))
    fit_quietly(scheduled, X, y)
    by_hand = LLayerClassifier(**course(warm_start=True, max_iter=1, **common))
    for t in (0, 40, 80):
        fit_quietly(by_hand.set_params(learning_rate=0.5 / (t + 1) ** 0.4), X, y)
    assert_same_parameters(scheduled, by_hand)
    assert scheduled._optimizer.learning_rate == 0.5 / 81 ** 0.4


def test_adaptive_divides_by_5_when_the_loss_stalls_then_stops_below_1e_6():
    X, y = moons(40)
    # tol=10: only the first epoch improves. Each stall of n_iter_no_change + 1
    # = 3 epochs divides the step size by 5, six times (0.0075 / 5**6 < 1e-6);
    # the seventh stops the fit.
    common = dict(hidden_layer_sizes=(4,), tol=10.0, n_iter_no_change=2, max_iter=100,
                  random_state=0)
    adaptive = fit_quietly(LLayerClassifier(**course(schedule="adaptive", **common)), X, y)
    assert adaptive._learning_rate_divisions == 6
    assert adaptive.n_iter_ == 1 + 3 * 7
    assert adaptive._optimizer.learning_rate == 0.0075 / 5 ** 6
    constant = fit_quietly(LLayerClassifier(**course(**common)), X, y)
    assert constant.n_iter_ == 1 + 3
    assert constant._learning_rate_divisions == 0


def test_adaptive_without_tol_divides_but_runs_every_epoch():
    X, y = moons(40)
    clf = fit_quietly(LLayerClassifier(**course((4,), schedule="adaptive", learning_rate=50.0,
                                       n_iter_no_change=1, max_iter=40, random_state=0)), X, y)
    assert clf.n_iter_ == 40
    assert clf._learning_rate_divisions > 0


# ---------------------------------------------------------------- patience, loss_


def test_n_iter_no_change_inf_never_stops():
    X, y = moons(40)
    clf = LLayerClassifier(**course((4,), tol=10.0, n_iter_no_change=np.inf, max_iter=15,
                           random_state=0))
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        clf.fit(X, y)
    assert clf.n_iter_ == 15


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_loss_is_the_last_epochs_loss(solver):
    X, y = moons(40)
    clf = LLayerClassifier(**course((4,), solver=solver, max_iter=7, random_state=0))
    assert not hasattr(clf, "loss_")
    with pytest.raises(NotFittedError):
        clf.loss_
    fit_quietly(clf, X, y)
    assert clf.loss_ == clf.loss_curve_[-1]


# ---------------------------------------------------------------- Poisson


def test_poisson_loss_is_scikit_learns_half_deviance_and_its_gradient_is_exact():
    rng = np.random.RandomState(0)
    AL = rng.uniform(0.1, 3, (2, 30))
    Y = rng.poisson(1.0, (2, 30)).astype(float)
    assert (Y == 0).any()
    loss = engine.LOSSES["poisson"]
    assert loss.output_activation == "exp" and engine.LOSS_OF_OUTPUT["exp"] == "poisson"
    assert_allclose(loss.per_example(AL, Y).mean(), poisson_loss(Y.T, AL.T), rtol=1e-12)
    X = rng.randn(3, 30)
    parameters = engine.initialize_network([3, 4, 2], "xavier", rng)
    assert engine.gradient_check(X, Y, parameters, ["tanh", "exp"]) < 1e-7


def test_poisson_regressor_predicts_positive_counts_and_beats_the_mean(tmp_path):
    X, y = poisson_data()
    reg = LLayerRegressor(**course((8,), solver="adam", learning_rate=0.01, max_iter=300,
                          loss="poisson", random_state=0)).fit(X, y)
    assert reg.out_activation_ == "exp"
    predictions = reg.predict(X)
    assert (predictions > 0).all()
    assert (mean_poisson_deviance(y, predictions)
            < 0.8 * mean_poisson_deviance(y, np.full_like(y, y.mean())))
    save_model(reg, tmp_path / "poisson.safetensors")
    loaded = load_model(tmp_path / "poisson.safetensors")
    assert loaded.out_activation_ == "exp"
    np.testing.assert_array_equal(loaded.predict(X), predictions)


def test_poisson_refuses_negative_targets_and_exp_is_no_hidden_activation():
    X, y = poisson_data(40)
    with pytest.raises(ValueError, match="non-negative"):
        LLayerRegressor(**course((3,), loss="poisson")).fit(X, y - 1)
    with pytest.raises(ValueError, match="activation"):
        LLayerRegressor(**course((3,), activation="exp")).fit(X, y)
    assert fit_quietly(LLayerRegressor(**course((3,), max_iter=2)), X,
                       y).out_activation_ == "identity"


# ---------------------------------------------------------------- as MLPClassifier refuses


@pytest.mark.parametrize("Est", [LLayerClassifier, LLayerRegressor])
def test_partial_fit_refuses_early_stopping(Est):
    X, y = moons(40)
    est = fit_quietly(Est(**course((3,), early_stopping=True, max_iter=3, random_state=0)), X, y)
    with pytest.raises(ValueError, match="early_stopping"):
        est.partial_fit(X, y)


def test_warm_start_needs_the_same_classes():
    X, y = moons(40)
    clf = fit_quietly(LLayerClassifier(**course((3,), warm_start=True, max_iter=2,
                                                random_state=0)), X, y)
    before = {k: v.copy() for k, v in clf.parameters_.items()}
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X[y == 0], y[y == 0])
    assert all(np.array_equal(before[k], clf.parameters_[k]) for k in before)
    fit_quietly(clf, X, y)  # the same classes go on
    # partial_fit may see some of the classes in a batch.
    clf.set_params(warm_start=False).partial_fit(X[y == 0], y[y == 0])


# ---------------------------------------------------------------- scikit-learn's names


@pytest.mark.parametrize("setting, hint", [
    ({"solver": "sgd"}, "solver='gd'"),
    ({"activation": "logistic"}, "'sigmoid'"),
    ({"activation": ["logistic"]}, "'sigmoid'"),
    ({"learning_rate": "adaptive"}, "schedule='adaptive'"),
    ({"learning_rate": "invscaling"}, "schedule='invscaling'"),
])
def test_scikit_learns_spellings_are_refused_with_skdnns_name(setting, hint):
    X, y = moons(20)
    with pytest.raises(ValueError, match=hint):
        LLayerClassifier(**course((3,), **setting)).fit(X, y)


def test_set_params_learning_rate_init_names_learning_rate():
    with pytest.raises(ValueError, match="step size learning_rate"):
        LLayerClassifier(**course()).set_params(learning_rate_init=0.1)
    assert clone(LLayerClassifier(**course(learning_rate=0.1))).learning_rate == 0.1
