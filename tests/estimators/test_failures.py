"""A fit never fails silently and never leaves a broken model behind."""

import copy
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes, make_moons, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from tests.helpers.training import best_validation_epoch

from skdnn import LLayerClassifier, LLayerRegressor, engine
from tests.helpers.training import course


def moons(n=60, seed=0):
    return make_moons(n, noise=0.2, random_state=seed)


def convergence_warnings(record):
    return [str(w.message) for w in record if issubclass(w.category, ConvergenceWarning)]


def fit_recording(estimator, X, y, **fit_params):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        estimator.fit(X, y, **fit_params)
    return convergence_warnings(record)


def fitted_state(estimator):
    """Every fitted attribute, as comparable bytes or values."""
    state = {}
    for name, value in vars(estimator).items():
        if name in estimator.get_params():
            continue
        if name in ("parameters_", "running_stats_"):
            value = {k: v.tobytes() for k, v in value.items()}
        elif name == "_random_state":
            value = repr(value.get_state())
        elif name == "_optimizer" and value is not None:
            value = (value.learning_rate, repr({
                state: {k: v.tobytes() for k, v in getattr(value, state).items()}
                if isinstance(getattr(value, state), dict) else getattr(value, state)
                for state in value.state_names}))
        elif isinstance(value, np.ndarray):
            value = (value.dtype, value.tobytes())
        elif name == "_label_binarizer":
            value = repr(vars(value))
        state[name] = value
    return state


# --- useless models are reported, once ---

def test_dead_regressor_on_raw_targets_warns_with_the_cure():
    X, y = load_diabetes(return_X_y=True)
    model = make_pipeline(StandardScaler(), LLayerRegressor(**course(max_iter=300,
                                                                     normalize_y=False, random_state=0)))
    messages = fit_recording(model, X, y)
    assert len(messages) == 1
    assert "no better than" in messages[0] and "inactive" in messages[0]
    assert "normalize_y=True" in messages[0]
    assert "TransformedTargetRegressor" in messages[0] and "StandardScaler" in messages[0]


def test_raw_targets_train_with_normalize_y():
    # The same fit as above with normalize_y (the default) learns the target,
    # as the same network does on the target standardised outside.
    X, y = load_diabetes(return_X_y=True)
    model = make_pipeline(StandardScaler(), LLayerRegressor(max_iter=300, random_state=0))
    messages = fit_recording(model, X, y)
    assert not any("no better than" in m or "inactive" in m for m in messages)
    outside = TransformedTargetRegressor(
        make_pipeline(StandardScaler(), LLayerRegressor(max_iter=300, normalize_y=False,
                                                        random_state=0)),
        transformer=StandardScaler())
    fit_recording(outside, X, y)
    assert_allclose(model.predict(X), outside.predict(X), rtol=1e-9)
    assert model.score(X, y) > 0.15


def test_dead_classifier_warns():
    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(),
                          LLayerClassifier(**course(learning_rate=10, max_iter=300,
                                                    random_state=0)))
    messages = fit_recording(model, X, y)
    assert len(messages) == 1 and "no better than" in messages[0]
    assert "lower learning_rate" in messages[0]
    assert "TransformedTargetRegressor" not in messages[0]


def test_a_good_fit_says_nothing():
    X, y = moons(200)
    assert fit_recording(LLayerClassifier(**course((8,), solver="adam", learning_rate=0.02,
                                          max_iter=300, random_state=0)), X, y) == []


def test_an_overflow_in_every_epoch_is_one_warning_at_the_users_line():
    X, y = moons(100)
    X = X / np.abs(X).max() * 1.7e308  # W X overflows at every epoch, the loss stays finite
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        LLayerClassifier(**course((8,), activation="tanh", max_iter=50, random_state=0)).fit(X, y)
    assert len(record) == 1
    assert issubclass(record[0].category, ConvergenceWarning)
    assert "overflow in 50 epoch(s)" in str(record[0].message)
    assert record[0].filename == __file__


