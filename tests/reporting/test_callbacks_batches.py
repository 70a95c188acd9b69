"""Mini-batches as subtasks of an epoch in scikit-learn's callbacks' task tree."""

import math
import signal

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skdnn import LLayerClassifier, LLayerRegressor, engine
from skdnn._estimators import fitting
from tests.helpers.fixtures import N_SAMPLES, data, quiet_convergence  # noqa: F401

callback = pytest.importorskip("sklearn.callback", reason="callbacks need scikit-learn 1.9")

SETTINGS = {"hidden_layer_sizes": (6,), "solver": "adam", "learning_rate": 0.01,
            "batch_size": 50, "max_iter": 3, "tol": None, "random_state": 0}


def _path(context):
    names = []
    while context is not None:
        names.append(f"{context.task_name}#{context.task_id}")
        context = context.parent
    return "/".join(reversed(names))


class BatchRecorder:
    """Records each hook with its task's path, the epochs' ``max_subtasks`` and, at each
    batch's end, the first layer's weights; asks to stop at the end of ``stop_at``."""

    def __init__(self, stop_at=None):
        self.stop_at = stop_at
        self.calls = []
        self.max_subtasks = {}
        self.weights_after_batch = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        self.calls.append(("teardown",))

    def on_fit_task_begin(self, estimator, context):
        self.calls.append(("begin", _path(context)))
        self.max_subtasks[_path(context)] = context.max_subtasks

    def on_fit_task_end(self, estimator, context):
        self.calls.append(("end", _path(context)))
        if context.task_name == "batch":
            self.weights_after_batch.append(engine.to_numpy(estimator.parameters_["W1"]).copy())
        return _path(context) == self.stop_at


def _expected_calls(root, n_epochs, n_batches, epoch="epoch"):
    calls = [("begin", f"{root}#0")]
    for e in range(n_epochs):
        calls.append(("begin", f"{root}#0/{epoch}#{e}"))
        for b in range(n_batches):
            batch = f"{root}#0/{epoch}#{e}/batch#{b}"
            calls += [("begin", batch), ("end", batch)]
        calls.append(("end", f"{root}#0/{epoch}#{e}"))
    return [*calls, ("end", f"{root}#0"), ("teardown",)]


@pytest.mark.parametrize("batch_size", [7, 40, 50, 119])
def test_each_epoch_has_one_subtask_per_mini_batch(data, batch_size):
    X, y = data
    recorder = BatchRecorder()
    clf = LLayerClassifier(**{**SETTINGS, "batch_size": batch_size}).set_callbacks(recorder)
    clf.fit(X, y)
    n_batches = math.ceil(N_SAMPLES / batch_size)
    assert recorder.calls == _expected_calls("fit", 3, n_batches)
    assert recorder.max_subtasks["fit#0/epoch#1"] == n_batches
    assert recorder.max_subtasks["fit#0/epoch#1/batch#0"] == 0


@pytest.mark.parametrize("batch_size, n_batches", [(7, 17), (50, 2), (40, 3), (119, 0)])
def test_with_batch_norm_the_leftover_rows_are_no_batch_of_their_own(data, batch_size,
                                                                    n_batches):
    # 120 rows in batches of 50: two steps, of 50 and 70 rows (engine.mini_batches).
    X, y = data
    recorder = BatchRecorder()
    clf = LLayerClassifier(**{**SETTINGS, "batch_size": batch_size, "batch_norm": True})
    clf.set_callbacks(recorder).fit(X, y)
    assert recorder.calls == _expected_calls("fit", 3, n_batches)
    assert len(recorder.weights_after_batch) == 3 * n_batches


@pytest.mark.parametrize("batch_size", [None, N_SAMPLES, 10 * N_SAMPLES])
def test_a_full_batch_epoch_is_one_step_and_stays_a_leaf(data, batch_size):
    # One step per epoch: a batch subtask would tell nothing the epoch does not,
    # and would turn every epoch into a progress bar of its own.
    X, y = data
    recorder = BatchRecorder()
    LLayerClassifier(**{**SETTINGS, "batch_size": batch_size}).set_callbacks(recorder).fit(X, y)
    assert recorder.calls == _expected_calls("fit", 3, 0)
    assert recorder.max_subtasks["fit#0/epoch#0"] == 0


def test_lbfgs_iterations_stay_leaves_whatever_the_batch_size(data):
    X, y = data
    recorder = BatchRecorder()
    clf = LLayerClassifier(**{**SETTINGS, "solver": "lbfgs", "batch_size": 7})
    clf.set_callbacks(recorder).fit(X, y)
    assert recorder.calls == _expected_calls("fit", clf.n_iter_, 0, epoch="lbfgs-iter")


def test_partial_fit_is_one_epoch_of_batches(data):
    X, y = data
    recorder = BatchRecorder()
    reg = LLayerRegressor(**SETTINGS).set_callbacks(recorder)
    for _ in range(2):
        recorder.calls.clear()
        reg.partial_fit(X, y.astype(float))
        assert recorder.calls == _expected_calls("partial_fit", 1, 3)
    assert reg.n_iter_ == 2


