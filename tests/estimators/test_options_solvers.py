"""Solvers, mini-batches, learning-rate decay and the L2 penalty change training as they should.

Each test compares against a reference (a manual computation, another fit
that must be equal, or one that must differ), so that an option silently
ignored fails. Data and networks are tiny.
"""


import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from tests.helpers.training import (
    GRADIENT_SOLVERS,
    TRAINING,
    assert_same_parameters,
    initial_parameters,
    moons,
    parameters_differ,
    regression,
)

from skdnn import LLayerClassifier, LLayerRegressor, engine
from tests.helpers.training import course

# ------------------------------------------------------------------ defaults


def test_defaults_are_the_course_run():
    X, y = moons(60)
    clf = LLayerClassifier(**course((4, 3), random_state=1, max_iter=7)).fit(X, y)
    params, _ = engine.L_layer_model(X.T, y.reshape(1, -1), [2, 4, 3, 1], num_iterations=7)
    for k in params:
        assert_array_equal(clf.parameters_[k], params[k])
    est = LLayerClassifier(**course())
    assert (est.solver, est.batch_size, est.decay_rate, est.alpha, est.dropout, est.tol,
            est.early_stopping, est.activation, est.init) == (
                "gd", None, 0.0, 0.0, 0.0, None, False, "relu", "xavier")


# ------------------------------------------------------------------- solvers


def _epochs_to_reach(curve, level):
    below = np.flatnonzero(np.asarray(curve) < level)
    return below[0] + 1 if below.size else np.inf


def test_adam_converges_in_fewer_epochs_than_gd():
    X, y = moons(200, noise=0.1)
    common = dict(hidden_layer_sizes=(10,), learning_rate=0.01, max_iter=400, random_state=0)
    gd = LLayerClassifier(**course(solver="gd", **common)).fit(X, y)
    adam = LLayerClassifier(**course(solver="adam", **common)).fit(X, y)
    level = 0.3
    n_adam = _epochs_to_reach(adam.loss_curve_, level)
    n_gd = _epochs_to_reach(gd.loss_curve_, level)
    assert n_adam < 200
    assert n_adam * 2 < n_gd
    assert adam.loss_curve_[-1] < gd.loss_curve_[-1]


def _manual_run(X, Y, activations, parameters, n_steps, update):
    state = {}
    for t in range(1, n_steps + 1):
        _, grads = engine.loss_and_gradients(X.T, Y.T, parameters, activations)
        for name in parameters:
            parameters[name] = update(parameters[name], grads["d" + name], state, name, t)
    return parameters


def test_momentum_matches_its_formula_and_uses_momentum():
    X, y = regression(40)
    lr, beta = 0.05, 0.7
    reg = LLayerRegressor(**course((4,), activation="tanh", solver="momentum", momentum=beta,
                          learning_rate=lr, max_iter=6, normalize_y=False, random_state=0)).fit(X, y)

    def update(p, g, state, name, t):
        v = state[name] = beta * state.get(name, 0.0) + (1 - beta) * g
        return p - lr * v

    expected = _manual_run(X, y[:, None], ["tanh", "identity"],
                           initial_parameters([3, 4, 1], "xavier", 0), 6, update)
    for k in expected:
        assert_allclose(reg.parameters_[k], expected[k], rtol=1e-12, atol=1e-15)
    # momentum=0 is plain gradient descent, exactly.
    common = dict(hidden_layer_sizes=(4,), learning_rate=lr, max_iter=6, random_state=0)
    gd = LLayerRegressor(**course(solver="gd", **common)).fit(X, y)
    m0 = LLayerRegressor(**course(solver="momentum", momentum=0.0, **common)).fit(X, y)
    m9 = LLayerRegressor(**course(solver="momentum", momentum=0.9, **common)).fit(X, y)
    assert_same_parameters(gd, m0)
    assert parameters_differ(gd, m9)