def test_lbfgs_abnormal_stop_warns_with_scipys_message():
    X, y = moons(200)
    messages = fit_recording(LLayerClassifier(**course((10,), solver="lbfgs", random_state=0)),
                             X * 1e6, y)
    assert len(messages) == 1 and "ABNORMAL" in messages[0]


def test_lbfgs_tol_is_the_gradient_tolerance():
    # tol as gtol only (MLPRegressor's meaning): tol=1e-3 is not a loose stop.
    X, y = make_regression(200, 5, noise=1, random_state=0)
    y = (y - y.mean()) / y.std()
    reg = LLayerRegressor(**course((16,), solver="lbfgs", tol=1e-3, max_iter=500, random_state=0))
    assert reg.fit(X, y).score(X, y) > 0.99
    # tol=None: SciPy's own criteria stop it before max_iter on an easy problem.
    reg = LLayerRegressor(**course((4,), solver="lbfgs", max_iter=5000, random_state=0)).fit(X, y)
    assert reg.n_iter_ < 5000


# --- a failed fit changes nothing ---

def test_a_refit_that_diverges_leaves_the_previous_model():
    X, y = moons()
    clf = LLayerClassifier(**course((5,), max_iter=50, learning_rate=0.5, random_state=0)).fit(X,
                                                                                               y)
    before, proba = fitted_state(clf), clf.predict_proba(X)
    clf.set_params(solver="momentum", learning_rate=1e12)
    with pytest.raises(ValueError, match="diverged"):
        clf.fit(X * 1e3, y)
    assert fitted_state(clf) == before
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


# A short course fit that fits nothing: the subject is what a rejected call or
# float32 input leaves, so the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_a_refit_rejected_for_its_class_weight_keeps_the_old_classes():
    X, y = moons()
    clf = LLayerClassifier(**course((5,), max_iter=20, random_state=0)).fit(X, y)
    before, labels = fitted_state(clf), clf.predict(X)
    clf.set_params(class_weight={"a": -1.0, "b": 1.0})
    with pytest.raises(ValueError, match="class_weight"):
        clf.fit(X, np.array(["a", "b"])[y])
    assert fitted_state(clf) == before
    np.testing.assert_array_equal(clf.predict(X), labels)


@pytest.mark.parametrize("Estimator", [LLayerClassifier, LLayerRegressor])
# Three epochs, to set every fitted attribute: the end-of-fit warning of such
# a short fit is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_the_fitted_schema_names_every_attribute_a_fit_sets(Estimator):
    # Rollback, device moves and model files read the schema: an attribute set
    # outside it would escape all three.
    pd = pytest.importorskip("pandas")
    X, y = moons()
    X = pd.DataFrame(X, columns=["a", "b"])
    est = Estimator((3,), solver="adam", max_iter=3, early_stopping=True, random_state=0)
    est.fit(X, y)
    assert set(vars(est)) - set(est.get_params()) == set(est._fitted_attribute_names())
    before, snapshot = copy.deepcopy(fitted_state(est)), est._snapshot_fitted_state()
    est.set_params(warm_start=True, early_stopping=False).fit(X, y)
    assert fitted_state(est) != before
    est._restore_fitted_state(snapshot)
    assert fitted_state(est) == before
    unfitted = Estimator()
    est._restore_fitted_state(unfitted._snapshot_fitted_state())
    assert fitted_state(est) == {}