def test_the_batches_are_reported_as_the_epoch_runs(data):
    # What a progress bar needs: each batch's end comes after its own step,
    # not all at the end of the epoch.
    X, y = data
    recorder = BatchRecorder()
    clf = LLayerClassifier(**{**SETTINGS, "max_iter": 2}).set_callbacks(recorder).fit(X, y)
    weights = recorder.weights_after_batch
    assert len(weights) == 2 * 3
    assert all(not np.array_equal(a, b) for a, b in zip(weights, weights[1:]))
    one_epoch = LLayerClassifier(**{**SETTINGS, "max_iter": 1}).fit(X, y)
    assert_array_equal(weights[2], one_epoch.parameters_["W1"])
    assert_array_equal(weights[-1], clf.parameters_["W1"])


def test_callbacks_leave_the_model_bit_identical(data):
    X, y = data
    with_callback = LLayerClassifier(**SETTINGS).set_callbacks(BatchRecorder()).fit(X, y)
    without = LLayerClassifier(**SETTINGS).fit(X, y)
    assert with_callback.loss_curve_ == without.loss_curve_
    for name, value in without.parameters_.items():
        assert_array_equal(with_callback.parameters_[name], value)


def test_a_stop_asked_at_a_batch_stops_at_the_end_of_its_epoch(data):
    X, y = data
    recorder = BatchRecorder(stop_at="fit#0/epoch#1/batch#0")
    clf = LLayerClassifier(**{**SETTINGS, "max_iter": 10}).set_callbacks(recorder)
    clf.fit(X, y)
    # Epoch 1 runs its three batches and its own hooks, then the fit ends.
    assert recorder.calls == _expected_calls("fit", 2, 3)
    assert clf.n_iter_ == len(clf.loss_curve_) == 2
    assert clf.t_ == 2 * N_SAMPLES
    two_epochs = LLayerClassifier(**{**SETTINGS, "max_iter": 2}).fit(X, y)
    assert_array_equal(clf.predict_proba(X), two_epochs.predict_proba(X))
    assert clf.loss_curve_ == two_epochs.loss_curve_


def test_ctrl_c_in_a_batch_hook_is_deferred_to_the_end_of_the_epoch(data):
    X, y = data

    class CtrlC(BatchRecorder):
        def on_fit_task_end(self, estimator, context):
            super().on_fit_task_end(estimator, context)
            if _path(context) == "fit#0/epoch#1/batch#1":
                signal.raise_signal(signal.SIGINT)

    recorder = CtrlC()
    clf = LLayerClassifier(**{**SETTINGS, "max_iter": 10}).set_callbacks(recorder)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        clf.fit(X, y)
    assert clf.n_iter_ == 2
    assert recorder.calls[-2:] == [("end", "fit#0"), ("teardown",)]
    assert ("end", "fit#0/epoch#1/batch#2") in recorder.calls


class TrainEpochCalls:
    """Wraps ``engine.train_epoch``, recording the ``on_batch`` each call gets."""

    def __init__(self, monkeypatch):
        self.hooks = []
        original = engine.train_epoch

        def train_epoch(*args, **kwargs):
            self.hooks.append(kwargs.get("on_batch"))
            return original(*args, **kwargs)

        monkeypatch.setattr(fitting.engine, "train_epoch", train_epoch)


@pytest.mark.parametrize("callbacks, batch_size, hooked", [
    ((), 50, False), ((BatchRecorder(),), None, False), ((BatchRecorder(),), 50, True)])
def test_train_epoch_gets_a_hook_only_with_callbacks_and_mini_batches(
        data, monkeypatch, callbacks, batch_size, hooked):
    X, y = data
    calls = TrainEpochCalls(monkeypatch)
    clf = LLayerClassifier(**{**SETTINGS, "batch_size": batch_size})
    if callbacks:
        clf.set_callbacks(*callbacks)
    clf.fit(X, y)
    assert len(calls.hooks) == SETTINGS["max_iter"]
    assert all(callable(hook) if hooked else hook is None for hook in calls.hooks)


def test_progress_bar_shows_each_epoch_of_mini_batches(data, capsys):
    pytest.importorskip("rich")
    X, y = data
    LLayerClassifier(**SETTINGS).set_callbacks(callback.ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    assert "LLayerClassifier - fit" in out
    for epoch in range(SETTINGS["max_iter"]):
        assert f"LLayerClassifier - epoch #{epoch}" in out


def test_scoring_monitor_scores_epochs_not_batches(data):
    X, y = data
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = LLayerClassifier(**SETTINGS).set_callbacks(monitor).fit(X, y)
    names = [row["task_name"] for row in monitor.get_logs().data]
    assert sorted(names) == ["epoch"] * SETTINGS["max_iter"] + ["fit"]
    epochs = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert epochs[-1]["accuracy"] == clf.score(X, y)


@pytest.mark.parametrize("library", ["array_api_strict", "torch"])
def test_batch_subtasks_under_array_api_dispatch(data, library):
    sklearn = pytest.importorskip("sklearn")
    xp = pytest.importorskip(library)
    X, y = data
    recorder = BatchRecorder()
    clf = LLayerClassifier(**SETTINGS).set_callbacks(recorder)
    with sklearn.config_context(array_api_dispatch=True):
        clf.fit(xp.asarray(X), y)
    assert [call for call in recorder.calls if call[0] == "end"] == [
        call for call in _expected_calls("fit", 3, 3) if call[0] == "end"]
