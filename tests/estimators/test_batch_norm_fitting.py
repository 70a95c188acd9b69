"""batch_norm across fits: continuing, early stopping, dtypes, sparse input, scikit-learn's tools.

The running statistics are fitted state like the parameters: each test
checks that they continue, are kept, cast, refitted or moved with them.
"""

import pickle
import re
import signal
import warnings

import numpy as np
import pytest
import scipy.sparse
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdnn import LLayerClassifier, LLayerRegressor, engine
from skdnn.engine import training
from tests.helpers.training import (GRADIENT_SOLVERS, assert_same_model, best_validation_epoch,
                                    fit_quietly, moons, regression, three_classes)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _network(est):
    """The parameters and running statistics, copied."""
    return {**{k: np.array(v) for k, v in est.parameters_.items()},
            **{k: np.array(v) for k, v in est.running_stats_.items()}}


def _assert_same_network(actual, expected, exact=True, **tolerance):
    assert actual.keys() == expected.keys()
    for key in expected:
        if exact:
            assert_array_equal(actual[key], expected[key], err_msg=key)
        else:
            assert_allclose(actual[key], expected[key], err_msg=key, **tolerance)


def _bn_classifier(**settings):
    return LLayerClassifier(**{"hidden_layer_sizes": (6, 5), "batch_norm": True,
                               "solver": "adam", "learning_rate": 0.02, "batch_size": 16,
                               "random_state": 0, **settings})


# ------------------------------------------------------------------ continuing


@pytest.mark.parametrize("solver", GRADIENT_SOLVERS)
def test_partial_fit_is_one_epoch_of_fit_running_statistics_included(solver):
    X, y = three_classes(60)
    settings = dict(solver=solver, learning_rate=0.05, dropout=0.1)
    partial = _bn_classifier(**settings).partial_fit(X, y, classes=[0, 1, 2])
    after_one = _network(partial)
    partial.partial_fit(X, y)
    fitted = _bn_classifier(max_iter=2, tol=None, **settings).fit(X, y)
    _assert_same_network(_network(partial), _network(fitted))
    assert partial.n_iter_ == 2
    assert not np.allclose(after_one["running_mean1"], partial.running_stats_["running_mean1"])


def test_partial_fit_moves_the_running_statistics_by_momentum():
    X, y = moons(50)
    est = LLayerClassifier((5, 4), batch_norm=True, batch_norm_momentum=0.7, solver="gd",
                           learning_rate=0.3, batch_size=None, random_state=0)
    est.partial_fit(X, y, classes=[0, 1])
    before = _network(est)
    _, caches = engine.forward_propagation(X.T, before, ["relu", "relu", "sigmoid"])
    est.partial_fit(X, y)
    for l in (1, 2):
        batch = caches[l - 1][-1]
        assert_allclose(est.running_stats_[f"running_mean{l}"],
                        0.7 * before[f"running_mean{l}"] + 0.3 * batch.mu, rtol=1e-12)
        assert_allclose(est.running_stats_[f"running_var{l}"],
                        0.7 * before[f"running_var{l}"] + 0.3 * batch.var, rtol=1e-12)


@pytest.mark.parametrize("Est, data", [(LLayerClassifier, moons), (LLayerRegressor, regression)])
def test_warm_start_continues_parameters_and_running_statistics(Est, data):
    X, y = data(60)
    settings = dict(hidden_layer_sizes=(5, 4), batch_norm=[True, False], solver="adam",
                    learning_rate=0.02, batch_size=16, tol=None, random_state=0)
    whole = Est(max_iter=7, **settings).fit(X, y)
    warm = Est(max_iter=3, warm_start=True, **settings).fit(X, y)
    warm.set_params(max_iter=4).fit(X, y)
    assert_same_model(whole, warm)
    _assert_same_network(_network(warm), _network(whole))


@pytest.mark.parametrize("then", [False, [True, False], [False, True]])
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_continuing_refuses_a_changed_batch_norm(how, then):
    X, y = moons(40)
    est = _bn_classifier(max_iter=2, warm_start=True).fit(X, y)
    params = est.get_params()
    before = pickle.dumps(sorted((k, v) for k, v in vars(est).items() if k not in params))
    est.set_params(batch_norm=then)
    start_over = "refit from scratch" if how == "partial_fit" else "warm_start=False"
    with pytest.raises(ValueError, match=rf"batch_norm={re.escape(repr(then))} differs from "
                                         rf"the batch-normalised layers .*{start_over}"):
        est.partial_fit(X, y) if how == "partial_fit" else est.fit(X, y)
    assert pickle.dumps(sorted((k, v) for k, v in vars(est).items() if k not in params)) == before
    # The other way round: from no batch norm to some.
    plain = _bn_classifier(batch_norm=False, max_iter=2, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="batch_norm=True differs"):
        plain.set_params(batch_norm=True).fit(X, y)
    assert plain.running_stats_ == {} and "b1" in plain.parameters_


