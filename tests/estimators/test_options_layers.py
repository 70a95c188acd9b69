"""Dropout, per-layer activations, initialisers, tol and early stopping change training as they should.

Each test compares against a reference (a manual computation, another fit
that must be equal, or one that must differ), so that an option silently
ignored fails. Data and networks are tiny.
"""

import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from tests.helpers.training import (
    SOLVERS,
    TRAINING,
    assert_same_parameters,
    best_validation_epoch,
    fit_quietly,
    initial_parameters,
    moons,
    parameters_differ,
    regression,
    three_classes,
)

from skdnn import LLayerClassifier, LLayerRegressor, engine
from tests.helpers.training import course
from skdnn._estimators.stopping import HeldOutRecord

# ------------------------------------------------------------------- dropout


def test_dropout_changes_training_but_not_prediction():
    X, y = moons(80)
    common = dict(hidden_layer_sizes=(8, 6), learning_rate=0.1, max_iter=30, random_state=0)
    drop = LLayerClassifier(**course(dropout=0.5, **common)).fit(X, y)
    plain = LLayerClassifier(**course(dropout=0.0, **common)).fit(X, y)
    assert parameters_differ(drop, plain)
    P1, P2 = drop.predict_proba(X), drop.predict_proba(X)
    assert_array_equal(P1, P2)
    assert_array_equal(drop.predict(X), drop.predict(X))
    # Prediction is the plain forward pass: no mask, no 1 / (1 - rate) scaling.
    AL, _ = engine.forward_propagation(X.T, drop.parameters_, ["relu", "relu", "sigmoid"])
    assert_allclose(P1[:, 1], AL.ravel(), rtol=1e-12)


def test_dropout_per_layer():
    X, y = moons(80)
    common = dict(hidden_layer_sizes=(8, 6), learning_rate=0.1, max_iter=10, random_state=0)
    zero = LLayerClassifier(**course(dropout=0.0, **common)).fit(X, y)
    assert_same_parameters(zero, LLayerClassifier(**course(dropout=[0.0, 0.0], **common)).fit(X,
                                                                                              y))
    first = LLayerClassifier(**course(dropout=[0.5, 0.0], **common)).fit(X, y)
    second = LLayerClassifier(**course(dropout=[0.0, 0.5], **common)).fit(X, y)
    both = LLayerClassifier(**course(dropout=0.5, **common)).fit(X, y)
    assert parameters_differ(first, second)
    assert parameters_differ(first, zero) and parameters_differ(second, zero)
    assert parameters_differ(both, first) and parameters_differ(both, second)


# A few epochs, to look at masks, activations or initial weights: the
# end-of-fit warning of such a short fit is expected, not the subject.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_dropout_masks_the_right_units(monkeypatch):
    # A unit dropped in a step gets no gradient on its incoming weights.
    X, y = moons(40)
    grads_seen, masks_seen = [], []
    real_grads, real_masks = TRAINING.loss_and_gradients, TRAINING.draw_dropout_masks

    def rec_masks(*args, **kwargs):
        masks = real_masks(*args, **kwargs)
        masks_seen.append(masks)
        return masks

    def rec_grads(*args, **kwargs):
        cost, grads = real_grads(*args, **kwargs)
        grads_seen.append(grads["dW1"].copy())
        return cost, grads

    monkeypatch.setattr(TRAINING, "draw_dropout_masks", rec_masks)
    monkeypatch.setattr(TRAINING, "loss_and_gradients", rec_grads)
    LLayerClassifier(**course((30,), dropout=0.5, max_iter=1, random_state=0)).fit(X, y)
    (mask,), dW1 = masks_seen[0], grads_seen[0]
    assert mask.shape == (30, 40)
    assert set(np.unique(mask)) <= {0.0, 2.0}  # inverted dropout: kept / (1 - rate)
    assert 0.3 < np.mean(mask == 0) < 0.7
    # The gradient of the step is the one of the masked network.
    start = initial_parameters([2, 30, 1], "xavier", 0)
    _, masked = engine.loss_and_gradients(X.T, y[None].astype(float), start,
                                          ["relu", "sigmoid"], dropout_masks=[mask])
    _, unmasked = engine.loss_and_gradients(X.T, y[None].astype(float), start,
                                            ["relu", "sigmoid"])
    assert_allclose(dW1, masked["dW1"], rtol=1e-12)
    assert not np.allclose(dW1, unmasked["dW1"])