def test_a_first_fit_that_diverges_leaves_the_estimator_unfitted():
    X, y = moons()
    clf = LLayerClassifier(**course((5,), solver="momentum", learning_rate=1e12, max_iter=50))
    with pytest.raises(ValueError, match="diverged"):
        clf.fit(X * 1e3, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    assert set(vars(clf)) == set(clf.get_params())


# The 7-epoch reference fit is no better than a constant yet; its warning is
# expected (the diverging fit's own warning is recorded and checked).
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_divergence_after_validated_epochs_keeps_the_best_model(monkeypatch):
    X, y = make_regression(200, 4, noise=1, random_state=0)
    y = (y - y.mean()) / y.std()
    train_epoch, epochs = engine.train_epoch, []

    def diverging_at_epoch_8(X, Y, parameters, *args, **kwargs):
        epochs.append(len(epochs))
        if len(epochs) == 8:
            parameters["W1"][...] = np.inf
            return np.nan
        return train_epoch(X, Y, parameters, *args, **kwargs)

    common = dict(hidden_layer_sizes=(8,), solver="adam", learning_rate=0.01,
                  early_stopping=True, n_iter_no_change=100, random_state=0)
    monkeypatch.setattr(engine, "train_epoch", diverging_at_epoch_8)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        reg = LLayerRegressor(**course(max_iter=30, **common)).fit(X, y)
    messages = convergence_warnings(record)
    assert len(messages) == 1 and "diverged" in messages[0] and "best model" in messages[0]
    monkeypatch.setattr(engine, "train_epoch", train_epoch)
    # The kept model is the best of the seven good epochs, which a 7-epoch fit ends with.
    seven = LLayerRegressor(**course(max_iter=7, **common)).fit(X, y)
    assert reg.n_iter_ == 7 and reg.validation_scores_ == seven.validation_scores_
    best = best_validation_epoch(seven)
    assert best == 6  # adam keeps improving here, so the best is the last good epoch
    for name, W in seven.parameters_.items():
        np.testing.assert_array_equal(reg.parameters_[name], W)


@pytest.mark.parametrize("diverged", ["loss", "parameters", "validation outputs"])
def test_after_a_divergence_the_epochs_recorded_are_those_of_the_kept_models_fit(
        monkeypatch, diverged):
    # The 9th epoch diverges, found by its loss (before the epoch is recorded), by an
    # overflow in its parameters or by the validation outputs (after). Either way
    # n_iter_, t_ and every curve count the 8 finite epochs, as an 8-epoch fit does,
    # and the warning gives the kept model's loss, not the diverged epoch's.
    X, y = make_regression(200, 4, noise=1, random_state=0)
    y = (y - y.mean()) / y.std()
    train_epoch, epochs = engine.train_epoch, []

    def diverging_at_epoch_9(X, Y, parameters, *args, **kwargs):
        epochs.append(len(epochs))
        if len(epochs) < 9:
            return train_epoch(X, Y, parameters, *args, **kwargs)
        if diverged == "loss":
            parameters["W1"][...] = np.inf
            return np.nan
        # np.float64 arithmetic: an overflow that the fit's floating-point log sees.
        parameters["W1"][...] = np.float64(1e308) * 10 if diverged == "parameters" else np.inf
        return 1.4e234

    common = dict(hidden_layer_sizes=(8,), solver="adam", learning_rate=0.01,
                  early_stopping=True, n_iter_no_change=100, random_state=0)
    monkeypatch.setattr(engine, "train_epoch", diverging_at_epoch_9)
    reg = LLayerRegressor(max_iter=30, **common)
    messages = fit_recording(reg, X, y)
    monkeypatch.setattr(engine, "train_epoch", train_epoch)
    eight = LLayerRegressor(max_iter=8, **common)
    fit_recording(eight, X, y)
    assert int(np.argmax(eight.validation_scores_)) == 7  # so the kept model is the last
    assert reg.n_iter_ == len(reg.loss_curve_) == len(reg.validation_scores_) == 8
    for name in ("n_iter_", "t_", "loss_curve_", "best_loss_", "validation_scores_",
                 "validation_loss_curve_", "best_validation_score_"):
        assert getattr(reg, name) == getattr(eight, name), name
    for name, W in eight.parameters_.items():
        np.testing.assert_array_equal(reg.parameters_[name], W)
    # Full batches: a 9-epoch fit records the kept model's loss as its 9th.
    nine = LLayerRegressor(max_iter=9, **common)
    fit_recording(nine, X, y)
    assert len(messages) == 1 and "best model" in messages[0]
    assert f"the final loss, {nine.loss_curve_[8]:.4g}," in messages[0]
    assert "1.4e+234" not in messages[0]


@pytest.mark.parametrize("Estimator", [LLayerClassifier, LLayerRegressor])
def test_a_validation_split_too_small_to_score_is_an_error(Estimator):
    X, y = moons(10)
    with pytest.raises(ValueError, match="validation_fraction"):
        Estimator(**course((3,), early_stopping=True, validation_fraction=0.1)).fit(X, y)


# --- partial_fit and weights ---

def test_partial_fit_refuses_labels_outside_classes():
    X, y = moons()
    clf = LLayerClassifier(**course((3,), solver="adam"))
    with pytest.raises(ValueError, match=r"not in classes"):
        clf.partial_fit(X, y + 1, classes=[0, 1])
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"\[2\] that are not in classes"):
        clf.partial_fit(X, y * 2)


