"""Your own validation set (``fit(..., X_val=, y_val=, sample_weight_val=)``) and ``scoring``.

As ``HistGradientBoostingClassifier.fit`` takes validation data: with
``early_stopping`` they replace the held-out split; without it their curves
are still recorded. Every estimator here has explicit settings, so that the
tests hold whatever the defaults are.
"""

import inspect
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, make_scorer, mean_squared_error, r2_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import LLayerClassifier, LLayerRegressor
from skdnn.model_io import load_model, save_model
from skdnn.plotting import LossCurveDisplay

SETTINGS = dict(hidden_layer_sizes=(8,), activation="relu", solver="adam",
                learning_rate=0.05, max_iter=40, batch_size=None, random_state=0,
                tol=None, alpha=0.0)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(400, 6, n_informative=4, random_state=0)
    return X[:300], y[:300], X[300:], y[300:]


def test_curves_are_recorded_without_early_stopping_and_change_nothing(data):
    X, y, X_val, y_val = data
    plain = LLayerClassifier(**SETTINGS).fit(X, y)
    assert plain.validation_scores_ is None and plain.validation_loss_curve_ is None
    clf = LLayerClassifier(**SETTINGS).fit(X, y, X_val=X_val, y_val=y_val)
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == clf.n_iter_ == 40
    # Scoring the validation set does not touch training: the same model.
    for name, W in plain.parameters_.items():
        np.testing.assert_array_equal(clf.parameters_[name], W)
    # Each epoch is scored after its steps: the last entries are the fitted model's.
    assert clf.validation_scores_[-1] == clf.score(X_val, y_val)
    np.testing.assert_allclose(clf.validation_loss_curve_[-1],
                               log_loss(y_val, clf.predict_proba(X_val)), rtol=1e-10)
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_sample_weight_val_weighs_the_validation_loss_and_score(data):
    X, y, X_val, y_val = data
    weights = np.random.RandomState(1).uniform(0, 2, len(y_val))
    clf = LLayerClassifier(**SETTINGS).fit(X, y, X_val=X_val, y_val=y_val,
                                          sample_weight_val=weights)
    np.testing.assert_allclose(
        clf.validation_loss_curve_[-1],
        log_loss(y_val, clf.predict_proba(X_val), sample_weight=weights), rtol=1e-10)
    assert clf.validation_scores_[-1] == pytest.approx(
        clf.score(X_val, y_val, sample_weight=weights))


def test_X_val_changes_the_epoch_early_stopping_keeps(data):
    X, y, X_val, y_val = data
    stopping = dict(SETTINGS, max_iter=200, early_stopping=True, tol=0.0, n_iter_no_change=5,
                    scoring="loss")
    split = LLayerClassifier(**stopping).fit(X, y)
    # A deliberately different validation set: the training rows with their
    # labels flipped, on which the model gets worse as it learns.
    flipped = LLayerClassifier(**stopping).fit(X, y, X_val=X[:100], y_val=1 - y[:100])
    best_split = int(np.argmax(split.validation_scores_))
    best_flipped = int(np.argmax(flipped.validation_scores_))
    assert best_flipped < best_split
    assert flipped.n_iter_ == best_flipped + 5 + 2  # patience counted as MLPClassifier
    # The kept model is that best epoch's: a fit stopped there gives it bit for bit.
    at_best = LLayerClassifier(**dict(stopping, early_stopping=False, max_iter=best_flipped + 1))
    with warnings.catch_warnings():  # one epoch: its diagnosis is not the point here
        warnings.simplefilter("ignore", ConvergenceWarning)
        at_best.fit(X, y, X_val=X[:100], y_val=1 - y[:100])
    for name, W in at_best.parameters_.items():
        np.testing.assert_array_equal(flipped.parameters_[name], W)
    assert flipped.best_validation_score_ == max(flipped.validation_scores_)


def test_X_val_replaces_the_split(data):
    X, y, X_val, y_val = data
    clf = LLayerClassifier(**dict(SETTINGS, early_stopping=True, tol=0.0, n_iter_no_change=3,
                                  max_iter=30)).fit(X, y, X_val=X_val, y_val=y_val)
    # All 300 rows are trained on (t_ counts them): none is held out.
    assert clf.t_ == 300 * clf.n_iter_
    assert len(clf.validation_scores_) == clf.n_iter_


def test_scoring_loss_is_the_negated_validation_loss(data):
    X, y, X_val, y_val = data
    clf = LLayerClassifier(**SETTINGS, scoring="loss").fit(X, y, X_val=X_val, y_val=y_val)
    np.testing.assert_array_equal(clf.validation_scores_,
                                  -np.asarray(clf.validation_loss_curve_))


