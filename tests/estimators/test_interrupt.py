"""Ctrl-C keeps the work: the model of the last completed epoch, as a shorter fit's."""

import json
import signal
import warnings

import numpy as np
import pytest

import skdnn.engine.training
from skdnn import LLayerClassifier, LLayerRegressor, engine, load_model, save_model
from skdnn._estimators import schedules
from skdnn._reporting import diagnostics
from tests.helpers.fixtures import data, quiet_convergence  # noqa: F401 (fixtures)

MINIBATCH = {"hidden_layer_sizes": (6,), "solver": "adam", "learning_rate": 0.01,
             "batch_size": 16, "random_state": 0, "dropout": 0.1}
BATCHES_PER_EPOCH = 8  # 120 samples in batches of 16


def exported(estimator):
    """The whole fitted state as a model file holds it: JSON values and array bytes."""
    state, arrays = estimator._export_fitted_state()
    return json.dumps(state, sort_keys=True), {k: (v.dtype, v.tobytes())
                                               for k, v in arrays.items()}


def interrupted_fit(estimator, X, y, **fit_params):
    """Fit, expecting the interrupt warning; return the estimator and what NumPy was set to."""
    errors, filters = np.geterr(), list(warnings.filters)
    with pytest.warns(UserWarning, match=r"^Training interrupted by user\.") as record:
        estimator.fit(X, y, **fit_params)
    assert np.geterr() == errors and warnings.filters == filters
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert [w.category for w in record] == [UserWarning]
    return estimator


def on_call(monkeypatch, module, name, call, action):
    """Make ``module.name`` do ``action()`` on its ``call``-th call (counted from 1).

    ``call`` may be a tuple of call numbers.
    """
    original, calls = getattr(module, name), []
    at = call if isinstance(call, tuple) else (call,)

    def wrapper(*args, **kwargs):
        calls.append(None)
        if len(calls) in at:
            action()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def ctrl_c():
    signal.raise_signal(signal.SIGINT)


def bare_interrupt():
    raise KeyboardInterrupt


def assert_same_model(estimator, expected, X, tmp_path):
    assert exported(estimator) == exported(expected)
    save_model(estimator, tmp_path / "kept.safetensors")
    loaded = load_model(tmp_path / "kept.safetensors")
    np.testing.assert_array_equal(loaded.predict_proba(X), expected.predict_proba(X))


def test_ctrl_c_mid_epoch_finishes_the_epoch_and_keeps_the_model(data, monkeypatch, tmp_path,
                                                                 capsys):
    X, y = data
    # In the 4th epoch's 3rd batch: that epoch completes, then training stops.
    on_call(monkeypatch, skdnn.engine.training, "loss_and_gradients",
            3 * BATCHES_PER_EPOCH + 3, ctrl_c)
    clf = interrupted_fit(LLayerClassifier(max_iter=50, **MINIBATCH), X, y)
    assert clf.n_iter_ == 4 and len(clf.loss_curve_) == 4
    assert "stopping at the end of this epoch; Ctrl-C again" in capsys.readouterr().err
    monkeypatch.undo()
    assert_same_model(clf, LLayerClassifier(max_iter=4, **MINIBATCH).fit(X, y), X, tmp_path)


def test_a_keyboard_interrupt_between_epochs_keeps_the_epochs_completed(data, monkeypatch,
                                                                           tmp_path):
    X, y = data
    # The 6th epoch's learning rate is never computed: 5 epochs are complete.
    on_call(monkeypatch, schedules, "epoch_learning_rate", 6, bare_interrupt)
    clf = interrupted_fit(LLayerClassifier(max_iter=50, **MINIBATCH), X, y)
    assert clf.n_iter_ == 5
    monkeypatch.undo()
    assert_same_model(clf, LLayerClassifier(max_iter=5, **MINIBATCH).fit(X, y), X, tmp_path)


@pytest.mark.parametrize("interrupt", [ctrl_c, bare_interrupt])
def test_under_another_sigint_handler_an_epoch_cut_short_is_undone(data, monkeypatch, tmp_path,
                                                                   interrupt):
    # Such a handler raises KeyboardInterrupt mid-epoch: the epoch's start was copied.
    def raising_handler(signum, frame):
        raise KeyboardInterrupt

    X, y = data
    previous = signal.signal(signal.SIGINT, raising_handler)
    try:
        on_call(monkeypatch, skdnn.engine.training, "loss_and_gradients",
                3 * BATCHES_PER_EPOCH + 3, interrupt)
        with pytest.warns(UserWarning, match="Training interrupted by user"):
            clf = LLayerClassifier(max_iter=50, **MINIBATCH).fit(X, y)
        assert signal.getsignal(signal.SIGINT) is raising_handler
    finally:
        signal.signal(signal.SIGINT, previous)
    assert clf.n_iter_ == 3
    monkeypatch.undo()
    assert_same_model(clf, LLayerClassifier(max_iter=3, **MINIBATCH).fit(X, y), X, tmp_path)


