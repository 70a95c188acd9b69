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
