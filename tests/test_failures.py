"""A fit never fails silently and never leaves a broken model behind."""

import threading
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
from training_helpers import best_validation_epoch

from skdnn import LLayerClassifier, LLayerRegressor, engine


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
        if name == "parameters_":
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
    model = make_pipeline(StandardScaler(), LLayerRegressor(max_iter=300, normalize_y=False,
                                                            random_state=0))
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
                          LLayerClassifier(learning_rate=10, max_iter=300, random_state=0))
    messages = fit_recording(model, X, y)
    assert len(messages) == 1 and "no better than" in messages[0]
    assert "lower learning_rate" in messages[0]
    assert "TransformedTargetRegressor" not in messages[0]


def test_a_good_fit_says_nothing():
    X, y = moons(200)
    assert fit_recording(LLayerClassifier((8,), solver="adam", learning_rate=0.02,
                                          max_iter=300, random_state=0), X, y) == []


def test_an_overflow_in_every_epoch_is_one_warning_at_the_users_line():
    X, y = moons(100)
    X = X / np.abs(X).max() * 1.7e308  # W X overflows at every epoch, the loss stays finite
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        LLayerClassifier((8,), activation="tanh", max_iter=50, random_state=0).fit(X, y)
    assert len(record) == 1
    assert issubclass(record[0].category, ConvergenceWarning)
    assert "overflow in 50 epoch(s)" in str(record[0].message)
    assert record[0].filename == __file__


def test_lbfgs_abnormal_stop_warns_with_scipys_message():
    X, y = moons(200)
    messages = fit_recording(LLayerClassifier((10,), solver="lbfgs", random_state=0),
                             X * 1e6, y)
    assert len(messages) == 1 and "ABNORMAL" in messages[0]


def test_lbfgs_tol_is_the_gradient_tolerance():
    # tol as gtol only (MLPRegressor's meaning): tol=1e-3 is not a loose stop.
    X, y = make_regression(200, 5, noise=1, random_state=0)
    y = (y - y.mean()) / y.std()
    reg = LLayerRegressor((16,), solver="lbfgs", tol=1e-3, max_iter=500, random_state=0)
    assert reg.fit(X, y).score(X, y) > 0.99
    # tol=None: SciPy's own criteria stop it before max_iter on an easy problem.
    reg = LLayerRegressor((4,), solver="lbfgs", max_iter=5000, random_state=0).fit(X, y)
    assert reg.n_iter_ < 5000


# --- a failed fit changes nothing ---

def test_a_refit_that_diverges_leaves_the_previous_model():
    X, y = moons()
    clf = LLayerClassifier((5,), max_iter=50, learning_rate=0.5, random_state=0).fit(X, y)
    before, proba = fitted_state(clf), clf.predict_proba(X)
    clf.set_params(solver="momentum", learning_rate=1e12)
    with pytest.raises(ValueError, match="diverged"):
        clf.fit(X * 1e3, y)
    assert fitted_state(clf) == before
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


def test_a_refit_rejected_for_its_class_weight_keeps_the_old_classes():
    X, y = moons()
    clf = LLayerClassifier((5,), max_iter=20, random_state=0).fit(X, y)
    before, labels = fitted_state(clf), clf.predict(X)
    clf.set_params(class_weight={"a": -1.0, "b": 1.0})
    with pytest.raises(ValueError, match="class_weight"):
        clf.fit(X, np.array(["a", "b"])[y])
    assert fitted_state(clf) == before
    np.testing.assert_array_equal(clf.predict(X), labels)