def test_adam_matches_its_formula_and_uses_its_settings():
    X, y = regression(40)
    lr, b1, b2, eps = 0.02, 0.8, 0.99, 1e-3
    reg = LLayerRegressor(**course((4,), activation="tanh", solver="adam", learning_rate=lr,
                          beta_1=b1, beta_2=b2, epsilon=eps, max_iter=5, normalize_y=False, random_state=0)).fit(X, y)

    def update(p, g, state, name, t):
        m, v = state.get(name, (0.0, 0.0))
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        state[name] = (m, v)
        # Kingma and Ba's "efficient" ordering: bias corrections in the step size.
        return p - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)

    expected = _manual_run(X, y[:, None], ["tanh", "identity"],
                           initial_parameters([3, 4, 1], "xavier", 0), 5, update)
    for k in expected:
        assert_allclose(reg.parameters_[k], expected[k], rtol=1e-10, atol=1e-13)
    # Each setting is used.
    for setting in [dict(beta_1=0.5), dict(beta_2=0.9), dict(epsilon=1e-1)]:
        other = clone(reg).set_params(**setting).fit(X, y)
        assert parameters_differ(reg, other), setting


@pytest.mark.parametrize("b2, epochs, rtol", [(0.0, 3, 1e-6), (0.5, 30, 1e-9), (0.9, 30, 1e-9),
                                              (0.999, 30, 1e-9)])
def test_adam_matches_its_formula_over_many_steps(b2, epochs, rtol):
    # Adam keeps its moments rescaled by a factor that grows at each step and
    # is reset now and then (every 20 steps for beta_2=0.5, every 131 for
    # 0.9): 300 mini-batch steps cross several resets. beta_2=0 (no memory
    # at all) takes its own path; its steps m / |g| amplify rounding (1e-8
    # after 30 steps, with the plain formula too), so it is followed for 30
    # steps, at a looser tolerance.
    X, y = regression(40)
    lr, b1, eps = 0.01, 0.8, 1e-4
    reg = LLayerRegressor(**course((4,), activation="tanh", solver="adam", learning_rate=lr,
                                   beta_1=b1,
                          beta_2=b2, epsilon=eps, batch_size=4, shuffle=False,
                          max_iter=epochs, normalize_y=False, random_state=0)).fit(X, y)
    parameters = initial_parameters([3, 4, 1], "xavier", 0)
    state, t = {}, 0
    for _ in range(epochs):
        for start in range(0, 40, 4):
            t += 1
            _, grads = engine.loss_and_gradients(X[start:start + 4].T, y[None, start:start + 4],
                                                 parameters, ["tanh", "identity"])
            for name, p in parameters.items():
                g = grads["d" + name]
                m, v = state.get(name, (0.0, 0.0))
                m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
                state[name] = (m, v)
                parameters[name] = p - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (
                    np.sqrt(v) + eps)
    assert reg._optimizer.t == t == 10 * epochs
    for k in parameters:
        assert_allclose(reg.parameters_[k], parameters[k], rtol=rtol, atol=1e-12, err_msg=k)


# The loss falling (asserted) is the subject, not SciPy's iteration limit.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. lbfgs stopped after:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Est, data", [(LLayerClassifier, moons), (LLayerRegressor, regression)])
def test_lbfgs_minimises_the_loss(Est, data):
    X, y = data()
    est = Est(**course((6,), activation="tanh", solver="lbfgs", max_iter=200,
                       random_state=0)).fit(X, y)
    gd = Est(**course((6,), activation="tanh", max_iter=200, random_state=0)).fit(X, y)
    assert est.n_iter_ <= 200 and len(est.loss_curve_) == est.n_iter_
    assert est.best_loss_ < 0.5 * gd.loss_curve_[-1]
    # The model kept is the one whose loss is reported.
    Y = y.reshape(len(y), -1).astype(float)
    if hasattr(est, "y_scale_"):  # normalize_y: the loss is on the standardised scale
        Y = (Y - est.y_offset_) / est.y_scale_
    cost, _ = engine.loss_and_gradients(X.T, Y.T, est.parameters_, ["tanh", est.out_activation_])
    assert_allclose(cost, est.best_loss_, rtol=1e-10)
    assert_allclose(est.loss_curve_[-1], est.best_loss_, rtol=1e-10)