# ------------------------------------------------------------------ early stopping


@pytest.mark.parametrize("validation", ["held out", "X_val"])
def test_early_stopping_keeps_the_best_epochs_parameters_and_running_statistics(validation):
    X, y = three_classes(120)
    fit_params = {}
    if validation == "X_val":
        X, X_val, y, y_val = X[:90], X[90:], y[:90], y[90:]
        fit_params = {"X_val": X_val, "y_val": y_val}
    est = _bn_classifier(learning_rate=0.05, early_stopping=True, n_iter_no_change=4, tol=0,
                         max_iter=60)
    stopped = clone(est).fit(X, y, **fit_params)
    best = best_validation_epoch(stopped)
    assert best < stopped.n_iter_ - 1, "the best epoch must not be the last for this test"
    # A fit that ends at the best epoch trains through the same epochs.
    at_best = fit_quietly(clone(est).set_params(max_iter=best + 1), X, y, **fit_params)
    assert at_best.n_iter_ == best + 1
    _assert_same_network(_network(stopped), _network(at_best))
    assert_array_equal(stopped.predict_proba(X), at_best.predict_proba(X))
    if validation == "X_val":
        # The same training without early stopping ends at the last epoch's network, which
        # differs: what was kept is not just the last.
        last = fit_quietly(clone(est).set_params(max_iter=stopped.n_iter_, early_stopping=False),
                           X, y, **fit_params)
        for key in last.running_stats_:
            assert not np.allclose(last.running_stats_[key], stopped.running_stats_[key]), key


# ------------------------------------------------------------------ Ctrl-C


def _interrupt_at(monkeypatch, module, call, action):
    """Make ``module.loss_and_gradients`` do ``action()`` on its ``call``-th call; count calls."""
    original, calls = module.loss_and_gradients, []

    def wrapper(*args, **kwargs):
        calls.append(None)
        if len(calls) == call:
            action()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, "loss_and_gradients", wrapper)
    return calls


def _bare_interrupt():
    raise KeyboardInterrupt


def test_ctrl_c_mid_epoch_keeps_the_running_statistics_of_the_completed_epoch(monkeypatch):
    X, y = three_classes(64)  # four batches of 16 an epoch
    est = _bn_classifier(max_iter=50, tol=None)
    _interrupt_at(monkeypatch, training, 3 * 4 + 2, lambda: signal.raise_signal(signal.SIGINT))
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.fit(X, y)
    monkeypatch.undo()
    assert est.n_iter_ == 4  # the 4th epoch completes
    _assert_same_network(_network(est), _network(_bn_classifier(max_iter=4, tol=None).fit(X, y)))