@pytest.mark.parametrize("interrupt", ["twice", "raised"])
def test_an_interrupt_cut_into_an_epoch_abandons_the_fit(data, monkeypatch, interrupt):
    # A second Ctrl-C in one epoch, or a KeyboardInterrupt raised by code in
    # it (not by Ctrl-C), leaves no completed state to keep: the fit rolls back.
    X, y = data
    clf = LLayerClassifier(max_iter=3, **MINIBATCH).fit(X, y)
    before = exported(clf)
    call = 2 * BATCHES_PER_EPOCH + 3
    if interrupt == "twice":
        on_call(monkeypatch, skdnn.engine.training, "loss_and_gradients", (call, call + 2),
                ctrl_c)
    else:
        on_call(monkeypatch, skdnn.engine.training, "loss_and_gradients", call, bare_interrupt)
    with pytest.raises(KeyboardInterrupt):
        clf.set_params(warm_start=True, max_iter=10).fit(X, y)
    assert exported(clf) == before
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_first_fit_interrupted_before_an_epoch_completes_stays_unfitted(data, monkeypatch):
    X, y = data
    on_call(monkeypatch, schedules, "epoch_learning_rate", 1, bare_interrupt)
    clf = LLayerClassifier(max_iter=5, **MINIBATCH)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert not hasattr(clf, "parameters_") and not hasattr(clf, "n_iter_")


def test_a_warm_start_keeps_the_epochs_it_completed(data, monkeypatch, tmp_path):
    X, y = data
    clf = LLayerClassifier(max_iter=3, **MINIBATCH).fit(X, y).set_params(warm_start=True)
    on_call(monkeypatch, schedules, "epoch_learning_rate", 3, bare_interrupt)
    interrupted_fit(clf, X, y)
    assert clf.n_iter_ == 5
    monkeypatch.undo()
    expected = LLayerClassifier(max_iter=3, **MINIBATCH).fit(X, y)
    expected.set_params(warm_start=True, max_iter=2).fit(X, y)
    assert_same_model(clf, expected, X, tmp_path)


@pytest.mark.parametrize("interrupt", [ctrl_c, bare_interrupt])
def test_early_stopping_keeps_the_best_model(data, monkeypatch, tmp_path, interrupt):
    X, y = data
    settings = {**MINIBATCH, "early_stopping": True, "n_iter_no_change": 100,
                "learning_rate": 0.3}
    on_call(monkeypatch, skdnn.engine.training, "loss_and_gradients",
            6 * 7 + 2, interrupt)  # 108 training samples: 7 batches an epoch
    if interrupt is ctrl_c:
        clf = interrupted_fit(LLayerClassifier(max_iter=50, **settings), X, y)
        completed = 7
    else:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: None)
        try:
            with pytest.warns(UserWarning, match="Training interrupted by user"):
                clf = LLayerClassifier(max_iter=50, **settings).fit(X, y)
        finally:
            signal.signal(signal.SIGINT, previous)
        completed = 6
    assert clf.n_iter_ == completed == len(clf.validation_scores_)
    monkeypatch.undo()
    expected = LLayerClassifier(max_iter=completed, **settings).fit(X, y)
    assert np.argmax(expected.validation_scores_) < completed - 1  # the best is not the last
    assert_same_model(clf, expected, X, tmp_path)


@pytest.mark.parametrize("interrupt", [ctrl_c, bare_interrupt])
def test_lbfgs_keeps_its_last_completed_iteration(data, monkeypatch, tmp_path, interrupt):
    X, y = data
    settings = {"hidden_layer_sizes": (6,), "solver": "lbfgs", "random_state": 0}
    calls = on_call(monkeypatch, engine, "loss_and_gradients", 10 ** 9, lambda: None)
    LLayerRegressor(max_iter=6, **settings).fit(X, y)
    # Stop in the middle of the 7th iteration's line search.
    on_call(monkeypatch, engine, "loss_and_gradients", len(calls) + 1, interrupt)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        reg = LLayerRegressor(max_iter=50, **settings).fit(X, y)
    completed = 7 if interrupt is ctrl_c else 6
    assert reg.n_iter_ == completed == len(reg.loss_curve_)
    monkeypatch.undo()
    expected = LLayerRegressor(max_iter=completed, **settings).fit(X, y)
    assert exported(reg) == exported(expected)
    save_model(reg, tmp_path / "kept.safetensors")
    np.testing.assert_array_equal(load_model(tmp_path / "kept.safetensors").predict(X),
                                  expected.predict(X))


def test_ctrl_c_in_the_end_of_fit_diagnosis_keeps_the_complete_model(data, monkeypatch, tmp_path):
    X, y = data
    on_call(monkeypatch, diagnostics, "training_symptoms", 1, bare_interrupt)
    clf = interrupted_fit(LLayerClassifier(max_iter=4, **MINIBATCH), X, y)
    monkeypatch.undo()
    assert_same_model(clf, LLayerClassifier(max_iter=4, **MINIBATCH).fit(X, y), X, tmp_path)


@pytest.mark.parametrize("estimator", [
    LLayerClassifier(max_iter=3, **MINIBATCH),
    LLayerClassifier(max_iter=3, **{**MINIBATCH, "early_stopping": True}),
    LLayerRegressor((4,), solver="lbfgs", max_iter=3, random_state=0)])
def test_the_fitted_schema_names_every_attribute_a_fit_sets(data, estimator):
    # The rollback and the callbacks' snapshot copy the schema's attributes only.
    X, y = data
    estimator.fit(X, y)
    params = estimator.get_params(deep=False)
    fitted = {name for name in vars(estimator) if name not in params}
    assert fitted == set(type(estimator)._fitted_schema) - {"feature_names_in_"}
