"""scikit-learn's callbacks in skdnn's fits: the task tree, stopping, teardown, propagation."""

import json

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import LLayerClassifier, LLayerRegressor, load_model, save_model
from tests.helpers.training import best_validation_epoch, course
from tests.helpers.fixtures import data, quiet_convergence  # noqa: F401 (fixtures)

callback = pytest.importorskip("sklearn.callback", reason="callbacks need scikit-learn 1.9")

FAST = {"hidden_layer_sizes": (6,), "solver": "adam", "learning_rate": 0.01, "max_iter": 8,
        "random_state": 0}


class TaskRecorder:
    """Records every hook call with its task's path; asks to stop after epoch ``stop_at``."""

    def __init__(self, stop_at=None):
        self.stop_at = stop_at
        self.calls = []
        self.snapshots = []

    def setup(self, estimator, context):
        self.calls.append(("setup",))

    def teardown(self, estimator, context):
        self.calls.append(("teardown",))

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None):
        self.calls.append(("begin", _path(context)))

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, fitted_estimator=None):
        self.calls.append(("end", _path(context)))
        if context.parent is not None and fitted_estimator is not None:
            self.snapshots.append(fitted_estimator)
        return context.parent is not None and context.task_id == self.stop_at


def _path(context):
    names = []
    while context is not None:
        names.append(f"{context.task_name}#{context.task_id}")
        context = context.parent
    return "/".join(reversed(names))


def _expected_calls(root, subtask, n):
    epochs = [call for i in range(n)
              for call in (("begin", f"{root}#0/{subtask}#{i}"),
                           ("end", f"{root}#0/{subtask}#{i}"))]
    return [("setup",), ("begin", f"{root}#0"), *epochs, ("end", f"{root}#0"), ("teardown",)]


@pytest.mark.parametrize("solver", ["gd", "adam", "lbfgs"])
def test_a_callback_sees_the_task_tree_and_stops_after_epoch_3(data, solver):
    X, y = data
    recorder = TaskRecorder(stop_at=3)
    clf = LLayerClassifier(**course(**{**FAST, "solver": solver,
                                       "max_iter": 50})).set_callbacks(recorder)
    clf.fit(X, y)
    subtask = "lbfgs-iter" if solver == "lbfgs" else "epoch"
    assert recorder.calls == _expected_calls("fit", subtask, 4)
    assert clf.n_iter_ == len(clf.loss_curve_) == 4
    assert clf.t_ == 4 * X.shape[0]
    # The model the last epoch's callback saw is the model fit returns.
    assert_array_equal(recorder.snapshots[-1].predict_proba(X), clf.predict_proba(X))


def test_the_fitted_estimator_predicts_like_the_model_at_that_epoch(data):
    X, y = data
    recorder = TaskRecorder()
    LLayerClassifier(**course(**FAST)).set_callbacks(recorder).fit(X, y)
    assert len(recorder.snapshots) == FAST["max_iter"]
    for n_epochs in (1, 5):
        shorter = LLayerClassifier(**course(**{**FAST, "max_iter": n_epochs})).fit(X, y)
        snapshot = recorder.snapshots[n_epochs - 1]
        assert_array_equal(snapshot.predict_proba(X), shorter.predict_proba(X))
        assert snapshot.loss_curve_ == shorter.loss_curve_


def test_a_stop_with_early_stopping_keeps_the_best_model(data):
    X, y = data
    recorder = TaskRecorder(stop_at=5)
    # A large step: the held-out accuracy peaks before the stop.
    clf = LLayerClassifier(**course(**{**FAST, "max_iter": 50, "learning_rate": 1.0},
                           early_stopping=True, validation_fraction=0.3,
                           n_iter_no_change=50)).set_callbacks(recorder)
    clf.fit(X, y)
    assert clf.n_iter_ == len(clf.loss_curve_) == len(clf.validation_scores_) == 6
    best = best_validation_epoch(clf)
    assert best < 5, "the test needs a best epoch before the last one"
    assert_array_equal(clf.predict_proba(X), recorder.snapshots[best].predict_proba(X))