def test_interrupted_lbfgs_predicts_with_the_statistics_of_the_iterate_it_keeps(monkeypatch):
    X, y = regression(50)
    est = LLayerRegressor((5, 4), batch_norm=True, solver="lbfgs", random_state=0)
    calls = _interrupt_at(monkeypatch, engine, 0, None)
    fit_quietly(clone(est).set_params(max_iter=6), X, y)
    _interrupt_at(monkeypatch, engine, len(calls) + 1, _bare_interrupt)  # in the 7th iteration
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.set_params(max_iter=50).fit(X, y)
    monkeypatch.undo()
    assert est.n_iter_ == 6
    expected = fit_quietly(clone(est).set_params(max_iter=6), X, y)
    _assert_same_network(_network(est), _network(expected))
    _, caches = engine.forward_propagation(X.T, est.parameters_, ["relu", "relu", "identity"])
    for l in (1, 2):
        assert_allclose(est.running_stats_[f"running_mean{l}"], caches[l - 1][-1].mu,
                        rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ data


@pytest.mark.parametrize("Est, data", [(LLayerClassifier, three_classes),
                                       (LLayerRegressor, regression)])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_float32_data_keep_float32_batch_norm_state(Est, data, solver):
    X, y = data(50)
    est = Est((5, 4), batch_norm=True, solver=solver, batch_size=16, max_iter=5,
              random_state=0).fit(X.astype(np.float32), y)
    for key, value in {**est.parameters_, **est.running_stats_}.items():
        assert value.dtype == np.float32, key
    out = est.predict_proba(X.astype(np.float32)) if Est is LLayerClassifier else est.predict(
        X.astype(np.float32))
    assert out.dtype == np.float32
    reference = Est((5, 4), batch_norm=True, solver=solver, batch_size=16, max_iter=5,
                    random_state=0).fit(X, y)
    _assert_same_network(_network(est), _network(reference), exact=False, rtol=1e-3, atol=1e-4)
    # Continuing a float64 model on float32 data casts the running statistics too.
    fit_quietly(reference.set_params(warm_start=True, max_iter=1), X.astype(np.float32), y)
    assert all(v.dtype == np.float32 for v in reference.running_stats_.values())


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("Est, data", [(LLayerClassifier, three_classes),
                                       (LLayerRegressor, regression)])
def test_sparse_input_gives_the_dense_model(Est, data, solver):
    X, y = data(60)
    X[X < 0] = 0  # mostly zeros, as sparse data are
    est = Est((5, 4), batch_norm=True, solver=solver, batch_size=16, max_iter=8,
              random_state=0)
    dense = fit_quietly(clone(est), X, y)
    for sparse in (scipy.sparse.csr_matrix(X), scipy.sparse.csc_matrix(X)):
        fitted = fit_quietly(clone(est), sparse, y)
        _assert_same_network(_network(fitted), _network(dense), exact=False, rtol=1e-9,
                             atol=1e-12)
        assert_allclose(fitted.predict(sparse), dense.predict(X), rtol=1e-9, atol=1e-12)


def test_same_random_state_refits_bit_for_bit():
    X, y = three_classes(60)
    est = _bn_classifier(dropout=0.2, max_iter=5, batch_norm=[True, False])
    first, second = clone(est).fit(X, y), clone(est).fit(X, y)
    assert_same_model(first, second)
    _assert_same_network(_network(first), _network(second))
    refit = first.fit(X, y)  # the same estimator again
    _assert_same_network(_network(refit), _network(second))
    other = clone(est).set_params(random_state=1).fit(X, y)
    assert not np.allclose(other.running_stats_["running_mean1"],
                           first.running_stats_["running_mean1"])


@pytest.mark.parametrize("case", ["constant column", "last batch of one row", "batches of one",
                                  "constant X", "one weighted row per batch", "float32"])
def test_no_runtime_warning_in_batch_norm_training(case):
    X, y = moons(41)
    settings = dict(batch_size=20)
    sample_weight = None
    if case == "constant column":
        X = np.column_stack([X, np.full(len(X), 3.0)])
    elif case == "batches of one":
        settings["batch_size"] = 1
    elif case == "constant X":
        X = np.ones_like(X)
    elif case == "one weighted row per batch":
        sample_weight = np.zeros(len(X))
        sample_weight[::20] = 1.0
        settings["shuffle"] = False
    elif case == "float32":
        X = X.astype(np.float32)
    est = _bn_classifier(max_iter=5, **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fit_quietly(est, X, y, sample_weight=sample_weight)
        proba = est.predict_proba(X)
        single = est.predict_proba(X[:1])
    assert np.isfinite(proba).all()
    assert_allclose(single[0], proba[0], rtol=1e-6)
    assert all(np.isfinite(v).all() for v in {**est.parameters_, **est.running_stats_}.values())


# ------------------------------------------------------------------ scikit-learn's tools


def test_clone_and_get_params_keep_the_batch_norm_settings():
    est = LLayerRegressor((4, 3), batch_norm=[True, False], batch_norm_momentum=0.75)
    params = est.get_params()
    assert params["batch_norm"] == [True, False] and params["batch_norm_momentum"] == 0.75
    X, y = regression(30)
    fitted = est.set_params(max_iter=2).fit(X, y)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "running_stats_") and not hasattr(copy, "parameters_")
    assert set(copy.fit(X, y).running_stats_) == {"running_mean1", "running_var1"}


def test_grid_search_over_batch_norm_in_a_pipeline():
    X, y = moons(90)
    pipeline = make_pipeline(StandardScaler(), LLayerClassifier(
        (6, 4), solver="adam", learning_rate=0.02, batch_size=16, max_iter=20, random_state=0))
    grid = {"llayerclassifier__batch_norm": [False, True, [False, True]],
            "llayerclassifier__batch_norm_momentum": [0.5, 0.9]}
    search = GridSearchCV(pipeline, grid, cv=3).fit(X, y)
    assert len(search.cv_results_["params"]) == 6
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_[-1]
    normalised = best._batch_norm_layers()
    assert ["gamma1" in best.parameters_, "gamma2" in best.parameters_] == normalised
    assert len(best.running_stats_) == 2 * sum(normalised)
    assert search.score(X, y) > 0.8


# scikit-learn's own checks with batch_norm=True; the warnings expected of
# their tiny, random data are those of test_estimator_checks.py.
@pytest.mark.slow
@pytest.mark.filterwarnings(
    "ignore:.*maximum iterations .max_iter=.* reached:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([LLayerClassifier(batch_norm=True, random_state=0),
                          LLayerRegressor(batch_norm=True, random_state=0)])
def test_sklearn_compatible_estimator_with_batch_norm(estimator, check):
    check(estimator)