def test_dropout_is_rejected_when_invalid():
    X, y = moons(30)
    for bad in [1.0, 1.5, -0.1]:
        with pytest.raises(ValueError, match="dropout"):
            LLayerClassifier(**course((3,), dropout=bad, max_iter=1)).fit(X, y)
    with pytest.raises(ValueError, match="dropout"):
        LLayerClassifier(**course((3, 3), dropout=[0.2, 1.0], max_iter=1)).fit(X, y)
    with pytest.raises(ValueError, match="dropout"):
        LLayerClassifier(**course((3, 3), dropout=[0.2], max_iter=1)).fit(X, y)
    with pytest.raises(ValueError, match="dropout"):
        LLayerClassifier(**course((3,), dropout=0.2, solver="lbfgs", max_iter=1)).fit(X, y)


# ---------------------------------------------------------------- activations


def _affine_defect(f, X):
    # f is affine iff f(a x + (1 - a) z) = a f(x) + (1 - a) f(z).
    a = 0.3
    x, z = X[:10], X[10:20]
    return np.abs(f(a * x + (1 - a) * z) - (a * f(x) + (1 - a) * f(z))).max()


def test_identity_activation_list_gives_a_linear_network():
    X, y = regression(40)
    linear = LLayerRegressor(**course((5, 4), activation=["identity", "identity"],
                                      learning_rate=0.05,
                             max_iter=50, random_state=0)).fit(X, y)
    assert _affine_defect(linear.predict, X) < 1e-12
    for acts in (["identity", "tanh"], ["relu", "identity"], "tanh"):
        other = clone(linear).set_params(activation=acts).fit(X, y)
        assert _affine_defect(other.predict, X) > 1e-4, acts


# A few epochs, to look at masks, activations or initial weights: the
# end-of-fit warning of such a short fit is expected, not the subject.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("acts", [["tanh", "leaky_relu", "sigmoid"],
                                  ["sigmoid", "identity", "relu"]])
def test_activation_list_is_applied_layer_by_layer(acts):
    X, y = three_classes()
    clf = LLayerClassifier(**course((4, 3, 3), activation=acts, learning_rate=0.1, max_iter=20,
                           random_state=0)).fit(X, y)
    A = X.T
    for l, name in enumerate([*acts, "softmax"], start=1):
        Z = clf.parameters_[f"W{l}"] @ A + clf.parameters_[f"b{l}"]
        A = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
             "relu": lambda z: np.maximum(z, 0), "identity": lambda z: z,
             "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
             "softmax": lambda z: np.exp(z) / np.exp(z).sum(axis=0)}[name](Z)
    assert_allclose(clf.predict_proba(X), A.T, rtol=1e-10)
    reversed_ = clone(clf).set_params(activation=acts[::-1]).fit(X, y)
    assert parameters_differ(clf, reversed_)


def test_activation_list_must_match_the_layers():
    X, y = moons(30)
    with pytest.raises(ValueError, match="activation"):
        LLayerClassifier(**course((3, 3), activation=["relu"])).fit(X, y)
    with pytest.raises(ValueError, match="activation"):
        LLayerClassifier(**course((3, 3), activation=["relu", "tanh", "relu"])).fit(X, y)
    with pytest.raises(ValueError, match="mish"):
        LLayerClassifier(**course((3, 3), activation=["relu", "mish"])).fit(X, y)


# ----------------------------------------------------------------------- init


