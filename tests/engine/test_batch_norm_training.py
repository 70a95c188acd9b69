"""Training batch-normalised networks: running statistics, mini-batches, every optimiser."""

import copy

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdnn import engine as E
from tests.helpers.batch_norm import batch_running_stats as _batch_running_stats
from tests.helpers.batch_norm import data as _data
from tests.helpers.batch_norm import network as _network


def test_loss_and_gradients_updates_running_stats_only_when_given():
    parameters, (X, Y) = _network(), _data()
    activations = ["relu", "tanh", "sigmoid"]
    weight = np.array([0.5, 2.0, 0.0, 1.0, 3.0, 1.5, 0.25, 1.0])
    before = copy.deepcopy(parameters)
    _, caches = E.forward_propagation(X, parameters, activations, sample_weight=weight)
    batch = _batch_running_stats(caches)
    _, grads_none = E.loss_and_gradients(X, Y, parameters, activations, sample_weight=weight)
    assert list(parameters) == list(before)  # nothing written into the parameters

    stats = E.initialize_running_stats(parameters)
    start = {name: array.copy() for name, array in stats.items()}
    held = dict(stats)
    _, grads = E.loss_and_gradients(X, Y, parameters, activations, sample_weight=weight,
                                    running_stats=stats, batch_norm_momentum=0.8)
    for name, value in grads.items():
        assert_array_equal(value, grads_none[name])
    for name in stats:
        assert_allclose(stats[name], 0.8 * start[name] + 0.2 * batch[name], rtol=1e-14)
        assert_array_equal(held[name], start[name])  # replaced, not changed in place
    # The weighted mean: the example of weight 0 does not count.
    assert_allclose(batch["running_mean1"],
                    np.average(parameters["W1"] @ X, axis=1, weights=weight)[:, None])

    for momentum, expected in [(0.0, batch), (1.0, start)]:
        stats = {name: array.copy() for name, array in start.items()}
        E.loss_and_gradients(X, Y, parameters, activations, sample_weight=weight,
                             running_stats=stats, batch_norm_momentum=momentum)
        for name in stats:
            assert_allclose(stats[name], expected[name], rtol=1e-14)

def test_train_epoch_updates_running_stats_once_per_step():
    parameters, (X, Y) = _network(), _data(m=14)
    activations = ["relu", "tanh", "sigmoid"]
    stats = E.initialize_running_stats(parameters)
    # What the three mini-batches of 4, 4 and 6 examples should do, step by
    # step (the 2 rows left over join the last full batch: see mini_batches).
    expected, mirror = dict(stats), copy.deepcopy(parameters)
    mirror_optimizer = E.GradientDescent(0.5)
    for batch in (slice(0, 4), slice(4, 8), slice(8, 14)):
        _, caches = E.forward_propagation(X[:, batch], mirror, activations)
        for name, value in _batch_running_stats(caches).items():
            expected[name] = 0.9 * expected[name] + 0.1 * value
        _, grads = E.loss_and_gradients(X[:, batch], Y[:, batch], mirror, activations)
        mirror_optimizer.update(mirror, grads)

    snapshots = []
    E.train_epoch(X, Y, parameters, activations, E.GradientDescent(0.5), batch_size=4,
                  shuffle=False, running_stats=stats,
                  on_batch=lambda: snapshots.append(dict(stats)))
    assert len(snapshots) == 3
    assert not np.allclose(snapshots[0]["running_mean1"], snapshots[1]["running_mean1"])
    for name in stats:
        assert_allclose(stats[name], expected[name], rtol=1e-12, err_msg=name)
    for name in parameters:
        assert_allclose(parameters[name], mirror[name], rtol=1e-12, err_msg=name)

def test_train_epoch_with_a_workspace_is_the_same_training():
    # The workspace's reused buffers (Z, A, dA overwritten by dZ_tilde) must
    # not leak into the batch statistics or their gradients.
    parameters = _network((3, 5, 4, 3, 1), (True, False, True))
    X, Y = _data(m=11)
    weight = np.random.default_rng(5).uniform(0.2, 2.0, 11)
    activations = ["relu", "tanh", "gelu", "sigmoid"]
    runs = []
    for workspace in (None, E.Workspace()):
        trained, optimizer = copy.deepcopy(parameters), E.Adam(0.05)
        stats = E.initialize_running_stats(trained)
        for epoch in range(3):
            E.train_epoch(np.asfortranarray(X), Y, trained, activations, optimizer,
                          batch_size=4, rng=np.random.RandomState(epoch), sample_weight=weight,
                          workspace=workspace, running_stats=stats)
        runs.append({**trained, **stats})
    assert not np.allclose(runs[0]["gamma3"], parameters["gamma3"])
    for name in runs[0]:
        assert_allclose(runs[1][name], runs[0][name], rtol=1e-12, atol=1e-14, err_msg=name)

@pytest.mark.parametrize("name", sorted(E.OPTIMIZERS))
def test_every_optimizer_updates_gamma_and_beta(name):
    parameters = E.initialize_network([3, 5, 4, 1], "he", np.random.RandomState(0),
                                      batch_norm=[True, True])
    before = copy.deepcopy(parameters)
    X, Y = _data(m=10)
    E.train_epoch(X, Y, parameters, ["relu", "tanh", "sigmoid"], E.OPTIMIZERS[name](0.1),
                  batch_size=5, shuffle=False, running_stats=E.initialize_running_stats(before))
    for l in (1, 2):
        for key in (f"gamma{l}", f"beta{l}"):
            assert parameters[key].shape == before[key].shape
            assert not np.allclose(parameters[key], before[key]), key

def test_leftover_rows_join_the_last_batch_with_batch_norm_only():
    plain = E.initialize_network([3, 4, 1], "he", np.random.RandomState(0))
    normalised = E.initialize_network([3, 4, 1], "he", np.random.RandomState(0),
                                      batch_norm=[True])
    assert E.mini_batches(10, 4, plain) == [(0, 4), (4, 8), (8, 10)]
    assert E.mini_batches(10, 4, normalised) == [(0, 4), (4, 10)]
    assert E.mini_batches(12, 4, normalised) == [(0, 4), (4, 8), (8, 12)]
    for batch_size in (None, 10, 50):
        assert E.mini_batches(10, batch_size, normalised) == [(0, 10)]
    # Fewer rows than two batches: one batch of every row.
    assert E.mini_batches(7, 4, normalised) == [(0, 7)]
    # Every row is in exactly one batch, each of at least batch_size rows.
    for m in range(4, 40):
        bounds = E.mini_batches(m, 4, normalised)
        assert [start for start, _ in bounds[1:]] == [stop for _, stop in bounds[:-1]]
        assert bounds[0][0] == 0 and bounds[-1][1] == m
        assert min(stop - start for start, stop in bounds) >= 4
