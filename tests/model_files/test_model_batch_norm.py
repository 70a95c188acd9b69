"""Model files of batch-normalised networks: round trips, resuming, older files, bad files."""

import json
import pickle

import joblib
import numpy as np
import pytest
from tests.helpers.model_files import (Y_BINARY, Y_MULTICLASS, Y_REGRESSION, X,
                                       assert_same_predictions, assert_same_statistics,
                                       assert_same_training, fitted, hyper, read_file,
                                       reloaded, rewrite, state, tensors)

from skdnn import LLayerClassifier, LLayerRegressor, ModelFileError, load_model, save_model
from tests.helpers.training import course

# A few epochs of small models, saved and loaded: the end-of-fit warning or
# SciPy's iteration limit of such short fits is expected.
pytestmark = [
    pytest.mark.filterwarnings(r"ignore:LLayer\w+. the final loss, .* is no better than"
                               ":sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings(r"ignore:LLayer\w+. lbfgs stopped after"
                               ":sklearn.exceptions.ConvergenceWarning")]

# Mini-batches, shuffled, with dropout and a decaying learning rate: the
# running statistics move at every step, beside every other piece of state.
STOCHASTIC = {"hidden_layer_sizes": (6, 4), "batch_size": 16, "dropout": 0.2,
              "decay_rate": 0.05, "learning_rate": 0.01, "max_iter": 4, "random_state": 0,
              "batch_norm_momentum": 0.8}

# name: (estimator class, batch_norm, solver, target, dtype)
CASES = {
    "classifier, every layer, float64": (LLayerClassifier, True, "adam", Y_MULTICLASS,
                                         np.float64),
    "classifier, first layer, float32": (LLayerClassifier, [True, False], "momentum",
                                         Y_BINARY, np.float32),
    "classifier, second layer (tuple), float64": (LLayerClassifier, (False, True), "gd",
                                                  Y_MULTICLASS, np.float64),
    "regressor, every layer, float32": (LLayerRegressor, True, "adam", Y_REGRESSION,
                                        np.float32),
    "regressor, first layer, float64": (LLayerRegressor, [True, False], "momentum",
                                        Y_REGRESSION[:, 0], np.float64),
}


def batch_normalised(case, **overrides):
    """The estimator of ``case`` fitted a few stochastic epochs, and its data and target."""
    cls, batch_norm, solver, y, dtype = CASES[case]
    settings = {**STOCHASTIC, "solver": solver, "batch_norm": batch_norm, **overrides}
    data = X.astype(dtype)
    return cls(**course(**settings)).fit(data, y), data, y


@pytest.mark.parametrize("case", sorted(CASES))
def test_round_trip_is_bit_identical(case, tmp_path):
    original, data, y = batch_normalised(case)
    normalised = [l for l in range(1, 3) if f"gamma{l}" in original.parameters_]
    assert original.running_stats_ and normalised
    # The statistics moved from their start: loading them, not restarting them, is tested.
    assert (original.running_stats_[f"running_var{normalised[0]}"] != 1).all()
    loaded = reloaded(original, tmp_path)
    assert_same_predictions(loaded, original, data)
    assert_same_statistics(loaded, original)
    assert repr(loaded.get_params()) == repr(original.get_params())
    assert loaded.score(data, original.predict(data)) == 1.0


@pytest.mark.parametrize("case", sorted(CASES))
def test_pickle_and_joblib_round_trips_are_bit_identical(case, tmp_path):
    original, data, y = batch_normalised(case)
    assert_same_predictions(pickle.loads(pickle.dumps(original)), original, data)
    joblib.dump(reloaded(original, tmp_path), tmp_path / "loaded.joblib")
    loaded = joblib.load(tmp_path / "loaded.joblib")
    assert_same_predictions(loaded, original, data)
    assert_same_statistics(loaded, original)


@pytest.mark.parametrize("case", sorted(CASES))
def test_partial_fit_after_loading_is_bit_identical(case, tmp_path):
    continued, data, y = batch_normalised(case)
    resumed = reloaded(continued, tmp_path)
    for _ in range(3):
        continued.partial_fit(data, y)
        resumed.partial_fit(data, y)
    assert_same_training(resumed, continued)
    assert_same_statistics(resumed, continued)
    assert_same_predictions(resumed, continued, data)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_warm_start_fit_after_loading_is_bit_identical(solver, tmp_path):
    overrides = {"solver": solver, "warm_start": True}
    if solver == "lbfgs":  # full batches, no dropout: lbfgs's deterministic loss
        overrides.update(dropout=0.0, batch_size="auto")
    continued, data, y = batch_normalised("classifier, first layer, float32", **overrides)
    resumed = reloaded(continued, tmp_path)
    continued.fit(data, y)
    resumed.fit(data, y)
    assert_same_training(resumed, continued)
    assert_same_statistics(resumed, continued)