@pytest.mark.parametrize("init, expected_std", [
    ("small", lambda n_in, n_out: 0.01),
    ("xavier", lambda n_in, n_out: 1 / np.sqrt(n_in)),
    ("he", lambda n_in, n_out: np.sqrt(2 / n_in)),
    ("glorot_uniform", lambda n_in, n_out: np.sqrt(2 / (n_in + n_out))),
])
# A few epochs, to look at masks, activations or initial weights: the
# end-of-fit warning of such a short fit is expected, not the subject.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_init_weight_statistics(init, expected_std):
    # W1 of shape (300, 40): 12000 draws, the std is known to about 1%.
    n_in, n_out = 40, 300
    rng = np.random.RandomState(0)
    X, y = rng.randn(10, n_in), np.arange(10) % 2
    clf = LLayerClassifier(**course((n_out,), init=init, learning_rate=1e-12, max_iter=1,
                           random_state=0)).fit(X, y)
    W1 = clf.parameters_["W1"]
    assert W1.shape == (n_out, n_in)
    assert_allclose(W1.std(), expected_std(n_in, n_out), rtol=0.04)
    assert abs(W1.mean()) < 0.05 * expected_std(n_in, n_out)
    assert_allclose(clf.parameters_["W2"].std(), expected_std(n_out, 1), rtol=0.3)
    assert np.all(np.abs(clf.parameters_["b1"]) < 1e-9)  # biases start at 0
    if init == "glorot_uniform":
        limit = np.sqrt(6 / (n_in + n_out))
        assert np.abs(W1).max() <= limit
        assert np.abs(W1).max() > 0.99 * limit
        assert_allclose(np.mean(np.abs(W1) < limit / 2), 0.5, atol=0.03)  # uniform, not normal
    else:
        # Normal: about 68% within one standard deviation (uniform would give 58%).
        assert_allclose(np.mean(np.abs(W1) < W1.std()), 0.683, atol=0.03)


# ------------------------------------------------------- tol, convergence