def test_unknown_solver_is_rejected():
    X, y = moons(30)
    with pytest.raises(ValueError, match="solver"):
        LLayerClassifier(**course(solver="sgd")).fit(X, y)


# -------------------------------------------------------------- mini-batches


def _record_batches(monkeypatch):
    """Record the columns (as row indices of X) of every training step."""
    seen = []
    real = TRAINING.loss_and_gradients

    def recording(Xb, *args, **kwargs):
        seen.append(np.asarray(Xb)[0].copy())  # first feature = row id (see below)
        return real(Xb, *args, **kwargs)

    monkeypatch.setattr(TRAINING, "loss_and_gradients", recording)
    return seen


# Short fits compared with each other (batches drawn, the L2 term): their
# end-of-fit warning is expected, not the subject.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("shuffle", [True, False])
def test_batch_size_draws_shuffled_mini_batches(monkeypatch, shuffle):
    m, batch = 23, 5
    rng = np.random.RandomState(0)
    X = np.column_stack([np.arange(m, dtype=float), rng.randn(m)])
    y = rng.randn(m)
    seen = _record_batches(monkeypatch)
    LLayerRegressor(**course((3,), batch_size=batch, shuffle=shuffle, max_iter=3,
                    random_state=0)).fit(X, y)
    assert [len(b) for b in seen] == [5, 5, 5, 5, 3] * 3
    epochs = [np.concatenate(seen[5 * e:5 * e + 5]).astype(int) for e in range(3)]
    for order in epochs:
        assert sorted(order) == list(range(m))  # each row exactly once per epoch
    if shuffle:
        assert not np.array_equal(epochs[0], epochs[1])
        assert not np.array_equal(epochs[0], np.arange(m))
    else:
        for order in epochs:
            assert_array_equal(order, np.arange(m))


def test_full_batch_is_one_step_per_epoch(monkeypatch):
    X, y = regression(30)
    seen = _record_batches(monkeypatch)
    a = LLayerRegressor(**course((3,), max_iter=4, random_state=0)).fit(X, y)
    assert [len(b) for b in seen] == [30] * 4
    b = LLayerRegressor(**course((3,), batch_size=30, max_iter=4, random_state=0)).fit(X, y)
    assert_same_parameters(a, b)  # a batch as large as the data is the full batch
    c = LLayerRegressor(**course((3,), batch_size=7, max_iter=4, random_state=0)).fit(X, y)
    assert parameters_differ(a, c)


def test_mini_batch_loss_curve_is_weighted_mean_of_batches(monkeypatch):
    X, y = regression(23)
    costs = []
    real = TRAINING.loss_and_gradients

    def recording(Xb, *args, **kwargs):
        cost, grads = real(Xb, *args, **kwargs)
        costs.append((cost, Xb.shape[1]))
        return cost, grads

    monkeypatch.setattr(TRAINING, "loss_and_gradients", recording)
    reg = LLayerRegressor(**course((3,), batch_size=10, max_iter=2, random_state=0)).fit(X, y)
    for e in range(2):
        c, n = np.array(costs[3 * e:3 * e + 3]).T
        assert_allclose(reg.loss_curve_[e], np.dot(c, n) / n.sum(), rtol=1e-12)
    assert reg.t_ == 2 * 23


# -------------------------------------------------------------- decay, alpha