# Six epochs, early stopping's patience not run out: the iteration limit is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. maximum iterations:sklearn.exceptions.ConvergenceWarning")
def test_early_stopping_warm_start_after_loading_is_bit_identical(tmp_path):
    continued, data, y = batch_normalised(
        "regressor, every layer, float32", early_stopping=True, n_iter_no_change=2,
        tol=1e-3, warm_start=True, max_iter=6)
    resumed = reloaded(continued, tmp_path)
    assert_same_statistics(resumed, continued)
    continued.fit(data, y)
    resumed.fit(data, y)
    assert_same_training(resumed, continued)
    assert_same_statistics(resumed, continued)


# --- a file written before batch normalisation existed ---

def written_before_batch_norm(metadata, hyper, state, tensors):
    del hyper["batch_norm"], hyper["batch_norm_momentum"], state["running_stats_"]


@pytest.mark.parametrize("case", ["multiclass", "regressor multi-output", "float32"])
def test_a_file_from_before_batch_norm_loads_and_goes_on_the_same(case, tmp_path):
    original, data = fitted(case)
    path = tmp_path / "old.safetensors"
    save_model(original, path)
    rewrite(path, written_before_batch_norm)
    metadata, _ = read_file(path)
    assert "batch_norm" not in metadata["hyperparameters"]
    assert "running_stats_" not in metadata["fitted_state"]
    loaded = load_model(path)
    assert loaded.batch_norm is False and loaded.batch_norm_momentum == 0.9
    assert loaded.running_stats_ == {}
    assert_same_predictions(loaded, original, data)
    y = Y_REGRESSION if "regressor" in case else (Y_BINARY if case == "float32"
                                                  else Y_MULTICLASS)
    original.partial_fit(data, y)
    loaded.partial_fit(data, y)
    assert_same_training(loaded, original)


# --- batch_norm as a hyperparameter of the file ---

@pytest.mark.parametrize("batch_norm", [True, False, [True, False], (False, True),
                                        [np.True_, False]])
def test_batch_norm_is_stored_as_json_bools_and_comes_back_alike(batch_norm, tmp_path):
    original = LLayerClassifier(**course((3, 2), batch_norm=batch_norm, batch_size=16,
                                         max_iter=2, random_state=0)).fit(X, Y_BINARY)
    loaded = reloaded(original, tmp_path)
    stored = json.loads(read_file(tmp_path / "model.safetensors")[0]["hyperparameters"])
    flags = stored["batch_norm"]
    flags = flags["__tuple__"] if isinstance(batch_norm, tuple) else np.atleast_1d(flags).tolist()
    assert flags == np.atleast_1d(batch_norm).tolist() and all(type(f) is bool for f in flags)
    expected = [bool(flag) for flag in batch_norm] if isinstance(batch_norm, list) \
        else batch_norm
    assert loaded.batch_norm == expected and type(loaded.batch_norm) is type(batch_norm)
    assert all(type(flag) is bool for flag in np.atleast_1d(loaded.batch_norm).tolist())
    assert_same_predictions(loaded, original, X)


# --- damaged and crafted files ---



def set_value(name, index, value):
    return tensors(lambda t: t[name].__setitem__(index, value))


def without_statistics(metadata, hyper, state, tensors):
    del state["running_stats_"], tensors["running_mean1"], tensors["running_var1"]


def statistics_for_layer_2(metadata, hyper, state, tensors):
    state["running_stats_"] += ["running_mean2", "running_var2"]
    tensors.update(running_mean2=np.zeros((4, 1)), running_var2=np.ones((4, 1)))


def batch_norm_off_with_biases(metadata, hyper, state, tensors):
    hyper["batch_norm"] = False
    tensors.update(b1=np.zeros((6, 1)))