def test_tol_and_n_iter_no_change_stop_early():
    X, y = moons(60)
    # A huge tol: only the first epoch counts as an improvement.
    clf = LLayerClassifier(**course((4,), tol=10.0, n_iter_no_change=3, max_iter=100,
                           random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    # As MLPClassifier counts (> n_iter_no_change): the first epoch, then
    # n_iter_no_change + 1 epochs without improvement.
    assert clf.n_iter_ == 1 + 3 + 1
    assert len(clf.loss_curve_) == 5
    clf.set_params(n_iter_no_change=7).fit(X, y)
    assert clf.n_iter_ == 1 + 7 + 1
    # tol=None (the default, the course): exactly max_iter epochs, no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.set_params(tol=None).fit(X, y)
    assert clf.n_iter_ == 100


def test_tol_stops_when_the_loss_stops_improving():
    X, y = moons(60)
    clf = LLayerClassifier(**course((6,), solver="adam", learning_rate=0.05, tol=1e-3,
                           n_iter_no_change=5, max_iter=3000, random_state=0)).fit(X, y)
    assert clf.n_iter_ < 3000
    curve = np.asarray(clf.loss_curve_)
    # As in scikit-learn: an epoch improves when its loss is below the best
    # loss so far minus tol. The last 5 + 1 did not; the one before them did.
    for i in range(len(curve) - 6, len(curve)):
        assert curve[i] > curve[:i].min() - 1e-3
    i = len(curve) - 7
    assert curve[i] <= curve[:i].min() - 1e-3
    assert clf.best_loss_ == curve.min()


@pytest.mark.parametrize("solver", SOLVERS)
def test_convergence_warning_when_max_iter_comes_first(solver):
    X, y = moons(60)
    clf = LLayerClassifier(**course((4,), solver=solver, tol=1e-12, max_iter=5, random_state=0))
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        clf.fit(X, y)
    assert clf.n_iter_ == 5


# -------------------------------------------------------------- early stopping


@pytest.mark.parametrize("Est, data", [(LLayerClassifier, moons), (LLayerRegressor, regression)])
def test_early_stopping_restores_the_best_validation_model(Est, data):
    X, y = data(150)
    est = Est(**course((12,), solver="adam", learning_rate=0.05, batch_size=16,
                       early_stopping=True,
              validation_fraction=0.3, n_iter_no_change=8, max_iter=400, random_state=0))
    est.fit(X, y)
    scores = est.validation_scores_
    assert len(scores) == est.n_iter_ == len(est.loss_curve_)
    assert est.n_iter_ < 400  # stopped early
    best = best_validation_epoch(est)
    assert est.best_validation_score_ == scores[best]
    assert best < est.n_iter_ - 1, "the test needs a run whose last epoch is not the best"
    assert est.best_loss_ == min(est.loss_curve_)
    # Fitting again for best + 1 epochs reaches the model of that epoch.
    again = fit_quietly(clone(est).set_params(max_iter=best + 1), X, y)
    assert again.validation_scores_ == scores[:best + 1]
    assert_same_parameters(est, again)
    # Training went on after the best epoch (best < n_iter_ - 1), so the
    # equality above means the best parameters were restored.


def test_early_stopping_holds_out_a_stratified_split(monkeypatch):
    stopping = sys.modules["skdnn._estimators.stopping"]
    real = stopping.train_test_split
    splits = []

    def recording(*arrays, **kwargs):
        parts = real(*arrays, **kwargs)
        splits.append((kwargs.get("stratify"), parts))
        return parts

    monkeypatch.setattr(stopping, "train_test_split", recording)
    rng = np.random.RandomState(0)
    X = rng.randn(100, 2)
    y = np.r_[np.zeros(90, int), np.ones(10, int)]
    fit_quietly(LLayerClassifier(**course((3,), early_stopping=True, validation_fraction=0.2,
                                 max_iter=3, random_state=0)), X, y)
    stratify, parts = splits[-1]
    assert stratify is not None
    y_val = y[parts[1]]  # the split is drawn on row numbers: (train rows, held-out rows)
    assert len(y_val) == 20 and np.sum(y_val == 1) == 2  # the 10% of class 1, exactly
    fit_quietly(LLayerRegressor(**course((3,), early_stopping=True, max_iter=3, random_state=0)),
                X, y.astype(float))
    assert splits[-1][0] is None  # no stratification for regression
    assert splits[-1][1][1].shape == (10,)


def test_held_out_loss_keeps_patience_and_breaks_score_ties():
    record = HeldOutRecord([0.5, 0.75], [0.9, 0.8], 0.75)
    # The score stays flat while the held-out loss falls: an improvement,
    # and a better model than the earlier one of the same score.
    assert record.update(4, 0.75, 0.7, 1e-4) == (0, True)
    # Flat score, loss not lower than the best by more than tol: patience runs.
    assert record.update(0, 0.75, 0.69995, 1e-4) == (1, True)
    assert record.update(1, 0.75, 0.71, 1e-4) == (2, False)
    assert record.update(2, 0.7, 0.6, 1e-4) == (0, False)  # a lower score is never the best
    assert record.update(0, 0.8, 0.9, 1e-4) == (0, True)
    assert (record.best_score, record.best_loss, record.best_score_loss) == (0.8, 0.6, 0.9)


@pytest.mark.parametrize("load", [load_iris, load_wine])
def test_early_stopping_on_small_data_is_no_worse_than_mlp(load):
    # 150 and 178 samples: 12 to 15 held out, one adam step per epoch. The
    # held-out accuracy stays flat for many epochs while the model improves;
    # stopping on it alone kept a model of 0.68 (iris) and 0.83 (wine).
    X, y = load(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    settings = dict(hidden_layer_sizes=(100,), solver="adam", learning_rate=1e-3,
                    batch_size=200, max_iter=200, tol=1e-4, early_stopping=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = [cross_val_score(make_pipeline(StandardScaler(), LLayerClassifier(
            **settings, random_state=seed)), X, y, cv=cv).mean() for seed in range(3)]
        mlp = [cross_val_score(make_pipeline(StandardScaler(), MLPClassifier(
            early_stopping=True, random_state=seed)), X, y, cv=cv).mean() for seed in range(3)]
    assert np.mean(ours) >= np.mean(mlp) - 3 / len(y)
    assert min(ours) > 0.85