def test_partial_fit_is_a_task_of_one_epoch(data):
    X, y = data
    recorder = TaskRecorder()
    reg = LLayerRegressor(**course(**FAST)).set_callbacks(recorder)
    reg.partial_fit(X, y.astype(float))
    assert recorder.calls == _expected_calls("partial_fit", "epoch", 1)
    recorder.calls.clear()
    reg.partial_fit(X, y.astype(float))
    assert recorder.calls == _expected_calls("partial_fit", "epoch", 1)
    assert reg.n_iter_ == 2


class Boom(Exception):
    pass


class RaisesAtEpoch(TaskRecorder):
    def __init__(self, exception, epoch):
        super().__init__()
        self.exception = exception
        self.epoch = epoch

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, fitted_estimator=None):
        super().on_fit_task_end(estimator, context)
        if context.parent is not None and context.task_id == self.epoch:
            raise self.exception


# A KeyboardInterrupt keeps the epochs completed instead: see tests/estimators/test_interrupt.py.
@pytest.mark.parametrize("exception", [Boom(), ValueError("a callback's own error")])
def test_teardown_runs_when_the_fit_raises_and_the_model_is_restored(data, exception):
    X, y = data
    clf = LLayerClassifier(**course(**FAST)).fit(X, y)
    before = clf.predict_proba(X)
    recorder = RaisesAtEpoch(exception, epoch=2)
    clf.set_params(warm_start=True).set_callbacks(recorder)
    with pytest.raises(type(exception)):
        clf.fit(X, y)
    assert recorder.calls[-1] == ("teardown",)
    assert ("end", "fit#0") not in recorder.calls
    assert not hasattr(clf, "_callback_fit_ctx")
    assert clf.n_iter_ == FAST["max_iter"]
    assert_array_equal(clf.predict_proba(X), before)


def test_a_keyboard_interrupt_in_a_hook_keeps_the_epochs_and_tears_down(data):
    X, y = data
    clf = LLayerClassifier(**FAST).fit(X, y)
    recorder = RaisesAtEpoch(KeyboardInterrupt(), epoch=2)
    clf.set_params(warm_start=True).set_callbacks(recorder)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        clf.fit(X, y)
    # Epochs 0 to 2 of this fit ran; the fit task ended, then the teardown.
    assert recorder.calls[-2:] == [("end", "fit#0"), ("teardown",)]
    assert not hasattr(clf, "_callback_fit_ctx")
    assert clf.n_iter_ == FAST["max_iter"] + 3
    expected = LLayerClassifier(**FAST).fit(X, y)
    expected.set_params(warm_start=True, max_iter=3).fit(X, y)
    assert_array_equal(clf.predict_proba(X), expected.predict_proba(X))


