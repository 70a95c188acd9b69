"""Properties of the engine's formulas over many shapes and values (hypothesis).

Each property holds for every network the strategies draw, not only for the
seeded cases of the other tests: folding batch norm's statistics predicts as
normalising by them; a mini-batch split covers every example once; scaling
every sample weight changes nothing; the course's gradient descent step is
``p - learning_rate * dp``.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from skdnn import engine as E

HIDDEN = sorted(set(E.ACTIVATIONS) - {"softmax", "exp"})
# Derandomised: the same examples on every run, so that CI never meets a new one by chance.
PROPERTY = settings(max_examples=40, deadline=None, derandomize=True)


@st.composite
def batch_normalised_networks(draw):
    """Layer sizes, which hidden layers are normalised, activations, a seed."""
    n_hidden = draw(st.integers(1, 3))
    dims = draw(st.lists(st.integers(1, 6), min_size=n_hidden + 2, max_size=n_hidden + 2))
    batch_norm = draw(st.lists(st.booleans(), min_size=n_hidden, max_size=n_hidden))
    activations = draw(st.lists(st.sampled_from(HIDDEN), min_size=n_hidden,
                                max_size=n_hidden))
    output = draw(st.sampled_from(["sigmoid", "identity"]))
    return dims, batch_norm, [*activations, output], draw(st.integers(0, 2**16))


def _running_stats(parameters, rng):
    stats = E.initialize_running_stats(parameters)
    for key, value in stats.items():
        stats[key] = (rng.uniform(0.1, 3.0, value.shape) if key.startswith("running_var")
                      else rng.normal(0.0, 1.0, value.shape))
    return stats


@PROPERTY
@given(batch_normalised_networks(), st.integers(1, 9))
def test_folding_predicts_as_normalising_by_the_running_statistics(network, m):
    dims, batch_norm, activations, seed = network
    rng = np.random.default_rng(seed)
    parameters = E.initialize_network(dims, "he", np.random.RandomState(seed),
                                      batch_norm=batch_norm)
    for key, value in parameters.items():
        if key.startswith(("gamma", "beta")):
            parameters[key] = rng.normal(1.0 if key.startswith("gamma") else 0.0, 0.5,
                                         value.shape)
    stats = _running_stats(parameters, rng)
    X = rng.normal(0.0, 1.0, (dims[0], m))
    normalised, _ = E.forward_propagation(X, parameters, activations, running_stats=stats)
    folded = E.fold_batch_norm(parameters, stats)
    assert sorted(folded) == sorted(f"{kind}{l}" for l in range(1, len(dims))
                                    for kind in "Wb")
    plain, _ = E.forward_propagation(X, folded, activations)
    assert_allclose(plain, normalised, rtol=1e-9, atol=1e-9)


@settings(max_examples=400, deadline=None, derandomize=True)  # cheap: integers only
@given(st.integers(1, 200), st.one_of(st.none(), st.integers(1, 64)), st.booleans())
def test_mini_batches_cover_every_example_once_in_order(m, batch_size, batch_norm):
    parameters = E.initialize_network([2, 3, 1], "he", np.random.RandomState(0),
                                      batch_norm=[batch_norm])
    bounds = E.mini_batches(m, batch_size, parameters)
    assert bounds[0][0] == 0 and bounds[-1][1] == m
    assert all(stop == start for (_, stop), (start, _) in zip(bounds, bounds[1:]))
    sizes = [stop - start for start, stop in bounds]
    if batch_size is None or batch_size >= m:
        assert bounds == [(0, m)]
    elif batch_norm:  # no batch smaller than batch_size: the rows left over join the last
        assert min(sizes) >= batch_size and max(sizes) < 2 * batch_size
    else:  # the last batch takes what is left
        assert sizes[:-1] == [batch_size] * (len(sizes) - 1) and 0 < sizes[-1] <= batch_size


@PROPERTY
@given(batch_normalised_networks(), st.integers(2, 9), st.floats(1e-3, 1e3))
def test_scaling_every_sample_weight_changes_nothing(network, m, scale):
    dims, batch_norm, activations, seed = network
    rng = np.random.default_rng(seed)
    parameters = E.initialize_network(dims, "he", np.random.RandomState(seed),
                                      batch_norm=batch_norm)
    X = rng.normal(0.0, 1.0, (dims[0], m))
    Y = (rng.uniform(size=(dims[-1], m)) > 0.5).astype(float)
    weights = rng.uniform(0.1, 2.0, m)
    cost, grads = E.loss_and_gradients(X, Y, parameters, activations, sample_weight=weights)
    scaled_cost, scaled = E.loss_and_gradients(X, Y, parameters, activations,
                                               sample_weight=weights * scale)
    assert_allclose(scaled_cost, cost, rtol=1e-9)
    for key in grads:
        assert_allclose(scaled[key], grads[key], rtol=1e-7, atol=1e-12, err_msg=key)


@PROPERTY
@given(st.integers(1, 5), st.integers(1, 5), st.floats(1e-4, 10.0), st.integers(0, 2**16))
def test_gradient_descent_is_the_courses_update(n_out, n_in, learning_rate, seed):
    rng = np.random.default_rng(seed)
    parameters = {"W1": rng.normal(size=(n_out, n_in)), "b1": rng.normal(size=(n_out, 1))}
    grads = {"dW1": rng.normal(size=(n_out, n_in)), "db1": rng.normal(size=(n_out, 1))}
    expected = E.update_parameters(parameters, grads, learning_rate)
    E.GradientDescent(learning_rate).update(parameters, grads)
    for key, value in expected.items():
        assert_allclose(parameters[key], value, rtol=1e-15, atol=1e-15)
