"""Batch-normalised layers in a network: parameters, propagation, gradients, training, folding.

ReLU kinks: a batch-normalised layer couples the examples, so one nudge of
:func:`skdnn.engine.gradient_check` moves every example's ``Z_tilde``; the
checks below assert that each kinked pre-activation is at least
``KINK_MARGIN`` from 0 (the seeds are fixed), as ``test_gradient_check`` does.
"""

import copy
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdnn import engine as E
from tests.helpers.batch_norm import batch_running_stats as _batch_running_stats
from tests.helpers.batch_norm import data as _data
from tests.helpers.batch_norm import network as _network

KINK_MARGIN = 1e-4
KINKED = {"relu", "leaky_relu", "selu", "elu"}


def _assert_off_kinks(X, parameters, activations, sample_weight=None):
    _, caches = E.forward_propagation(X, parameters, activations, sample_weight=sample_weight)
    for cache, activation in zip(caches[:-1], activations[:-1]):
        if activation in KINKED:
            assert np.min(np.abs(cache[1])) > KINK_MARGIN, "re-seed: a kink within the nudge"


# ----------------------------------------------------------------------------
# Parameters

def test_initialize_network_keys_shapes_and_same_weight_draws():
    parameters = E.initialize_network([3, 5, 4, 2], "he", np.random.RandomState(0),
                                      batch_norm=[True, False])
    plain = E.initialize_network([3, 5, 4, 2], "he", np.random.RandomState(0))
    assert list(parameters) == ["W1", "gamma1", "beta1", "W2", "b2", "W3", "b3"]
    assert_array_equal(parameters["gamma1"], np.ones((5, 1)))
    assert_array_equal(parameters["beta1"], np.zeros((5, 1)))
    for l in (1, 2, 3):
        assert_array_equal(parameters[f"W{l}"], plain[f"W{l}"])
    assert E.n_layers(parameters) == 3
    float32 = E.initialize_network([3, 5, 1], "xavier", np.random.RandomState(0),
                                   dtype=np.float32, batch_norm=[True])
    assert {p.dtype for p in float32.values()} == {np.dtype(np.float32)}
    no_bn = E.initialize_network([3, 5, 4, 2], "he", np.random.RandomState(0),
                                 batch_norm=[False, False])
    assert list(no_bn) == list(plain)


@pytest.mark.parametrize("batch_norm", [[True], [True, True, True], []])
def test_initialize_network_batch_norm_length_error(batch_norm):
    with pytest.raises(ValueError, match=f"batch_norm has {len(batch_norm)} entries for 2 "
                                         "hidden layers"):
        E.initialize_network([3, 5, 4, 1], "he", np.random.RandomState(0), batch_norm=batch_norm)


def test_initialize_running_stats():
    parameters = _network((3, 5, 4, 6, 1), batch_norm=(True, False, True))
    stats = E.initialize_running_stats(parameters)
    assert sorted(stats) == ["running_mean1", "running_mean3", "running_var1", "running_var3"]
    assert_array_equal(stats["running_mean1"], np.zeros((5, 1)))
    assert_array_equal(stats["running_var3"], np.ones((6, 1)))
    assert E.initialize_running_stats(_network(batch_norm=(False, False))) == {}
    float32 = E.initialize_network([3, 5, 1], "he", np.random.RandomState(0), np.float32, [True])
    assert E.initialize_running_stats(float32)["running_var1"].dtype == np.float32


# ----------------------------------------------------------------------------
# Propagation

def test_forward_training_and_inference():
    parameters, (X, _) = _network((3, 5, 4, 1), (True, False)), _data()
    activations = ["relu", "tanh", "sigmoid"]
    AL, caches = E.forward_propagation(X, parameters, activations)
    assert [len(cache) for cache in caches] == [3, 2, 2]
    (A_prev, W, b), Z_tilde, statistics = caches[0]
    assert A_prev is X and W is parameters["W1"] and b is None
    assert isinstance(statistics, E.BatchNormCache) and statistics.mu.shape == (5, 1)
    assert_allclose(Z_tilde, parameters["gamma1"] * statistics.Z_norm + parameters["beta1"])

    # Running statistics that have seen no batch normalise differently ...
    AL_start, caches_start = E.forward_propagation(
        X, parameters, activations, running_stats=E.initialize_running_stats(parameters))
    assert not np.allclose(AL_start, AL, rtol=1e-3)
    assert caches_start[0][2] is None
    # ... and the batch's own statistics as running statistics give training's output.
    AL_batch, _ = E.forward_propagation(X, parameters, activations,
                                        running_stats=_batch_running_stats(caches))
    assert_allclose(AL_batch, AL, rtol=1e-12, atol=1e-14)
    # In inference one example alone gets its column of that output.
    AL_one, _ = E.forward_propagation(X[:, 3:4], parameters, activations,
                                      running_stats=_batch_running_stats(caches))
    assert_allclose(AL_one, AL[:, 3:4], rtol=1e-12)