def test_progress_bar_and_scoring_monitor_in_fit_and_partial_fit(data, capsys):
    pytest.importorskip("rich")
    X, y = data
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = LLayerClassifier(**course(**FAST)).set_callbacks(callback.ProgressBar(), monitor)
    clf.fit(X, y)
    assert "LLayerClassifier - fit" in capsys.readouterr().out
    rows = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(rows) == FAST["max_iter"]
    assert rows[-1]["accuracy"] == clf.score(X, y)

    clf.partial_fit(X, y)
    assert "LLayerClassifier - partial_fit" in capsys.readouterr().out
    rows = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(rows) == 1 and rows[0]["accuracy"] == clf.score(X, y)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_progress_bar_and_scoring_monitor_in_a_grid_search(data, capsys, n_jobs):
    pytest.importorskip("rich")
    X, y = data
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = LLayerClassifier(**course(**{**FAST, "max_iter": 3})).set_callbacks(monitor)
    grid = GridSearchCV(clf, {"learning_rate": [0.01, 0.1]}, cv=2, n_jobs=n_jobs)
    grid.set_callbacks(callback.ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    # Four candidate-split fits and the refit, each under the grid search's bar.
    assert out.count("| LLayerClassifier - fit") == 5
    epochs = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(epochs) == 5 * 3
    assert {len(row["task_id_path"]) for row in epochs} == {3, 4}


class FileRecorder:
    """An auto-propagated callback that appends its epochs to a file (works across processes)."""

    max_propagation_depth = None

    def __init__(self, path):
        self.path = path

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        if context.task_name == "epoch":
            with open(self.path, "a") as f:
                f.write(json.dumps([context.estimator_name, _path(context)]) + "\n")


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_auto_propagated_callbacks_reach_the_network_in_a_pipeline_in_a_search(
        data, tmp_path, n_jobs):
    X, y = data
    log = tmp_path / "epochs.jsonl"
    pipe = make_pipeline(StandardScaler(), LLayerClassifier(**course(**{**FAST, "max_iter": 2})))
    grid = GridSearchCV(pipe, {"llayerclassifier__learning_rate": [0.01, 0.1]}, cv=2,
                        n_jobs=n_jobs)
    grid.set_callbacks(FileRecorder(str(log))).fit(X, y)
    epochs = [json.loads(line) for line in log.read_text().splitlines()]
    assert {name for name, _ in epochs} == {"LLayerClassifier"}
    assert len(epochs) == 5 * 2
    assert len({path for _, path in epochs}) == len(epochs)


def test_callbacks_are_not_part_of_the_fitted_state_or_of_model_files(data, tmp_path):
    X, y = data
    clf = LLayerClassifier(**course(**FAST)).set_callbacks(TaskRecorder()).fit(X, y)
    assert not any(name.startswith(("_skl_", "_callback")) for name in clf._fitted_state())
    save_model(clf, tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert not hasattr(loaded, "_skl_callbacks")
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


class TeardownFails(TaskRecorder):
    def teardown(self, estimator, context):
        super().teardown(estimator, context)
        raise Boom("teardown failed")


def test_a_teardown_that_raises_rolls_a_first_fit_back_to_unfitted(data):
    X, y = data
    clf = LLayerClassifier(**FAST).set_callbacks(TeardownFails())
    with pytest.raises(Boom, match="teardown failed"):
        clf.fit(X, y)
    assert not hasattr(clf, "parameters_") and not hasattr(clf, "n_iter_")
    assert not hasattr(clf, "n_features_in_")


def test_a_teardown_that_raises_puts_back_the_model_from_before_the_fit(data):
    X, y = data
    clf = LLayerClassifier(**FAST).fit(X, y)
    before = clf.predict_proba(X)
    clf.set_params(warm_start=True).set_callbacks(TeardownFails())
    with pytest.raises(Boom):
        clf.fit(X, y)
    assert clf.n_iter_ == FAST["max_iter"]
    assert_array_equal(clf.predict_proba(X), before)


@pytest.mark.parametrize("library", ["array_api_strict", "torch"])
def test_scoring_monitor_under_array_api_dispatch(data, library):
    # The epoch's fitted estimator is copied by the arrays' own library.
    sklearn = pytest.importorskip("sklearn")
    xp = pytest.importorskip(library)
    X, y = data
    X_xp = xp.asarray(X)
    monitor = callback.ScoringMonitor(scoring="neg_log_loss")
    recorder = TaskRecorder()
    clf = LLayerClassifier(**FAST).set_callbacks(monitor, recorder)
    with sklearn.config_context(array_api_dispatch=True):
        clf.fit(X_xp, y)
        final = clf.predict_proba(X_xp)
    rows = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(rows) == FAST["max_iter"]
    assert len(recorder.snapshots) == FAST["max_iter"]
    # Each snapshot is a copy: the last one predicts as the model, the first one not.
    with sklearn.config_context(array_api_dispatch=True):
        last = recorder.snapshots[-1].predict_proba(X_xp)
        first = recorder.snapshots[0].predict_proba(X_xp)
    assert_array_equal(np.asarray(last), np.asarray(final))
    assert not np.array_equal(np.asarray(first), np.asarray(final))