def test_a_first_fit_that_diverges_leaves_the_estimator_unfitted():
    X, y = moons()
    clf = LLayerClassifier((5,), solver="momentum", learning_rate=1e12, max_iter=50)
    with pytest.raises(ValueError, match="diverged"):
        clf.fit(X * 1e3, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    assert set(vars(clf)) == set(clf.get_params())


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
        reg = LLayerRegressor(max_iter=30, **common).fit(X, y)
    messages = convergence_warnings(record)
    assert len(messages) == 1 and "diverged" in messages[0] and "best model" in messages[0]
    monkeypatch.setattr(engine, "train_epoch", train_epoch)
    # The kept model is the best of the seven good epochs, which a 7-epoch fit ends with.
    seven = LLayerRegressor(max_iter=7, **common).fit(X, y)
    assert reg.n_iter_ == 7 and reg.validation_scores_ == seven.validation_scores_
    best = best_validation_epoch(seven)
    assert best == 6  # adam keeps improving here, so the best is the last good epoch
    for name, W in seven.parameters_.items():
        np.testing.assert_array_equal(reg.parameters_[name], W)


@pytest.mark.parametrize("Estimator", [LLayerClassifier, LLayerRegressor])
def test_a_validation_split_too_small_to_score_is_an_error(Estimator):
    X, y = moons(10)
    with pytest.raises(ValueError, match="validation_fraction"):
        Estimator((3,), early_stopping=True, validation_fraction=0.1).fit(X, y)


# --- partial_fit and weights ---

def test_partial_fit_refuses_labels_outside_classes():
    X, y = moons()
    clf = LLayerClassifier((3,), solver="adam")
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
    clf = LLayerClassifier((3,), solver="adam").partial_fit(X, Y, classes=[0, 1, 2])
    assert clf.predict(X).shape == Y.shape
    with pytest.raises(ValueError, match="range"):
        LLayerClassifier((3,), solver="adam").partial_fit(X, Y, classes=["a", "b", "c"])


def test_zero_weight_batches_contribute_nothing():
    X, y = moons(64)
    weights = np.r_[np.zeros(16), np.ones(48)]
    common = dict(hidden_layer_sizes=(4,), solver="adam", batch_size=16, shuffle=False,
                  max_iter=5, random_state=0)
    masked = LLayerClassifier(**common).fit(X, y, sample_weight=weights)
    assert all(np.isfinite(masked.loss_curve_))
    # The masked batch is skipped: the other three batches train as they would alone.
    alone = LLayerClassifier(**common).fit(X[16:], y[16:])
    for name, W in alone.parameters_.items():
        np.testing.assert_array_equal(masked.parameters_[name], W)


@pytest.mark.parametrize("class_weight", [{0: -1.0, 1: 1.0}, {0: np.nan, 1: 1.0},
                                          {0: 0.0, 1: 0.0}])
def test_invalid_class_weight_names_class_weight(class_weight):
    X, y = moons()
    with pytest.raises(ValueError, match="class_weight"):
        LLayerClassifier((3,), class_weight=class_weight).fit(X, y)


# --- data layout, prediction, threads ---

def test_a_column_ordered_X_is_copied_once_per_fit_not_per_batch(monkeypatch):
    pd = pytest.importorskip("pandas")
    X, y = moons(200)
    frame = pd.DataFrame(X, columns=["a", "b"])
    assert not np.asarray(frame).flags.c_contiguous  # a DataFrame's values are column-ordered
    seen = []
    train_epoch = engine.train_epoch

    def recording(X, *args, **kwargs):
        seen.append(X)
        return train_epoch(X, *args, **kwargs)

    monkeypatch.setattr(engine, "train_epoch", recording)
    LLayerClassifier((4,), solver="adam", batch_size=16, max_iter=3).fit(frame, y)
    # The engine's rows (X.T in its layout) are contiguous, and the same array every epoch.
    assert all(X.T.flags.c_contiguous for X in seen)
    assert len({X.__array_interface__["data"][0] for X in seen}) == 1


def test_float32_model_refuses_input_beyond_float32():
    X, y = moons()
    clf = LLayerClassifier((3,), max_iter=5).fit(X.astype(np.float32), y)
    X_big = X.copy()
    X_big[3, 0] = 1e39
    with pytest.raises(ValueError, match="range of this float32 model"):
        clf.predict(X_big)


def test_input_that_overflows_the_network_is_an_error_not_nan():
    X, y = moons()
    clf = LLayerClassifier((20, 7, 5), solver="adam", max_iter=50, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="output overflowed for"):
        clf.predict_proba(np.r_[X[:5], [[1e308, 1e308]], [[-1e308, 1e308]]])


def test_early_stopping_in_threads_leaves_warning_filters_alone():
    X, y = moons(300)
    before = list(warnings.filters)
    seen, done = [], threading.Event()

    def fit():
        LLayerClassifier((4,), solver="adam", early_stopping=True, max_iter=60,
                         n_iter_no_change=100, random_state=0).fit(X, y)

    threads = [threading.Thread(target=fit) for _ in range(2)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        seen.append(list(warnings.filters))
    for t in threads:
        t.join()
    assert all(filters == before for filters in seen)


def test_coefs_before_fit_is_not_fitted_error():
    with pytest.raises(NotFittedError):
        LLayerClassifier().coefs_
    with pytest.raises(NotFittedError):
        LLayerRegressor().intercepts_


# --- the demo ---

def test_demo_help_prints_usage_and_trains_nothing(capsys):
    from skdnn.__main__ import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: python -m skdnn" in out and "SKDNN_DATA" in out and "Cost" not in out


def test_demo_says_where_it_looked_for_the_images(tmp_path, monkeypatch):
    from skdnn.__main__ import load_demo_data

    monkeypatch.setenv("SKDNN_DATA", str(tmp_path))
    name = load_demo_data()[0]
    assert "digits" in name and str(tmp_path) in name


@pytest.mark.parametrize("constant, normalize_y", [(0.0, True), (1.0, False), (5.0, False),
                                                   (5.0, True)])
def test_a_constant_target_that_the_model_fits_does_not_warn(constant, normalize_y):
    # The best constant has loss 0 here: a model whose outputs miss the target
    # by a few percent (root mean square) is not "no better than a constant".
    X = np.random.RandomState(0).randn(100, 3)
    reg = LLayerRegressor((10,), solver="adam", learning_rate=1e-2, max_iter=300,
                          normalize_y=normalize_y, random_state=0)
    assert fit_recording(reg, X, np.full(100, constant)) == []
    assert_allclose(reg.predict(X), constant, atol=0.7)


def test_a_constant_target_that_the_model_misses_warns():
    X = np.random.RandomState(0).randn(100, 3)
    reg = LLayerRegressor((10,), solver="adam", learning_rate=1e-2, max_iter=300,
                          normalize_y=False, random_state=0)
    messages = fit_recording(reg, X, np.full(100, 300.0))
    assert len(messages) == 1 and "no better than 0" in messages[0]