def test_integer_sample_weights_are_repeated_examples_through_the_network():
    parameters, (X, Y) = _network(), _data(m=6)
    activations = ["tanh", "relu", "sigmoid"]
    counts = np.array([1, 3, 2, 1, 4, 2])
    cost, grads = E.loss_and_gradients(X, Y, parameters, activations,
                                       sample_weight=counts.astype(float))
    cost_r, grads_r = E.loss_and_gradients(np.repeat(X, counts, axis=1),
                                           np.repeat(Y, counts, axis=1), parameters, activations)
    assert cost == pytest.approx(cost_r, rel=1e-12)
    assert sorted(grads) == sorted(grads_r) == ["dW1", "dW2", "dW3", "db3", "dbeta1", "dbeta2",
                                                "dgamma1", "dgamma2"]
    for name in grads:
        assert_allclose(grads[name], grads_r[name], rtol=1e-10, atol=1e-13, err_msg=name)


# ----------------------------------------------------------------------------
# Gradient checks through batch-normalised layers

@pytest.mark.parametrize("hidden", ["relu", "leaky_relu", "tanh", "sigmoid", "gelu", "elu",
                                    "selu", "silu", "identity"])
def test_gradient_check_hidden_activations(hidden):
    parameters, (X, Y) = _network(), _data()
    activations = [hidden, hidden, "sigmoid"]
    _assert_off_kinks(X, parameters, activations)
    assert E.gradient_check(X, Y, parameters, activations) < 1e-7


@pytest.mark.parametrize("case", ["sample_weight", "alpha", "mixed", "softmax", "identity"])
def test_gradient_check_options(case):
    layer_dims, batch_norm, output, n_out = (3, 5, 4, 1), (True, True), "sigmoid", 1
    options = {}
    if case == "sample_weight":
        options["sample_weight"] = np.array([0.5, 2.0, 0.0, 1.0, 3.0, 1.5, 0.25, 1.0])
    elif case == "alpha":
        options["alpha"] = 0.7
    elif case == "mixed":
        layer_dims, batch_norm = (3, 5, 4, 3, 1), (True, False, True)
    else:
        output, n_out = case, 3
        layer_dims = (3, 5, 4, n_out)
    parameters, (X, Y) = _network(layer_dims, batch_norm), _data(output=output, n_out=n_out)
    activations = ["relu", "tanh", "elu"][:len(batch_norm)] + [output]
    _assert_off_kinks(X, parameters, activations, options.get("sample_weight"))
    assert E.gradient_check(X, Y, parameters, activations, **options) < 1e-7


def test_gradients_with_dropout_masks_match_finite_differences():
    # gradient_check takes no masks: the same centred differences, masks fixed.
    parameters, (X, Y) = _network(), _data()
    activations = ["tanh", "sigmoid", "sigmoid"]
    masks = E.draw_dropout_masks(np.random.RandomState(0), parameters, X.shape[1], [0.3, 0.5])
    _, grads = E.loss_and_gradients(X, Y, parameters, activations, dropout_masks=masks)
    analytic, numeric = [], []
    for name, p in parameters.items():
        for index in np.ndindex(p.shape):
            costs = []
            for h in (1e-6, -1e-6):
                nudged = copy.deepcopy(parameters)
                nudged[name][index] += h
                costs.append(E.loss_and_gradients(X, Y, nudged, activations,
                                                  dropout_masks=masks)[0])
            numeric.append((costs[0] - costs[1]) / 2e-6)
        analytic.extend(grads["d" + name].ravel())
    analytic, numeric = np.array(analytic), np.array(numeric)
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    assert np.linalg.norm(analytic - numeric) / scale < 1e-7


def test_alpha_does_not_penalise_gamma_and_beta():
    parameters, (X, Y) = _network(), _data()
    activations = ["relu", "tanh", "sigmoid"]
    cost, grads = E.loss_and_gradients(X, Y, parameters, activations)
    cost_a, grads_a = E.loss_and_gradients(X, Y, parameters, activations, alpha=0.7)
    assert cost_a > cost
    for l in (1, 2):
        assert_array_equal(grads_a[f"dgamma{l}"], grads[f"dgamma{l}"])
        assert_array_equal(grads_a[f"dbeta{l}"], grads[f"dbeta{l}"])
        assert not np.allclose(grads_a[f"dW{l}"], grads[f"dW{l}"])


# ----------------------------------------------------------------------------
# Running statistics in training

# ----------------------------------------------------------------------------
# Folding