@pytest.mark.parametrize("scoring", ["neg_log_loss", make_scorer(log_loss, greater_is_better=False,
                                                                 response_method="predict_proba")])
def test_scoring_takes_scikit_learn_scorers(data, scoring):
    X, y, X_val, y_val = data
    clf = LLayerClassifier(**SETTINGS, scoring=scoring).fit(X, y, X_val=X_val, y_val=y_val)
    np.testing.assert_allclose(clf.validation_scores_, -np.asarray(clf.validation_loss_curve_),
                               rtol=1e-10)


def test_scoring_takes_a_plain_callable(data):
    X, y, X_val, y_val = data
    seen = []

    def scorer(estimator, X_scored, y_scored):
        seen.append(len(y_scored))
        return -estimator.n_iter_  # a score that is best at the first epoch

    clf = LLayerClassifier(**dict(SETTINGS, early_stopping=True, max_iter=4), scoring=scorer)
    with pytest.warns(ConvergenceWarning, match="max_iter=4"):  # no patience ran out
        clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert seen == [100] * 4
    assert clf.validation_scores_ == [-1.0, -2.0, -3.0, -4.0]
    assert clf.best_validation_score_ == -1.0


def test_an_unknown_scoring_is_refused(data):
    X, y, X_val, y_val = data
    with pytest.raises(ValueError, match="scoring"):
        LLayerClassifier(**SETTINGS, scoring="accuracyy").fit(X, y, X_val=X_val, y_val=y_val)


def test_the_regressor_scores_R2_and_takes_X_val():
    X, y = make_regression(200, 4, noise=5.0, random_state=0)
    y = y / y.std()
    reg = LLayerRegressor(**SETTINGS).fit(X[:150], y[:150], X_val=X[150:], y_val=y[150:])
    assert reg.validation_scores_[-1] == pytest.approx(r2_score(y[150:], reg.predict(X[150:])))
    # Where normalize_y exists, the loss is of the standardised targets (the network's).
    scale = getattr(reg, "y_scale_", 1.0)
    assert reg.validation_loss_curve_[-1] == pytest.approx(
        mean_squared_error(y[150:] / scale, reg.predict(X[150:]) / scale) / 2)
    reg.set_params(scoring="neg_mean_absolute_error").fit(X[:150], y[:150], X_val=X[150:],
                                                         y_val=y[150:])
    assert reg.validation_scores_[-1] == pytest.approx(
        -np.mean(np.abs(y[150:] - reg.predict(X[150:]))))


@pytest.mark.parametrize("given, message", [
    (dict(X_val="X"), "X_val is provided, but y_val was not provided"),
    (dict(y_val="y"), "y_val is provided, but X_val was not provided"),
    (dict(sample_weight_val="w"), "sample_weight_val is provided, but X_val and y_val"),
])
def test_X_val_and_y_val_come_together(data, given, message):
    X, y, X_val, y_val = data
    values = {"X": X_val, "y": y_val, "w": np.ones(len(y_val))}
    clf = LLayerClassifier(**SETTINGS)
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y, **{key: values[v] for key, v in given.items()})
    assert not hasattr(clf, "parameters_")


def test_X_val_is_checked_as_X(data):
    X, y, X_val, y_val = data
    clf = LLayerClassifier(**SETTINGS)
    with pytest.raises(ValueError, match="X_val: X has 5 features, but LLayerClassifier is "
                                         "expecting 6"):
        clf.fit(X, y, X_val=X_val[:, :5], y_val=y_val)
    with_nan = X_val.copy()
    with_nan[3, 2] = np.nan
    with pytest.raises(ValueError, match="X_val: Input X contains NaN"):
        clf.fit(X, y, X_val=with_nan, y_val=y_val)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.fit(X, y, X_val=X_val, y_val=y_val[:-1])
    with pytest.raises(ValueError, match="sample_weight_val must be non-negative"):
        clf.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=-np.ones(len(y_val)))
    assert not hasattr(clf, "parameters_")


def test_labels_unseen_in_training_are_named(data):
    X, y, X_val, y_val = data
    clf = LLayerClassifier(**SETTINGS).fit(X, y)
    before = {k: W.copy() for k, W in clf.parameters_.items()}
    y_bad = y_val.copy()
    y_bad[:2] = [7, 9]
    with pytest.raises(ValueError, match=r"y_val: y has classes \[7, 9\] that are not in "
                                         r"classes \[0, 1\]"):
        clf.fit(X, y, X_val=X_val, y_val=y_bad)
    for k, W in before.items():  # the fitted model is left as it was
        np.testing.assert_array_equal(clf.parameters_[k], W)