def test_decay_rate_follows_the_inverse_time_schedule():
    X, y = regression(40)
    lr, decay, n = 0.1, 0.5, 6
    reg = LLayerRegressor(**course((4,), activation="tanh", learning_rate=lr, decay_rate=decay,
                          max_iter=n, normalize_y=False, random_state=0)).fit(X, y)

    def update(p, g, state, name, t):  # epoch t (1-based) uses lr / (1 + decay * (t - 1))
        return p - lr / (1 + decay * (t - 1)) * g

    expected = _manual_run(X, y[:, None], ["tanh", "identity"],
                           initial_parameters([3, 4, 1], "xavier", 0), n, update)
    for k in expected:
        assert_allclose(reg.parameters_[k], expected[k], rtol=1e-12, atol=1e-15)
    # Momentum keeps its velocity through the decay (it stores lr * v, which
    # must be rescaled when lr changes): v = beta v + (1 - beta) g, p -= lr_t v.
    beta = 0.6
    mom = clone(reg).set_params(solver="momentum", momentum=beta).fit(X, y)

    def momentum_update(p, g, state, name, t):
        v = state[name] = beta * state.get(name, 0.0) + (1 - beta) * g
        return p - lr / (1 + decay * (t - 1)) * v

    expected = _manual_run(X, y[:, None], ["tanh", "identity"],
                           initial_parameters([3, 4, 1], "xavier", 0), n, momentum_update)
    for k in expected:
        assert_allclose(mom.parameters_[k], expected[k], rtol=1e-12, atol=1e-15)
    # Smaller steps: the parameters move less from their start than without decay.
    start = initial_parameters([3, 4, 1], "xavier", 0)
    plain = clone(reg).set_params(decay_rate=0.0).fit(X, y)
    def moved(est):
        return sum(np.abs(est.parameters_[k] - start[k]).sum() for k in start)

    assert moved(reg) < moved(plain)
    assert parameters_differ(reg, plain)


@pytest.mark.parametrize("solver", GRADIENT_SOLVERS)
def test_decay_rate_applies_per_epoch_with_mini_batches(monkeypatch, solver):
    # Every step of epoch k uses lr / (1 + decay * k): the rate changes per
    # epoch, not per mini-batch, and a warm-started fit continues the schedule.
    X, y = regression(30)
    lr, decay = 0.05, 1.0
    rates = []
    cls = engine.OPTIMIZERS[solver]
    real_update = cls.update

    def update(self, *args, **kwargs):
        rates.append(self.learning_rate)
        return real_update(self, *args, **kwargs)

    monkeypatch.setattr(cls, "update", update)
    common = dict(hidden_layer_sizes=(3,), solver=solver, batch_size=8, decay_rate=decay,
                  learning_rate=lr, random_state=0)
    whole = LLayerRegressor(**course(max_iter=4, **common)).fit(X, y)
    assert_allclose(rates, np.repeat([lr / (1 + decay * k) for k in range(4)], 4), rtol=1e-15)
    rates.clear()
    halves = LLayerRegressor(**course(max_iter=2, warm_start=True, **common)).fit(X, y).fit(X, y)
    assert_allclose(rates, np.repeat([lr / (1 + decay * k) for k in range(4)], 4), rtol=1e-15)
    assert_same_parameters(whole, halves)
    assert halves.n_iter_ == 4
    assert parameters_differ(whole, clone(whole).set_params(decay_rate=0.0).fit(X, y))


# Short fits compared with each other (batches drawn, the L2 term): their
# end-of-fit warning is expected, not the subject.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_alpha_is_the_l2_penalty():
    X, y = moons(60)
    alpha = 2.0
    reg = LLayerClassifier(**course((5,), alpha=alpha, max_iter=1, random_state=0)).fit(X, y)
    free = LLayerClassifier(**course((5,), alpha=0.0, max_iter=1, random_state=0)).fit(X, y)
    start = initial_parameters([2, 5, 1], "xavier", 0)
    squares = sum(np.sum(start[k] ** 2) for k in start if k.startswith("W"))
    assert_allclose(reg.loss_curve_[0] - free.loss_curve_[0], alpha * squares / (2 * 60),
                    rtol=1e-12)
    # And it shrinks the weights.
    big = LLayerClassifier(**course((5,), alpha=5.0, learning_rate=0.1, max_iter=300,
                                    random_state=0))
    small = clone(big).set_params(alpha=0.0)
    def norm(est):
        return sum(np.sum(w ** 2) for w in est.coefs_)

    assert norm(big.fit(X, y)) < 0.8 * norm(small.fit(X, y))