# The model: hidden layers (6, 4), the first one batch-normalised, float64.
MISMATCH = r"batch_norm={} does not match the batch-normalised layers of parameters_, \[{}\]"
# name: (change, message the ModelFileError must match)
CORRUPTIONS = {
    "negative running variance": (set_value("running_var1", (2, 0), -1e-3),
                                  "running_stats_ holds a negative variance"),
    "NaN running mean": (set_value("running_mean1", (0, 0), np.nan),
                         "running_mean1 holds non-finite values"),
    "infinite running variance": (set_value("running_var1", (0, 0), np.inf),
                                  "running_var1 holds non-finite values"),
    "NaN in gamma": (set_value("gamma1", (1, 0), np.nan), "gamma1 holds non-finite values"),
    "infinite beta": (set_value("beta1", (1, 0), -np.inf), "beta1 holds non-finite values"),
    "running mean missing": (tensors(lambda t: t.pop("running_mean1")),
                             "the array 'running_mean1' is missing"),
    "running mean not listed": (state(lambda s: s["running_stats_"].remove("running_mean1")),
                                "running_stats_ must name exactly the statistics"),
    "running statistics listed twice": (
        state(lambda s: s["running_stats_"].append("running_var1")),
        "running_stats_ must name exactly the statistics"),
    "running statistics not a list": (state(lambda s: s.update(running_stats_={})),
                                      "running_stats_ must name exactly the statistics"),
    "no running statistics at all": (without_statistics,
                                     "has no running_stats_.*batch-normalised"),
    "statistics unlisted, arrays kept": (state(lambda s: s.pop("running_stats_")),
                                         "has no running_stats_.*batch-normalised"),
    "an extra running array": (tensors(lambda t: t.update(running_mean3=np.zeros((2, 1)))),
                               r"unexpected arrays \['running_mean3'\]"),
    "statistics of a layer without batch norm": (
        statistics_for_layer_2, "running_stats_ must name exactly the statistics"),
    "gamma and beta, batch_norm false": (hyper(lambda h: h.update(batch_norm=False)),
                                         MISMATCH.format("False", 1)),
    "gamma, beta and b, batch_norm false": (batch_norm_off_with_biases,
                                            MISMATCH.format("False", 1)),
    "batch norm moved to layer 2": (hyper(lambda h: h.update(batch_norm=[False, True])),
                                    MISMATCH.format(r"\[False, True\]", 1)),
    "gamma missing, beta kept": (tensors(lambda t: t.pop("gamma1")), MISMATCH.format(
        r"\[True, False\]", "")),
    "gamma of a layer without batch norm": (
        tensors(lambda t: t.update(gamma2=np.ones((4, 1)))),
        MISMATCH.format(r"\[True, False\]", "1, 2")),
    "running variance of another shape": (
        tensors(lambda t: t.update(running_var1=np.ones(6))),
        r"running_var1 has shape \(6,\), expected \(6, 1\)"),
    "gamma of another shape": (tensors(lambda t: t.update(gamma1=np.ones((1, 6)))),
                               r"gamma1 has shape \(1, 6\), expected \(6, 1\)"),
    "float32 running mean": (tensors(lambda t: t.update(
        running_mean1=t["running_mean1"].astype(np.float32))),
        "running_mean1 has dtype float32"),
    "integer running variance": (tensors(lambda t: t.update(
        running_var1=np.ones((6, 1), np.int64))), "running_var1 has dtype int64"),
    "float32 beta": (tensors(lambda t: t.update(beta1=t["beta1"].astype(np.float32))),
                     "beta1 has dtype float32"),
    "a bias's moments beside gamma": (tensors(lambda t: t.update(
        {"_optimizer.first_moments.b1": np.zeros((6, 1))})),
        r"unexpected arrays \['_optimizer.first_moments.b1'\]"),
    "batch_norm list too long": (hyper(lambda h: h.update(batch_norm=[True, False, True])),
                                 "bad hyperparameter value.*batch_norm has 3 entries"),
    "batch_norm list with a string": (hyper(lambda h: h.update(batch_norm=[True, "no"])),
                                      "bad hyperparameter value.*batch_norm must be a bool"),
    "batch_norm list of ints": (hyper(lambda h: h.update(batch_norm=[1, 0])),
                                "bad hyperparameter value.*batch_norm must be a bool"),
    "batch_norm a string": (hyper(lambda h: h.update(batch_norm="true")),
                            "bad hyperparameter value.*batch_norm"),
    "batch_norm null": (hyper(lambda h: h.update(batch_norm=None)),
                        "bad hyperparameter value.*batch_norm"),
    "batch_norm_momentum above 1": (hyper(lambda h: h.update(batch_norm_momentum=1.5)),
                                    "bad hyperparameter value.*batch_norm_momentum"),
    "batch_norm_momentum NaN": (hyper(lambda h: h.update(
        batch_norm_momentum={"__float__": "nan"})), "bad hyperparameter value.*momentum"),
}


@pytest.fixture(scope="module")
def batch_normalised_file(tmp_path_factory):
    """A saved adam model, its first hidden layer batch-normalised, as bytes."""
    model = LLayerClassifier(**course(**{**STOCHASTIC, "solver": "adam",
                                         "batch_norm": [True, False]})).fit(X, Y_MULTICLASS)
    path = tmp_path_factory.mktemp("model") / "model.safetensors"
    save_model(model, path)
    return path.read_bytes()


def test_the_file_is_intact_before_it_is_damaged(batch_normalised_file, tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(batch_normalised_file)
    rewrite(path, lambda metadata, hyper, state, tensors: None)
    assert load_model(path).running_stats_.keys() == {"running_mean1", "running_var1"}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_damaged_batch_normalised_file_is_refused(corruption, batch_normalised_file,
                                                    tmp_path):
    change, message = CORRUPTIONS[corruption]
    path = tmp_path / "model.safetensors"
    path.write_bytes(batch_normalised_file)
    rewrite(path, change)
    with pytest.raises(ModelFileError, match=message) as raised:
        load_model(path)
    assert str(path) in str(raised.value) and len(str(raised.value)) < 600


def test_a_model_whose_batch_norm_was_changed_after_fit_is_not_saved(tmp_path):
    model = batch_normalised("classifier, first layer, float32")[0]
    model.set_params(batch_norm=False)
    with pytest.raises(ValueError, match="cannot be saved.*" + MISMATCH.format("False", 1)):
        save_model(model, tmp_path / "model.safetensors")
    assert list(tmp_path.iterdir()) == []
