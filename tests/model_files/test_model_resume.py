"""Training resumes exactly after save_model and load_model, as if it had never stopped."""

import numpy as np
import pytest
from tests.helpers.model_files import (Y_BINARY, Y_MULTICLASS, Y_REGRESSION, X,
                                       assert_same_training, reloaded)

from skdnn import LLayerClassifier, LLayerRegressor
from tests.helpers.training import course

# Mini-batches with shuffling, dropout and a decaying learning rate: every
# piece of training state (optimiser, generator, counters) is used.
STOCHASTIC = {"hidden_layer_sizes": (6, 4), "batch_size": 16, "dropout": 0.2,
              "decay_rate": 0.05, "learning_rate": 0.01, "max_iter": 4, "random_state": 0}
TARGETS = {"binary": Y_BINARY, "multiclass": Y_MULTICLASS}


# A few epochs, compared with their continuation after loading: the end-of-fit
# warning or SciPy's iteration limit of such short fits is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. lbfgs stopped after:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("solver", ["gd", "momentum", "adam"])
def test_partial_fit_after_loading_is_bit_identical(solver, target, tmp_path):
    y = TARGETS[target]
    continued = LLayerClassifier(**course(solver=solver, **STOCHASTIC)).fit(X, y)
    resumed = reloaded(continued, tmp_path)
    for _ in range(3):
        continued.partial_fit(X, y)
        resumed.partial_fit(X, y)
    assert_same_training(resumed, continued)
    if solver != "gd":  # the optimiser's state went on, it did not start afresh
        assert resumed._optimizer.__dict__.keys() == continued._optimizer.__dict__.keys()


# A few epochs, compared with their continuation after loading: the end-of-fit
# warning or SciPy's iteration limit of such short fits is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. lbfgs stopped after:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("solver", ["gd", "momentum", "adam", "lbfgs"])
def test_warm_start_fit_after_loading_is_bit_identical(solver, target, tmp_path):
    y = TARGETS[target]
    settings = {**STOCHASTIC, "dropout": 0.0} if solver == "lbfgs" else STOCHASTIC
    continued = LLayerClassifier(**course(solver=solver, warm_start=True, **settings)).fit(X, y)
    resumed = reloaded(continued, tmp_path)
    continued.fit(X, y)
    resumed.fit(X, y)
    assert_same_training(resumed, continued)


# A few epochs, compared with their continuation after loading: the end-of-fit
# warning or SciPy's iteration limit of such short fits is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. lbfgs stopped after:sklearn.exceptions.ConvergenceWarning")
def test_early_stopping_warm_start_after_loading_is_bit_identical(tmp_path):
    # The validation split is drawn from the restored generator, and the
    # patience counter and best score go on.
    continued = LLayerRegressor(**course((5,), solver="adam", early_stopping=True, tol=1e-3,
                                n_iter_no_change=3, warm_start=True, max_iter=6,
                                random_state=0)).fit(X, Y_REGRESSION)
    resumed = reloaded(continued, tmp_path)
    continued.fit(X, Y_REGRESSION)
    resumed.fit(X, Y_REGRESSION)
    assert_same_training(resumed, continued)


# Four stochastic epochs fit nothing yet: the subject is resuming, so the
# end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_a_changed_solver_starts_a_fresh_optimiser_as_without_saving(tmp_path):
    continued = LLayerClassifier(**course(solver="adam", **STOCHASTIC)).fit(X, Y_BINARY)
    continued.set_params(solver="momentum")
    resumed = reloaded(continued, tmp_path)
    continued.partial_fit(X, Y_BINARY)
    resumed.partial_fit(X, Y_BINARY)
    assert_same_training(resumed, continued)


# Four stochastic epochs fit nothing yet: the subject is resuming, so the
# end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_float32_moments_resume_in_float32(tmp_path):
    X32 = X.astype(np.float32)
    continued = LLayerClassifier(**course(solver="adam", **STOCHASTIC)).fit(X32, Y_BINARY)
    resumed = reloaded(continued, tmp_path)
    assert resumed._optimizer.first_moments["W1"].dtype == np.float32
    continued.partial_fit(X32, Y_BINARY)
    resumed.partial_fit(X32, Y_BINARY)
    assert_same_training(resumed, continued)


# A few epochs, compared with their continuation after loading: the end-of-fit
# warning or SciPy's iteration limit of such short fits is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. lbfgs stopped after:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["momentum", "adam"])
def test_a_model_switched_to_lbfgs_saves_and_goes_on_as_without_saving(solver, tmp_path):
    # lbfgs keeps no optimiser state: the earlier solver's is dropped, not
    # carried in the fitted state where the model file cannot hold it.
    continued = LLayerClassifier(solver=solver, **STOCHASTIC).fit(X, Y_BINARY)
    continued.set_params(solver="lbfgs", warm_start=True, dropout=0.0).fit(X, Y_BINARY)
    resumed = reloaded(continued, tmp_path)  # refused while the old state was kept
    assert continued._optimizer is None and resumed._optimizer is None
    continued.fit(X, Y_BINARY)
    resumed.fit(X, Y_BINARY)
    assert_same_training(resumed, continued)
    # Back to the first solver: a fresh optimiser, saved or not.
    continued.set_params(solver=solver, dropout=0.2)
    resumed = reloaded(continued, tmp_path)
    continued.partial_fit(X, Y_BINARY)
    resumed.partial_fit(X, Y_BINARY)
    assert_same_training(resumed, continued)