def test_lbfgs_refuses_X_val_and_partial_fit_does_not_take_it(data):
    X, y, X_val, y_val = data
    with pytest.raises(ValueError, match="solver='lbfgs' does not take it"):
        LLayerClassifier(**dict(SETTINGS, solver="lbfgs")).fit(X, y, X_val=X_val, y_val=y_val)
    assert "X_val" not in inspect.signature(LLayerClassifier.partial_fit).parameters
    assert "X_val" not in inspect.signature(LLayerRegressor.partial_fit).parameters


def test_a_warm_start_with_X_val_starts_the_curves(data):
    X, y, X_val, y_val = data
    clf = LLayerClassifier(**dict(SETTINGS, warm_start=True, max_iter=5)).fit(X, y)
    assert clf.validation_scores_ is None
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert clf.n_iter_ == 10 and len(clf.validation_scores_) == 5


def test_the_pipeline_transforms_X_val(data):
    X, y, X_val, y_val = data
    X, X_val = X * 50 + 3, X_val * 50 + 3  # scaling matters
    scaler = StandardScaler().fit(X)
    direct = LLayerClassifier(**SETTINGS).fit(scaler.transform(X), y,
                                              X_val=scaler.transform(X_val), y_val=y_val)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = Pipeline([("scale", StandardScaler()), ("net", LLayerClassifier(**SETTINGS))],
                        transform_input=["X_val"])
        pipe[-1].set_fit_request(X_val=True, y_val=True)
        pipe.fit(X, y, X_val=X_val, y_val=y_val)
        untransformed = sklearn.base.clone(pipe).set_params(transform_input=None)
        untransformed.fit(X, y, X_val=X_val, y_val=y_val)
    np.testing.assert_array_equal(pipe[-1].validation_scores_, direct.validation_scores_)
    np.testing.assert_array_equal(pipe[-1].validation_loss_curve_, direct.validation_loss_curve_)
    assert untransformed[-1].validation_loss_curve_ != direct.validation_loss_curve_


def test_the_loss_curve_display_shows_the_validation_curves(data):
    pytest.importorskip("matplotlib")
    X, y, X_val, y_val = data
    clf = LLayerClassifier(**SETTINGS).fit(X, y, X_val=X_val, y_val=y_val)
    display = LossCurveDisplay.from_estimator(clf)
    np.testing.assert_array_equal(display.validation_loss_line_.get_ydata(),
                                  clf.validation_loss_curve_)
    np.testing.assert_array_equal(display.validation_line_.get_ydata(), clf.validation_scores_)
    import matplotlib.pyplot as plt
    plt.close("all")


def test_model_files_keep_scoring_and_refuse_a_callable(data, tmp_path):
    X, y, X_val, y_val = data
    clf = LLayerClassifier(**SETTINGS, scoring="loss").fit(X, y, X_val=X_val, y_val=y_val)
    save_model(clf, tmp_path / "named.skdnn")
    loaded = load_model(tmp_path / "named.skdnn")
    assert loaded.scoring == "loss"
    assert loaded.validation_scores_ == clf.validation_scores_
    clf.set_params(scoring=make_scorer(log_loss, greater_is_better=False,
                                       response_method="predict_proba"))
    with pytest.raises(ValueError, match="scoring=.* is a callable, which a model file "
                                         "cannot hold"):
        save_model(clf, tmp_path / "callable.skdnn")
    assert not (tmp_path / "callable.skdnn").exists()


@pytest.mark.parametrize("x_val_library", ["numpy", "array_api_strict"])
def test_X_val_is_scored_where_the_model_is(data, x_val_library):
    xps = pytest.importorskip("array_api_strict")
    X, y, X_val, y_val = data
    reference = LLayerClassifier(**SETTINGS).fit(X, y, X_val=X_val, y_val=y_val)
    given = X_val if x_val_library == "numpy" else xps.asarray(X_val)
    with sklearn.config_context(array_api_dispatch=True):
        clf = LLayerClassifier(**SETTINGS).fit(xps.asarray(X), y, X_val=given, y_val=y_val)
    np.testing.assert_allclose(clf.validation_loss_curve_, reference.validation_loss_curve_,
                               rtol=1e-12)
    assert clf.validation_scores_ == reference.validation_scores_


def test_a_model_file_from_before_scoring_loads_with_scoring_none(data, tmp_path):
    from tests.helpers.model_files import rewrite

    X, y, _, _ = data
    path = tmp_path / "old.skdnn"
    save_model(LLayerClassifier(**SETTINGS).fit(X, y), path)
    rewrite(path, lambda metadata, hyper, state, tensors: hyper.pop("scoring"))
    assert load_model(path).scoring is None