def test_fold_batch_norm_predicts_as_the_running_statistics():
    parameters, (X, _) = _network((3, 5, 4, 6, 2), (True, False, True)), _data(m=9)
    activations = ["relu", "tanh", "gelu", "sigmoid"]
    rng = np.random.default_rng(3)
    stats = {}
    for l in (1, 3):
        n = parameters[f"W{l}"].shape[0]
        stats[f"running_mean{l}"] = rng.standard_normal((n, 1))
        stats[f"running_var{l}"] = rng.uniform(0.2, 4.0, (n, 1))
    expected, _ = E.forward_propagation(X, parameters, activations, running_stats=stats)
    folded = E.fold_batch_norm(parameters, stats)
    assert list(folded) == ["W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4"]
    for name in ("W2", "b2", "W4", "b4"):
        assert folded[name] is parameters[name]
    assert folded["W1"] is not parameters["W1"]
    got, caches = E.forward_propagation(X, folded, activations)
    assert all(len(cache) == 2 for cache in caches)
    assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------
# Other array libraries

@pytest.mark.parametrize("library", ["array_api_strict", "torch"])
def test_array_api_matches_numpy(library):
    from tests.helpers.array_api import Namespace

    namespace = Namespace(library, "cpu" if library == "torch" else None).load()
    parameters, (X, Y) = _network((3, 5, 4, 1), (True, False)), _data()
    weight = np.array([0.5, 2.0, 0.0, 1.0, 3.0, 1.5, 0.25, 1.0])
    activations = ["relu", "tanh", "sigmoid"]
    stats = E.initialize_running_stats(parameters)
    AL_train, _ = E.forward_propagation(X, parameters, activations, sample_weight=weight)
    cost, grads = E.loss_and_gradients(X, Y, parameters, activations, sample_weight=weight,
                                       running_stats=stats)
    AL_infer, _ = E.forward_propagation(X, parameters, activations, running_stats=stats)
    folded = E.fold_batch_norm(parameters, stats)
    trained, trained_stats = copy.deepcopy(parameters), E.initialize_running_stats(parameters)
    E.train_epoch(X, Y, trained, activations, E.Adam(0.05), batch_size=3,
                  rng=np.random.RandomState(0), sample_weight=weight, running_stats=trained_stats)

    put = namespace.put
    parameters_x = {name: put(p) for name, p in parameters.items()}
    stats_x = E.initialize_running_stats(parameters_x)  # made where gamma lives
    X_x, Y_x, weight_x = put(X), put(Y), put(weight)
    AL_train_x, _ = E.forward_propagation(X_x, parameters_x, activations, sample_weight=weight_x)
    cost_x, grads_x = E.loss_and_gradients(X_x, Y_x, parameters_x, activations,
                                           sample_weight=weight_x, running_stats=stats_x)
    AL_infer_x, _ = E.forward_propagation(X_x, parameters_x, activations, running_stats=stats_x)
    folded_x = E.fold_batch_norm(parameters_x, stats_x)
    trained_x = {name: put(p) for name, p in parameters.items()}
    trained_stats_x = E.initialize_running_stats(trained_x)
    E.train_epoch(X_x, Y_x, trained_x, activations, E.Adam(0.05), batch_size=3,
                  rng=np.random.RandomState(0), sample_weight=weight_x,
                  running_stats=trained_stats_x)
    pairs = [(AL_train_x, AL_train), (AL_infer_x, AL_infer), (cost_x, cost)]
    pairs += [(grads_x[name], grads[name]) for name in grads]
    pairs += [(stats_x[name], stats[name]) for name in stats]
    pairs += [(folded_x[name], folded[name]) for name in folded]
    pairs += [(trained_x[name], trained[name]) for name in trained]
    pairs += [(trained_stats_x[name], trained_stats[name]) for name in trained_stats]
    assert sorted(grads_x) == sorted(grads)
    for got, expected in pairs:
        namespace.assert_lives_here(got)
        assert_allclose(E.to_numpy(got), expected, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------
# No RuntimeWarning where statistics are degenerate

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_constant_and_saturated_units_train_without_warning(dtype):
    parameters = E.initialize_network([3, 5, 4, 1], "he", np.random.RandomState(0), dtype,
                                      batch_norm=[True, True])
    parameters["beta2"][:] = 60.0  # sigmoid units saturated at 1
    X, Y = _data(m=9)
    X[0] = 7.0  # a constant feature ...
    parameters["W1"][0, 1:] = 0.0  # ... alone feeds the first unit, constant over the batch
    X, Y = X.astype(dtype), Y.astype(dtype)
    weight = np.array([1.0, 0.0, 2.0, 0.5, 1.0, 1.0, 3.0, 1.0, 2.0], dtype=dtype)
    stats = E.initialize_running_stats(parameters)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        # Batches of 4, 4 and 1: a one-example batch has variance 0 everywhere.
        E.train_epoch(X * 1e4, Y, parameters, ["relu", "sigmoid", "sigmoid"], E.Adam(0.01),
                      batch_size=4, shuffle=False, sample_weight=weight, running_stats=stats)
        AL, _ = E.forward_propagation(X, parameters, ["relu", "sigmoid", "sigmoid"],
                                      running_stats=stats)
    for array in (*parameters.values(), *stats.values(), AL):
        assert np.all(np.isfinite(array)) and array.dtype == dtype