def test_multilabel_partial_fit_accepts_classes():
    X, y = moons()
    Y = np.c_[y, 1 - y, y]
    clf = LLayerClassifier(**course((3,), solver="adam")).partial_fit(X, Y, classes=[0, 1, 2])
    assert clf.predict(X).shape == Y.shape
    with pytest.raises(ValueError, match="range"):
        LLayerClassifier(**course((3,), solver="adam")).partial_fit(X, Y, classes=["a", "b", "c"])


def test_zero_weight_batches_contribute_nothing():
    X, y = moons(64)
    weights = np.r_[np.zeros(16), np.ones(48)]
    common = dict(hidden_layer_sizes=(4,), solver="adam", batch_size=16, shuffle=False,
                  max_iter=5, random_state=0)
    masked = LLayerClassifier(**course(**common)).fit(X, y, sample_weight=weights)
    assert all(np.isfinite(masked.loss_curve_))
    # The masked batch is skipped: the other three batches train as they would alone.
    alone = LLayerClassifier(**course(**common)).fit(X[16:], y[16:])
    for name, W in alone.parameters_.items():
        np.testing.assert_array_equal(masked.parameters_[name], W)


@pytest.mark.parametrize("class_weight", [{0: -1.0, 1: 1.0}, {0: np.nan, 1: 1.0},
                                          {0: 0.0, 1: 0.0}])
def test_invalid_class_weight_names_class_weight(class_weight):
    X, y = moons()
    with pytest.raises(ValueError, match="class_weight"):
        LLayerClassifier(**course((3,), class_weight=class_weight)).fit(X, y)


@pytest.mark.parametrize("constant, normalize_y", [(0.0, True), (1.0, False), (5.0, False),
                                                   (5.0, True)])
def test_a_constant_target_that_the_model_fits_does_not_warn(constant, normalize_y):
    # The best constant has loss 0 here: a model whose outputs miss the target
    # by a few percent (root mean square) is not "no better than a constant".
    X = np.random.RandomState(0).randn(100, 3)
    reg = LLayerRegressor(**course((10,), solver="adam", learning_rate=1e-2, max_iter=300,
                                   normalize_y=normalize_y, random_state=0))
    assert fit_recording(reg, X, np.full(100, constant)) == []
    assert_allclose(reg.predict(X), constant, atol=0.7)


def test_a_constant_target_that_the_model_misses_warns():
    X = np.random.RandomState(0).randn(100, 3)
    reg = LLayerRegressor(**course((10,), solver="adam", learning_rate=1e-2, max_iter=300,
                                   normalize_y=False, random_state=0))
    messages = fit_recording(reg, X, np.full(100, 300.0))
    assert len(messages) == 1 and "no better than 0" in messages[0]
