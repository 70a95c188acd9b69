"""Batch normalisation's formulas against a literal NumPy version and finite differences."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skdnn import engine as E


def _data(dtype=np.float64, n_units=4, m=7, seed=0):
    rng = np.random.default_rng(seed)
    Z = (rng.standard_normal((n_units, m)) * 3.0 + 2.0).astype(dtype)
    gamma = rng.uniform(0.5, 2.0, (n_units, 1)).astype(dtype)
    beta = rng.standard_normal((n_units, 1)).astype(dtype)
    return Z, gamma, beta


def _literal_forward(Z, gamma, beta, epsilon=1e-5):
    # The course's lines, unit by unit, without broadcasting tricks.
    Z_tilde = np.empty_like(Z)
    for unit in range(Z.shape[0]):
        z = Z[unit]
        mu = z.sum() / z.size
        var = ((z - mu) ** 2).sum() / z.size
        Z_tilde[unit] = gamma[unit, 0] * (z - mu) / np.sqrt(var + epsilon) + beta[unit, 0]
    return Z_tilde


def test_forward_matches_literal_numpy():
    Z, gamma, beta = _data()
    Z_tilde, cache = E.batchnorm_forward(Z, gamma, beta)
    assert_allclose(Z_tilde, _literal_forward(Z, gamma, beta), rtol=1e-12, atol=1e-12)
    assert_allclose(cache.mu, Z.mean(axis=1, keepdims=True), rtol=1e-12)
    assert_allclose(cache.var, Z.var(axis=1, keepdims=True), rtol=1e-12)
    assert cache.mu.shape == cache.var.shape == cache.inv_std.shape == (4, 1)
    assert cache.gamma is gamma


def test_normalised_units_have_mean_zero_variance_one():
    Z, gamma, beta = _data(m=50)
    _, cache = E.batchnorm_forward(Z, gamma, beta)
    assert_allclose(cache.Z_norm.mean(axis=1), 0.0, atol=1e-12)
    # 1 but for epsilon: var / (var + epsilon).
    expected = (cache.var / (cache.var + E.BATCH_NORM_EPSILON)).ravel()
    assert_allclose(cache.Z_norm.var(axis=1), expected, rtol=1e-12)
    assert np.all(expected > 1 - 1e-5)


def test_backward_matches_finite_differences():
    Z, gamma, beta = _data(n_units=3, m=5)
    R = np.random.default_rng(1).standard_normal(Z.shape)

    def loss(Z, gamma, beta):
        return np.sum(E.batchnorm_forward(Z, gamma, beta)[0] * R)

    _, cache = E.batchnorm_forward(Z, gamma, beta)
    dZ, dgamma, dbeta = E.batchnorm_backward(R, cache)
    assert dZ.shape == Z.shape and dgamma.shape == dbeta.shape == (3, 1)

    arguments = {"Z": Z, "gamma": gamma, "beta": beta}
    analytic = {"Z": dZ, "gamma": dgamma, "beta": dbeta}
    h = 1e-6
    for name, array in arguments.items():
        numeric = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            plus, minus = array.copy(), array.copy()
            plus[index] += h
            minus[index] -= h
            numeric[index] = (loss(**{**arguments, name: plus})
                              - loss(**{**arguments, name: minus})) / (2 * h)
        difference = np.linalg.norm(analytic[name] - numeric)
        assert difference / np.linalg.norm(numeric) < 1e-7, name


def test_backward_dZ_sums_to_zero_per_unit():
    # Shifting a whole unit changes nothing after normalisation.
    Z, gamma, beta = _data()
    _, cache = E.batchnorm_forward(Z, gamma, beta)
    dZ, _, _ = E.batchnorm_backward(np.random.default_rng(2).standard_normal(Z.shape), cache)
    assert_allclose(dZ.sum(axis=1), 0.0, atol=1e-12)


def test_update_running_average():
    running = np.array([[0.0], [1.0]])
    batch = np.array([[2.0], [3.0]])
    assert_allclose(E.update_running_average(running, batch, 0.9), [[0.2], [1.2]], rtol=1e-15)
    assert_allclose(E.update_running_average(running, batch, 0.0), batch)
    assert_allclose(E.update_running_average(running, batch, 1.0), running)


def test_inference_with_batch_statistics_equals_training():
    Z, gamma, beta = _data()
    Z_tilde, cache = E.batchnorm_forward(Z, gamma, beta)
    assert_allclose(E.batchnorm_inference(Z, gamma, beta, cache.mu, cache.var), Z_tilde,
                    rtol=1e-12, atol=1e-12)
    # One example at a time gives the same columns.
    column = E.batchnorm_inference(Z[:, 2:3], gamma, beta, cache.mu, cache.var)
    assert_allclose(column, Z_tilde[:, 2:3], rtol=1e-12, atol=1e-12)


def test_constant_unit_stays_finite_without_warning():
    Z, gamma, beta = _data()
    Z[1] = 5.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        Z_tilde, cache = E.batchnorm_forward(Z, gamma, beta)
        dZ, dgamma, dbeta = E.batchnorm_backward(np.ones_like(Z), cache)
        out = E.batchnorm_inference(Z, gamma, beta, cache.mu, cache.var)
    for array in (Z_tilde, dZ, dgamma, dbeta, out):
        assert np.all(np.isfinite(array))
    assert_allclose(Z_tilde[1], beta[1, 0])


def test_float32_stays_float32():
    Z, gamma, beta = _data(np.float32)
    Z_tilde, cache = E.batchnorm_forward(Z, gamma, beta)
    dZ, dgamma, dbeta = E.batchnorm_backward(np.ones_like(Z), cache)
    running = E.update_running_average(np.zeros_like(cache.mu), cache.mu, 0.9)
    out = E.batchnorm_inference(Z, gamma, beta, running, cache.var)
    statistics = (cache.Z_norm, cache.inv_std, cache.gamma, cache.mu, cache.var)
    for array in (Z_tilde, *statistics, dZ, dgamma, dbeta, running, out):
        assert array.dtype == np.float32
    assert_allclose(Z_tilde, _literal_forward(*_data()), rtol=1e-4, atol=1e-4)


def test_array_api_strict_matches_numpy():
    xps = pytest.importorskip("array_api_strict")
    Z, gamma, beta = _data()
    dZ_tilde = np.random.default_rng(3).standard_normal(Z.shape)
    Z_tilde, cache = E.batchnorm_forward(Z, gamma, beta)
    expected = (Z_tilde, *E.batchnorm_backward(dZ_tilde, cache),
                E.update_running_average(np.zeros_like(cache.mu), cache.mu, 0.9),
                E.batchnorm_inference(Z, gamma, beta, cache.mu, cache.var))

    Zs, gs, bs, ds = (xps.asarray(a) for a in (Z, gamma, beta, dZ_tilde))
    Z_tilde_s, cache_s = E.batchnorm_forward(Zs, gs, bs)
    got = (Z_tilde_s, *E.batchnorm_backward(ds, cache_s),
           E.update_running_average(xps.zeros_like(cache_s.mu), cache_s.mu, 0.9),
           E.batchnorm_inference(Zs, gs, bs, cache_s.mu, cache_s.var))
    for g, e in zip(got, expected):
        assert not isinstance(g, np.ndarray)
        assert_allclose(np.asarray(g), e, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------
# Sample weights: a weight of k is the example seen k times, a weight of 0 none.

def _literal_weighted_forward(Z, gamma, beta, weight, epsilon=1e-5):
    # The weighted mean and variance, unit by unit, as a statistics book writes them.
    Z_tilde, mu, var = np.empty_like(Z), np.empty((Z.shape[0], 1)), np.empty((Z.shape[0], 1))
    for unit in range(Z.shape[0]):
        z = Z[unit]
        mu[unit] = sum(w * zi for w, zi in zip(weight, z)) / sum(weight)
        var[unit] = sum(w * (zi - mu[unit, 0]) ** 2 for w, zi in zip(weight, z)) / sum(weight)
        Z_tilde[unit] = gamma[unit, 0] * (z - mu[unit]) / np.sqrt(var[unit] + epsilon) \
            + beta[unit, 0]
    return Z_tilde, mu, var


def _numeric_gradients(loss, arguments, h=1e-6):
    # Centred differences of loss(**arguments) with respect to each argument.
    numeric = {}
    for name, array in arguments.items():
        numeric[name] = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            plus, minus = array.copy(), array.copy()
            plus[index] += h
            minus[index] -= h
            numeric[name][index] = (loss(**{**arguments, name: plus})
                                    - loss(**{**arguments, name: minus})) / (2 * h)
    return numeric


WEIGHT = np.array([0.5, 2.0, 1.0, 3.0, 0.25, 1.5, 1.0])


def test_weighted_forward_matches_literal_weighted_statistics():
    Z, gamma, beta = _data()
    Z_tilde, cache = E.batchnorm_forward(Z, gamma, beta, sample_weight=WEIGHT)
    expected, mu, var = _literal_weighted_forward(Z, gamma, beta, WEIGHT)
    assert_allclose(Z_tilde, expected, rtol=1e-12, atol=1e-12)
    assert_allclose(cache.mu, mu, rtol=1e-12)
    assert_allclose(cache.var, var, rtol=1e-12)
    # Not the plain statistics: the weights matter.
    assert not np.allclose(cache.mu, Z.mean(axis=1, keepdims=True))


def test_weights_are_relative_and_unit_weights_are_the_plain_means():
    Z, gamma, beta = _data()
    R = np.random.default_rng(4).standard_normal(Z.shape)
    plain, plain_cache = E.batchnorm_forward(Z, gamma, beta)
    for weight, reference, reference_cache in [
            (np.ones(7), plain, plain_cache),
            (7.0 * WEIGHT, *E.batchnorm_forward(Z, gamma, beta, sample_weight=WEIGHT))]:
        Z_tilde, cache = E.batchnorm_forward(Z, gamma, beta, sample_weight=weight)
        assert_allclose(Z_tilde, reference, rtol=1e-12, atol=1e-12)
        for got, expected in zip(E.batchnorm_backward(R, cache),
                                 E.batchnorm_backward(R, reference_cache)):
            assert_allclose(got, expected, rtol=1e-11, atol=1e-12)


def test_integer_weights_are_repeated_columns():
    Z, gamma, beta = _data(m=5)
    counts = np.array([1, 3, 2, 1, 4])
    Z_repeated = np.repeat(Z, counts, axis=1)
    Z_tilde, cache = E.batchnorm_forward(Z, gamma, beta, sample_weight=counts.astype(float))
    Z_tilde_r, cache_r = E.batchnorm_forward(Z_repeated, gamma, beta)
    assert_allclose(np.repeat(Z_tilde, counts, axis=1), Z_tilde_r, rtol=1e-12, atol=1e-12)
    assert_allclose(cache.mu, cache_r.mu, rtol=1e-12)
    assert_allclose(cache.var, cache_r.var, rtol=1e-12)

    # Backward: Z_tilde_r = Z_tilde(Z) repeated, so for any upstream gradient
    # G_r of the copies the chain rule gives the weighted backward of G_r
    # summed over each example's copies (what a weighted loss's gradient is),
    # and dZ of an example is its copies' dZ summed. dgamma and dbeta are equal.
    G_r = np.random.default_rng(5).standard_normal(Z_repeated.shape)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    dZ, dgamma, dbeta = E.batchnorm_backward(np.add.reduceat(G_r, starts, axis=1), cache)
    dZ_r, dgamma_r, dbeta_r = E.batchnorm_backward(G_r, cache_r)
    assert_allclose(dZ, np.add.reduceat(dZ_r, starts, axis=1), rtol=1e-10, atol=1e-12)
    assert_allclose(dgamma, dgamma_r, rtol=1e-12)
    assert_allclose(dbeta, dbeta_r, rtol=1e-12)


def test_zero_weight_is_a_removed_column():
    Z, gamma, beta = _data()
    weight = WEIGHT.copy()
    weight[2] = 0.0
    keep = weight > 0
    Z_tilde, cache = E.batchnorm_forward(Z, gamma, beta, sample_weight=weight)
    Z_tilde_k, cache_k = E.batchnorm_forward(Z[:, keep], gamma, beta,
                                             sample_weight=weight[keep])
    assert_allclose(cache.mu, cache_k.mu, rtol=1e-12)
    assert_allclose(cache.var, cache_k.var, rtol=1e-12)
    assert_allclose(Z_tilde[:, keep], Z_tilde_k, rtol=1e-12, atol=1e-12)
    # The removed column is still normalised, by the others' statistics.
    assert_allclose(Z_tilde[:, 2:3], E.batchnorm_inference(Z[:, 2:3], gamma, beta, cache_k.mu,
                                                           cache_k.var), rtol=1e-12)

    # A weighted loss gives the removed column no upstream gradient; then
    # it gets none and the others' are those of the batch without it.
    G = np.random.default_rng(6).standard_normal(Z.shape)
    G[:, 2] = 0.0
    dZ, dgamma, dbeta = E.batchnorm_backward(G, cache)
    dZ_k, dgamma_k, dbeta_k = E.batchnorm_backward(G[:, keep], cache_k)
    assert_allclose(dZ[:, keep], dZ_k, rtol=1e-11, atol=1e-12)
    assert np.all(dZ[:, 2] == 0.0)
    assert_allclose(dgamma, dgamma_k, rtol=1e-12)
    assert_allclose(dbeta, dbeta_k, rtol=1e-12)


@pytest.mark.parametrize("weight", [WEIGHT, np.array([1.0, 0.0, 2.0, 0.5, 0.0, 1.0, 3.0])],
                         ids=["positive", "with_zeros"])
def test_weighted_backward_matches_finite_differences(weight):
    Z, gamma, beta = _data()
    R = np.random.default_rng(7).standard_normal(Z.shape)

    def loss(Z, gamma, beta):
        return np.sum(E.batchnorm_forward(Z, gamma, beta, sample_weight=weight)[0] * R)

    _, cache = E.batchnorm_forward(Z, gamma, beta, sample_weight=weight)
    analytic = dict(zip(["Z", "gamma", "beta"], E.batchnorm_backward(R, cache)))
    numeric = _numeric_gradients(loss, {"Z": Z, "gamma": gamma, "beta": beta})
    for name in analytic:
        difference = np.linalg.norm(analytic[name] - numeric[name])
        assert difference / np.linalg.norm(numeric[name]) < 1e-7, name
    # Weighted dZ still sums to zero per unit, weighting each column by its share.
    assert_allclose(analytic["Z"].sum(axis=1), 0.0, atol=1e-12)


# ----------------------------------------------------------------------------
# PyTorch's batch normalisation (``momentum=0.1`` there is 0.9 here).

def test_training_mode_matches_pytorch():
    torch = pytest.importorskip("torch")
    Z, gamma, beta = _data(n_units=4, m=9)
    m = Z.shape[1]
    R = np.random.default_rng(8).standard_normal(Z.shape)
    Z_t = torch.tensor(Z.T, requires_grad=True)  # PyTorch: examples are rows
    gamma_t = torch.tensor(gamma.ravel(), requires_grad=True)
    beta_t = torch.tensor(beta.ravel(), requires_grad=True)
    running_mean_t = torch.zeros(4, dtype=torch.float64)
    running_var_t = torch.ones(4, dtype=torch.float64)
    out = torch.nn.functional.batch_norm(Z_t, running_mean_t, running_var_t, gamma_t, beta_t,
                                         training=True, momentum=0.1, eps=1e-5)
    (out * torch.from_numpy(R.T)).sum().backward()

    Z_tilde, cache = E.batchnorm_forward(Z, gamma, beta, epsilon=1e-5)
    dZ, dgamma, dbeta = E.batchnorm_backward(R, cache)
    assert_allclose(Z_tilde, out.detach().numpy().T, rtol=1e-12, atol=1e-12)
    assert_allclose(dZ, Z_t.grad.numpy().T, rtol=1e-10, atol=1e-12)
    assert_allclose(dgamma.ravel(), gamma_t.grad.numpy(), rtol=1e-12)
    assert_allclose(dbeta.ravel(), beta_t.grad.numpy(), rtol=1e-12)

    running_mean = E.update_running_average(np.zeros((4, 1)), cache.mu, 0.9)
    assert_allclose(running_mean.ravel(), running_mean_t.numpy(), rtol=1e-12)
    # PyTorch averages the UNBIASED variance (m / (m - 1) times the batch's)
    # into running_var; skdnn, as the course, averages the biased one it
    # normalised with. So PyTorch's running_var is matched by the biased
    # variance rescaled, and skdnn's differs from it by that factor.
    running_var = E.update_running_average(np.ones((4, 1)), cache.var, 0.9)
    unbiased = E.update_running_average(np.ones((4, 1)), cache.var * m / (m - 1), 0.9)
    assert_allclose(unbiased.ravel(), running_var_t.numpy(), rtol=1e-12)
    assert_allclose(running_var, 0.9 + 0.1 * Z.var(axis=1, keepdims=True), rtol=1e-12)
    assert not np.allclose(running_var.ravel(), running_var_t.numpy(), rtol=1e-3)


def test_eval_mode_matches_pytorch():
    torch = pytest.importorskip("torch")
    Z, gamma, beta = _data(n_units=4, m=6)
    rng = np.random.default_rng(9)
    running_mean, running_var = rng.standard_normal((4, 1)), rng.uniform(0.1, 3.0, (4, 1))
    expected = torch.nn.functional.batch_norm(
        torch.from_numpy(Z.T), torch.from_numpy(running_mean.ravel()),
        torch.from_numpy(running_var.ravel()), torch.from_numpy(gamma.ravel()),
        torch.from_numpy(beta.ravel()), training=False, eps=1e-5).numpy().T
    got = E.batchnorm_inference(Z, gamma, beta, running_mean, running_var, epsilon=1e-5)
    assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert E.BATCH_NORM_EPSILON == 1e-5
