"""The training toolbox: every constructor option changes training as it should.

Each test compares against a reference (a manual computation, another fit
that must be equal, or one that must differ), so that an option silently
ignored fails. Data and networks are tiny: the whole file runs in seconds.
"""

import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score

from skdnn import LLayerClassifier, LLayerRegressor, engine

TRAINING = sys.modules["skdnn.engine.training"]
GRADIENT_SOLVERS = ["gd", "momentum", "adam"]
SOLVERS = [*GRADIENT_SOLVERS, "lbfgs"]


# --------------------------------------------------------------------------- data


def moons(n=120, noise=0.25, seed=0):
    return make_moons(n, noise=noise, random_state=seed)


def three_classes(n=90, seed=0):
    X, y = make_classification(n, n_features=4, n_informative=3, n_redundant=0,
                               n_classes=3, n_clusters_per_class=1, random_state=seed)
    return X, y


def regression(n=80, n_outputs=1, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, (n, 3))
    Y = np.column_stack([np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.5 * k
                         for k in range(n_outputs)])
    Y += 0.05 * rng.randn(*Y.shape)
    return X, (Y.ravel() if n_outputs == 1 else Y)


def assert_same_parameters(a, b, exact=True, **tol):
    assert a.parameters_.keys() == b.parameters_.keys()
    for k in a.parameters_:
        if exact:
            assert_array_equal(a.parameters_[k], b.parameters_[k], err_msg=k)
        else:
            assert_allclose(a.parameters_[k], b.parameters_[k], err_msg=k, **tol)


def parameters_differ(a, b, atol=1e-8):
    return any(not np.allclose(a.parameters_[k], b.parameters_[k], rtol=0, atol=atol)
               for k in a.parameters_)


def initial_parameters(layer_dims, init, seed, dtype=np.float64):
    """The parameters an estimator starts from: drawn first from its random_state."""
    return engine.initialize_network(layer_dims, init, np.random.RandomState(seed), dtype)


def fit_quietly(est, *args, **kwargs):
    """Fit, ignoring only the ConvergenceWarning that a short max_iter is meant to give."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


# ------------------------------------------------------------------ defaults


def test_defaults_are_the_course_run():
    X, y = moons(60)
    clf = LLayerClassifier((4, 3), random_state=1, max_iter=7).fit(X, y)
    params, _ = engine.L_layer_model(X.T, y.reshape(1, -1), [2, 4, 3, 1], num_iterations=7)
    for k in params:
        assert_array_equal(clf.parameters_[k], params[k])
    est = LLayerClassifier()
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
    gd = LLayerClassifier(solver="gd", **common).fit(X, y)
    adam = LLayerClassifier(solver="adam", **common).fit(X, y)
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
    reg = LLayerRegressor((4,), activation="tanh", solver="momentum", momentum=beta,
                          learning_rate=lr, max_iter=6, random_state=0).fit(X, y)

    def update(p, g, state, name, t):
        v = state[name] = beta * state.get(name, 0.0) + (1 - beta) * g
        return p - lr * v

    expected = _manual_run(X, y[:, None], ["tanh", "identity"],
                           initial_parameters([3, 4, 1], "xavier", 0), 6, update)
    for k in expected:
        assert_allclose(reg.parameters_[k], expected[k], rtol=1e-12, atol=1e-15)
    # momentum=0 is plain gradient descent, exactly.
    common = dict(hidden_layer_sizes=(4,), learning_rate=lr, max_iter=6, random_state=0)
    gd = LLayerRegressor(solver="gd", **common).fit(X, y)
    m0 = LLayerRegressor(solver="momentum", momentum=0.0, **common).fit(X, y)
    m9 = LLayerRegressor(solver="momentum", momentum=0.9, **common).fit(X, y)
    assert_same_parameters(gd, m0)
    assert parameters_differ(gd, m9)


def test_adam_matches_its_formula_and_uses_its_settings():
    X, y = regression(40)
    lr, b1, b2, eps = 0.02, 0.8, 0.99, 1e-3
    reg = LLayerRegressor((4,), activation="tanh", solver="adam", learning_rate=lr,
                          beta_1=b1, beta_2=b2, epsilon=eps, max_iter=5, random_state=0).fit(X, y)

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


@pytest.mark.parametrize("Est, data", [(LLayerClassifier, moons), (LLayerRegressor, regression)])
def test_lbfgs_minimises_the_loss(Est, data):
    X, y = data()
    est = Est((6,), activation="tanh", solver="lbfgs", max_iter=200, random_state=0).fit(X, y)
    gd = Est((6,), activation="tanh", max_iter=200, random_state=0).fit(X, y)
    assert est.n_iter_ <= 200 and len(est.loss_curve_) == est.n_iter_
    assert est.best_loss_ < 0.5 * gd.loss_curve_[-1]
    # The model kept is the one whose loss is reported.
    Y = y.reshape(len(y), -1).astype(float)
    cost, _ = engine.loss_and_gradients(X.T, Y.T, est.parameters_, ["tanh", est.out_activation_])
    assert_allclose(cost, est.best_loss_, rtol=1e-10)
    assert_allclose(est.loss_curve_[-1], est.best_loss_, rtol=1e-10)


def test_unknown_solver_is_rejected():
    X, y = moons(30)
    with pytest.raises(ValueError, match="solver"):
        LLayerClassifier(solver="sgd").fit(X, y)


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


@pytest.mark.parametrize("shuffle", [True, False])
def test_batch_size_draws_shuffled_mini_batches(monkeypatch, shuffle):
    m, batch = 23, 5
    rng = np.random.RandomState(0)
    X = np.column_stack([np.arange(m, dtype=float), rng.randn(m)])
    y = rng.randn(m)
    seen = _record_batches(monkeypatch)
    LLayerRegressor((3,), batch_size=batch, shuffle=shuffle, max_iter=3,
                    random_state=0).fit(X, y)
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
    a = LLayerRegressor((3,), max_iter=4, random_state=0).fit(X, y)
    assert [len(b) for b in seen] == [30] * 4
    b = LLayerRegressor((3,), batch_size=30, max_iter=4, random_state=0).fit(X, y)
    assert_same_parameters(a, b)  # a batch as large as the data is the full batch
    c = LLayerRegressor((3,), batch_size=7, max_iter=4, random_state=0).fit(X, y)
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
    reg = LLayerRegressor((3,), batch_size=10, max_iter=2, random_state=0).fit(X, y)
    for e in range(2):
        c, n = np.array(costs[3 * e:3 * e + 3]).T
        assert_allclose(reg.loss_curve_[e], np.dot(c, n) / n.sum(), rtol=1e-12)
    assert reg.t_ == 2 * 23


# -------------------------------------------------------------- decay, alpha


def test_decay_rate_follows_the_inverse_time_schedule():
    X, y = regression(40)
    lr, decay, n = 0.1, 0.5, 6
    reg = LLayerRegressor((4,), activation="tanh", learning_rate=lr, decay_rate=decay,
                          max_iter=n, random_state=0).fit(X, y)

    def update(p, g, state, name, t):  # epoch t (1-based) uses lr / (1 + decay * (t - 1))
        return p - lr / (1 + decay * (t - 1)) * g

    expected = _manual_run(X, y[:, None], ["tanh", "identity"],
                           initial_parameters([3, 4, 1], "xavier", 0), n, update)
    for k in expected:
        assert_allclose(reg.parameters_[k], expected[k], rtol=1e-12, atol=1e-15)
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
    whole = LLayerRegressor(max_iter=4, **common).fit(X, y)
    assert_allclose(rates, np.repeat([lr / (1 + decay * k) for k in range(4)], 4), rtol=1e-15)
    rates.clear()
    halves = LLayerRegressor(max_iter=2, warm_start=True, **common).fit(X, y).fit(X, y)
    assert_allclose(rates, np.repeat([lr / (1 + decay * k) for k in range(4)], 4), rtol=1e-15)
    assert_same_parameters(whole, halves)
    assert halves.n_iter_ == 4
    assert parameters_differ(whole, clone(whole).set_params(decay_rate=0.0).fit(X, y))


def test_alpha_is_the_l2_penalty():
    X, y = moons(60)
    alpha = 2.0
    reg = LLayerClassifier((5,), alpha=alpha, max_iter=1, random_state=0).fit(X, y)
    free = LLayerClassifier((5,), alpha=0.0, max_iter=1, random_state=0).fit(X, y)
    start = initial_parameters([2, 5, 1], "xavier", 0)
    squares = sum(np.sum(start[k] ** 2) for k in start if k.startswith("W"))
    assert_allclose(reg.loss_curve_[0] - free.loss_curve_[0], alpha * squares / (2 * 60),
                    rtol=1e-12)
    # And it shrinks the weights.
    big = LLayerClassifier((5,), alpha=5.0, learning_rate=0.1, max_iter=300, random_state=0)
    small = clone(big).set_params(alpha=0.0)
    def norm(est):
        return sum(np.sum(w ** 2) for w in est.coefs_)

    assert norm(big.fit(X, y)) < 0.8 * norm(small.fit(X, y))


# ------------------------------------------------------------------- dropout


def test_dropout_changes_training_but_not_prediction():
    X, y = moons(80)
    common = dict(hidden_layer_sizes=(8, 6), learning_rate=0.1, max_iter=30, random_state=0)
    drop = LLayerClassifier(dropout=0.5, **common).fit(X, y)
    plain = LLayerClassifier(dropout=0.0, **common).fit(X, y)
    assert parameters_differ(drop, plain)
    P1, P2 = drop.predict_proba(X), drop.predict_proba(X)
    assert_array_equal(P1, P2)
    assert_array_equal(drop.predict(X), drop.predict(X))
    # Prediction is the plain forward pass: no mask, no 1 / (1 - rate) scaling.
    AL, _ = engine.forward_propagation(X.T, drop.parameters_, ["relu", "relu", "sigmoid"])
    assert_allclose(P1[:, 1], AL.ravel(), rtol=1e-12)


def test_dropout_per_layer():
    X, y = moons(80)
    common = dict(hidden_layer_sizes=(8, 6), learning_rate=0.1, max_iter=10, random_state=0)
    zero = LLayerClassifier(dropout=0.0, **common).fit(X, y)
    assert_same_parameters(zero, LLayerClassifier(dropout=[0.0, 0.0], **common).fit(X, y))
    first = LLayerClassifier(dropout=[0.5, 0.0], **common).fit(X, y)
    second = LLayerClassifier(dropout=[0.0, 0.5], **common).fit(X, y)
    both = LLayerClassifier(dropout=0.5, **common).fit(X, y)
    assert parameters_differ(first, second)
    assert parameters_differ(first, zero) and parameters_differ(second, zero)
    assert parameters_differ(both, first) and parameters_differ(both, second)


def test_dropout_masks_the_right_units(monkeypatch):
    # A unit dropped in a step gets no gradient on its incoming weights.
    X, y = moons(40)
    grads_seen, masks_seen = [], []
    real_grads, real_masks = TRAINING.loss_and_gradients, TRAINING.draw_dropout_masks

    def rec_masks(*args, **kwargs):
        masks = real_masks(*args, **kwargs)
        masks_seen.append(masks)
        return masks

    def rec_grads(*args, **kwargs):
        cost, grads = real_grads(*args, **kwargs)
        grads_seen.append(grads["dW1"].copy())
        return cost, grads

    monkeypatch.setattr(TRAINING, "draw_dropout_masks", rec_masks)
    monkeypatch.setattr(TRAINING, "loss_and_gradients", rec_grads)
    LLayerClassifier((30,), dropout=0.5, max_iter=1, random_state=0).fit(X, y)
    (mask,), dW1 = masks_seen[0], grads_seen[0]
    assert mask.shape == (30, 40)
    assert set(np.unique(mask)) <= {0.0, 2.0}  # inverted dropout: kept / (1 - rate)
    assert 0.3 < np.mean(mask == 0) < 0.7
    # The gradient of the step is the one of the masked network.
    start = initial_parameters([2, 30, 1], "xavier", 0)
    _, masked = engine.loss_and_gradients(X.T, y[None].astype(float), start,
                                          ["relu", "sigmoid"], dropout_masks=[mask])
    _, unmasked = engine.loss_and_gradients(X.T, y[None].astype(float), start,
                                            ["relu", "sigmoid"])
    assert_allclose(dW1, masked["dW1"], rtol=1e-12)
    assert not np.allclose(dW1, unmasked["dW1"])


def test_dropout_is_rejected_when_invalid():
    X, y = moons(30)
    for bad in [1.0, 1.5, -0.1]:
        with pytest.raises(ValueError, match="dropout"):
            LLayerClassifier((3,), dropout=bad, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="dropout"):
        LLayerClassifier((3, 3), dropout=[0.2, 1.0], max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="dropout"):
        LLayerClassifier((3, 3), dropout=[0.2], max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="dropout"):
        LLayerClassifier((3,), dropout=0.2, solver="lbfgs", max_iter=1).fit(X, y)


# ---------------------------------------------------------------- activations


def _affine_defect(f, X):
    # f is affine iff f(a x + (1 - a) z) = a f(x) + (1 - a) f(z).
    a = 0.3
    x, z = X[:10], X[10:20]
    return np.abs(f(a * x + (1 - a) * z) - (a * f(x) + (1 - a) * f(z))).max()


def test_identity_activation_list_gives_a_linear_network():
    X, y = regression(40)
    linear = LLayerRegressor((5, 4), activation=["identity", "identity"], learning_rate=0.05,
                             max_iter=50, random_state=0).fit(X, y)
    assert _affine_defect(linear.predict, X) < 1e-12
    for acts in (["identity", "tanh"], ["relu", "identity"], "tanh"):
        other = clone(linear).set_params(activation=acts).fit(X, y)
        assert _affine_defect(other.predict, X) > 1e-4, acts


@pytest.mark.parametrize("acts", [["tanh", "leaky_relu", "sigmoid"],
                                  ["sigmoid", "identity", "relu"]])
def test_activation_list_is_applied_layer_by_layer(acts):
    X, y = three_classes()
    clf = LLayerClassifier((4, 3, 3), activation=acts, learning_rate=0.1, max_iter=20,
                           random_state=0).fit(X, y)
    A = X.T
    for l, name in enumerate([*acts, "softmax"], start=1):
        Z = clf.parameters_[f"W{l}"] @ A + clf.parameters_[f"b{l}"]
        A = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
             "relu": lambda z: np.maximum(z, 0), "identity": lambda z: z,
             "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
             "softmax": lambda z: np.exp(z) / np.exp(z).sum(axis=0)}[name](Z)
    assert_allclose(clf.predict_proba(X), A.T, rtol=1e-10)
    reversed_ = clone(clf).set_params(activation=acts[::-1]).fit(X, y)
    assert parameters_differ(clf, reversed_)


def test_activation_list_must_match_the_layers():
    X, y = moons(30)
    with pytest.raises(ValueError, match="activation"):
        LLayerClassifier((3, 3), activation=["relu"]).fit(X, y)
    with pytest.raises(ValueError, match="activation"):
        LLayerClassifier((3, 3), activation=["relu", "tanh", "relu"]).fit(X, y)
    with pytest.raises(ValueError, match="softplus"):
        LLayerClassifier((3, 3), activation=["relu", "softplus"]).fit(X, y)


# ----------------------------------------------------------------------- init


@pytest.mark.parametrize("init, expected_std", [
    ("small", lambda n_in, n_out: 0.01),
    ("xavier", lambda n_in, n_out: 1 / np.sqrt(n_in)),
    ("he", lambda n_in, n_out: np.sqrt(2 / n_in)),
    ("glorot_uniform", lambda n_in, n_out: np.sqrt(2 / (n_in + n_out))),
])
def test_init_weight_statistics(init, expected_std):
    # W1 of shape (300, 40): 12000 draws, the std is known to about 1%.
    n_in, n_out = 40, 300
    rng = np.random.RandomState(0)
    X, y = rng.randn(10, n_in), np.arange(10) % 2
    clf = LLayerClassifier((n_out,), init=init, learning_rate=1e-12, max_iter=1,
                           random_state=0).fit(X, y)
    W1 = clf.parameters_["W1"]
    assert W1.shape == (n_out, n_in)
    assert_allclose(W1.std(), expected_std(n_in, n_out), rtol=0.04)
    assert abs(W1.mean()) < 0.05 * expected_std(n_in, n_out)
    assert_allclose(clf.parameters_["W2"].std(), expected_std(n_out, 1), rtol=0.3)
    assert np.all(np.abs(clf.parameters_["b1"]) < 1e-9)  # biases start at 0
    if init == "glorot_uniform":
        limit = np.sqrt(6 / (n_in + n_out))
        assert np.abs(W1).max() <= limit
        assert np.abs(W1).max() > 0.99 * limit
        assert_allclose(np.mean(np.abs(W1) < limit / 2), 0.5, atol=0.03)  # uniform, not normal
    else:
        # Normal: about 68% within one standard deviation (uniform would give 58%).
        assert_allclose(np.mean(np.abs(W1) < W1.std()), 0.683, atol=0.03)


# ------------------------------------------------------- tol, convergence


def test_tol_and_n_iter_no_change_stop_early():
    X, y = moons(60)
    # A huge tol: only the first epoch counts as an improvement.
    clf = LLayerClassifier((4,), tol=10.0, n_iter_no_change=3, max_iter=100,
                           random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.n_iter_ == 1 + 3
    assert len(clf.loss_curve_) == 4
    clf.set_params(n_iter_no_change=7).fit(X, y)
    assert clf.n_iter_ == 1 + 7
    # tol=None (the default, the course): exactly max_iter epochs, no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.set_params(tol=None).fit(X, y)
    assert clf.n_iter_ == 100


def test_tol_stops_when_the_loss_stops_improving():
    X, y = moons(60)
    clf = LLayerClassifier((6,), solver="adam", learning_rate=0.05, tol=1e-3,
                           n_iter_no_change=5, max_iter=3000, random_state=0).fit(X, y)
    assert clf.n_iter_ < 3000
    curve = np.asarray(clf.loss_curve_)
    # As in scikit-learn: an epoch improves when its loss is below the best
    # loss so far minus tol. The last 5 did not; the one before them did.
    for i in range(len(curve) - 5, len(curve)):
        assert curve[i] > curve[:i].min() - 1e-3
    i = len(curve) - 6
    assert curve[i] <= curve[:i].min() - 1e-3
    assert clf.best_loss_ == curve.min()


@pytest.mark.parametrize("solver", SOLVERS)
def test_convergence_warning_when_max_iter_comes_first(solver):
    X, y = moons(60)
    clf = LLayerClassifier((4,), solver=solver, tol=1e-12, max_iter=5, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        clf.fit(X, y)
    assert clf.n_iter_ == 5


# -------------------------------------------------------------- early stopping


@pytest.mark.parametrize("Est, data", [(LLayerClassifier, moons), (LLayerRegressor, regression)])
def test_early_stopping_restores_the_best_validation_model(Est, data):
    X, y = data(150)
    est = Est((12,), solver="adam", learning_rate=0.05, batch_size=16, early_stopping=True,
              validation_fraction=0.3, n_iter_no_change=8, max_iter=400, random_state=0)
    est.fit(X, y)
    scores = est.validation_scores_
    assert len(scores) == est.n_iter_ == len(est.loss_curve_)
    assert est.n_iter_ < 400  # stopped early
    best = int(np.argmax(scores))
    assert est.best_validation_score_ == scores[best]
    assert best < est.n_iter_ - 1, "the test needs a run whose last epoch is not the best"
    assert est.best_loss_ == min(est.loss_curve_)
    # Fitting again for best + 1 epochs reaches the model of that epoch.
    again = fit_quietly(clone(est).set_params(max_iter=best + 1), X, y)
    assert again.validation_scores_ == scores[:best + 1]
    assert_same_parameters(est, again)
    # Training went on after the best epoch (best < n_iter_ - 1), so the
    # equality above means the best parameters were restored.


def test_early_stopping_holds_out_a_stratified_split(monkeypatch):
    base = sys.modules["skdnn._base"]
    real = base.train_test_split
    splits = []

    def recording(*arrays, **kwargs):
        parts = real(*arrays, **kwargs)
        splits.append((kwargs.get("stratify"), parts))
        return parts

    monkeypatch.setattr(base, "train_test_split", recording)
    rng = np.random.RandomState(0)
    X = rng.randn(100, 2)
    y = np.r_[np.zeros(90, int), np.ones(10, int)]
    fit_quietly(LLayerClassifier((3,), early_stopping=True, validation_fraction=0.2,
                                 max_iter=3, random_state=0), X, y)
    stratify, parts = splits[-1]
    assert stratify is not None
    y_val = parts[5]
    assert len(y_val) == 20 and np.sum(y_val == 1) == 2  # the 10% of class 1, exactly
    fit_quietly(LLayerRegressor((3,), early_stopping=True, max_iter=3, random_state=0),
                X, y.astype(float))
    assert splits[-1][0] is None  # no stratification for regression
    assert splits[-1][1][5].shape == (10,)


# ------------------------------------------------------------ warm_start


@pytest.mark.parametrize("solver", GRADIENT_SOLVERS)
def test_warm_start_continues_the_previous_fit(solver):
    X, y = moons(60)
    common = dict(hidden_layer_sizes=(5,), solver=solver, learning_rate=0.05, batch_size=16,
                  random_state=0)
    whole = LLayerClassifier(max_iter=10, **common).fit(X, y)
    warm = LLayerClassifier(max_iter=4, warm_start=True, **common).fit(X, y)
    first = {k: v.copy() for k, v in warm.parameters_.items()}
    warm.set_params(max_iter=6).fit(X, y)
    assert_same_parameters(whole, warm)
    assert warm.n_iter_ == 10 and warm.loss_curve_ == whole.loss_curve_
    # warm_start=False starts afresh.
    cold = LLayerClassifier(max_iter=4, **common).fit(X, y)
    for k in first:
        assert_array_equal(cold.parameters_[k], first[k])
    cold.fit(X, y)
    for k in first:
        assert_array_equal(cold.parameters_[k], first[k])


def _continue_by_hand(X, Y, parameters, activations, optimizer, n_epochs):
    parameters = {k: v.copy() for k, v in parameters.items()}
    for _ in range(n_epochs):
        engine.train_epoch(X.T, Y.T, parameters, activations, optimizer)
    return parameters


@pytest.mark.parametrize("first, then", [("gd", "adam"), ("lbfgs", "momentum"), ("adam", "gd")])
def test_warm_start_follows_a_changed_solver(first, then):
    # A warm-started fit continues from the parameters with the solver it is
    # given now (a new one: no state carries over from another solver).
    X, y = regression(30)
    reg = LLayerRegressor((4,), solver=first, learning_rate=0.05, max_iter=3, warm_start=True,
                          random_state=0)
    fit_quietly(reg, X, y)
    start = {k: v.copy() for k, v in reg.parameters_.items()}
    reg.set_params(solver=then).fit(X, y)
    optimizer = {"adam": engine.Adam(0.05), "momentum": engine.Momentum(0.05),
                 "gd": engine.GradientDescent(0.05)}[then]
    expected = _continue_by_hand(X, y[:, None], start, ["relu", "identity"], optimizer, 3)
    for k in expected:
        assert_allclose(reg.parameters_[k], expected[k], rtol=1e-12, atol=1e-15, err_msg=k)


@pytest.mark.parametrize("solver, settings", [
    ("momentum", dict(momentum=0.2)),
    ("adam", dict(beta_1=0.5)),
    ("adam", dict(beta_2=0.9)),
    ("adam", dict(epsilon=1e-1)),
])
def test_warm_start_follows_changed_solver_settings(solver, settings):
    X, y = regression(30)
    reg = LLayerRegressor((4,), solver=solver, learning_rate=0.05, max_iter=3, warm_start=True,
                          random_state=0)
    same = clone(reg).fit(X, y).fit(X, y)
    changed = clone(reg).fit(X, y).set_params(**settings).fit(X, y)
    assert parameters_differ(same, changed)


def test_warm_start_lbfgs_starts_from_the_previous_solution():
    X, y = regression(40)
    reg = LLayerRegressor((4,), solver="lbfgs", max_iter=15, warm_start=True, random_state=0)
    fit_quietly(reg, X, y)
    first_loss, n_first = reg.best_loss_, reg.n_iter_
    fit_quietly(reg, X, y)
    assert reg.n_iter_ > n_first
    # The second run starts where the first ended.
    assert reg.loss_curve_[n_first] < first_loss + 1e-12
    assert reg.best_loss_ < first_loss
    cold = fit_quietly(clone(reg).set_params(warm_start=False), X, y)
    assert cold.loss_curve_[0] > first_loss


# ---------------------------------------------------------------- partial_fit


@pytest.mark.parametrize("batch_size", [None, 7])
@pytest.mark.parametrize("solver", GRADIENT_SOLVERS)
def test_partial_fit_is_one_epoch_of_fit(solver, batch_size):
    X, y = three_classes(45)
    common = dict(hidden_layer_sizes=(5,), solver=solver, learning_rate=0.05,
                  batch_size=batch_size, dropout=0.2, random_state=0)
    fitted = LLayerClassifier(max_iter=1, **common).fit(X, y)
    partial = LLayerClassifier(**common).partial_fit(X, y, classes=[0, 1, 2])
    assert_same_parameters(fitted, partial)
    assert partial.n_iter_ == 1 and partial.loss_curve_ == fitted.loss_curve_
    # A second call goes on (optimiser state, random state, decay) as fit would.
    fitted2 = LLayerClassifier(max_iter=2, **common).fit(X, y)
    partial.partial_fit(X, y)
    assert_same_parameters(fitted2, partial)
    assert partial.n_iter_ == 2


@pytest.mark.parametrize("solver", GRADIENT_SOLVERS)
def test_regressor_partial_fit_is_one_epoch_of_fit(solver):
    X, y = regression(30)
    common = dict(hidden_layer_sizes=(4,), solver=solver, batch_size=8, random_state=0)
    fitted = LLayerRegressor(max_iter=1, **common).fit(X, y)
    partial = LLayerRegressor(**common).partial_fit(X, y)
    assert_same_parameters(fitted, partial)


def test_partial_fit_arguments():
    X, y = moons(40)
    with pytest.raises(ValueError, match="classes"):
        LLayerClassifier((3,)).partial_fit(X, y)
    with pytest.raises(ValueError, match="lbfgs"):
        LLayerClassifier((3,), solver="lbfgs").partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="lbfgs"):
        LLayerRegressor((3,), solver="lbfgs").partial_fit(X, y.astype(float))
    # classes may hold a class absent from the first batch.
    clf = LLayerClassifier((3,), random_state=0).partial_fit(X[y == 0], y[y == 0],
                                                             classes=[0, 1, 2])
    assert_array_equal(clf.classes_, [0, 1, 2]) and clf.n_outputs_ == 3
    clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y + 5)
    # sample_weight reaches partial_fit.
    a = LLayerClassifier((3,), random_state=0).partial_fit(X, y, classes=[0, 1])
    w = np.where(y == 1, 3.0, 1.0)
    b = LLayerClassifier((3,), random_state=0).partial_fit(X, y, classes=[0, 1], sample_weight=w)
    c = LLayerClassifier((3,), random_state=0, max_iter=1).fit(X, y, sample_weight=w)
    assert parameters_differ(a, b)
    assert_same_parameters(b, c)
    with pytest.raises(ValueError, match="balanced"):
        LLayerClassifier((3,), class_weight="balanced").partial_fit(X, y, classes=[0, 1])


# --------------------------------------------------- sample and class weights


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
@pytest.mark.parametrize("Est, data", [(LLayerClassifier, three_classes),
                                       (LLayerRegressor, regression)])
def test_sample_weight_two_is_a_duplicated_row(Est, data, solver):
    X, y = data(40)
    w = np.ones(len(y))
    w[::3] = 2.0
    rows = np.r_[np.arange(len(y)), np.arange(len(y))[::3]]
    est = Est((4,), activation="tanh", solver=solver, alpha=0.1, learning_rate=0.1,
              max_iter=30, random_state=0)
    weighted = fit_quietly(clone(est), X, y, sample_weight=w)
    duplicated = fit_quietly(clone(est), X[rows], y[rows])
    assert_same_parameters(weighted, duplicated, exact=False, rtol=1e-7, atol=1e-9)
    unweighted = fit_quietly(clone(est), X, y)
    assert parameters_differ(weighted, unweighted, atol=1e-4)
    ones = fit_quietly(clone(est), X, y, sample_weight=np.ones(len(y)))
    assert_same_parameters(unweighted, ones, exact=False, rtol=1e-7, atol=1e-9)


def test_sample_weight_zero_ignores_the_row():
    X, y = regression(30)
    w = np.ones(30)
    w[:5] = 0
    est = LLayerRegressor((3,), max_iter=20, random_state=0)
    a = clone(est).fit(X, y, sample_weight=w)
    b = clone(est).fit(X[5:], y[5:])
    assert_same_parameters(a, b, exact=False, rtol=1e-10, atol=1e-13)


def test_sample_weight_must_be_valid():
    X, y = moons(30)
    with pytest.raises(ValueError, match="non-negative"):
        LLayerClassifier((3,)).fit(X, y, sample_weight=-np.ones(30))
    with pytest.raises(ValueError):
        LLayerClassifier((3,)).fit(X, y, sample_weight=np.ones(29))


def test_class_weight_balanced_moves_the_decision():
    X, y = make_classification(300, n_features=2, n_informative=2, n_redundant=0,
                               n_clusters_per_class=1, weights=[0.9, 0.1], class_sep=0.5,
                               flip_y=0.05, random_state=0)
    common = dict(hidden_layer_sizes=(6,), solver="adam", learning_rate=0.02, max_iter=200,
                  random_state=0)
    plain = LLayerClassifier(**common).fit(X, y)
    balanced = LLayerClassifier(class_weight="balanced", **common).fit(X, y)
    minority = 1
    def recall(clf):
        return np.mean(clf.predict(X[y == minority]) == minority)

    assert np.sum(balanced.predict(X) == minority) > 1.5 * np.sum(plain.predict(X) == minority)
    assert recall(balanced) > recall(plain) + 0.1
    # "balanced" is n / (n_classes * count): the same as those sample weights.
    counts = np.bincount(y)
    w = (len(y) / (2 * counts))[y]
    by_weight = LLayerClassifier(**common).fit(X, y, sample_weight=w)
    assert_same_parameters(balanced, by_weight, exact=False, rtol=1e-10, atol=1e-12)
    # A dict, multiplied with sample_weight.
    as_dict = LLayerClassifier(class_weight={0: 1.0, 1: 3.0}, **common)
    sw = np.linspace(0.5, 1.5, len(y))
    by_both = LLayerClassifier(**common).fit(X, y, sample_weight=sw * np.where(y == 1, 3.0, 1.0))
    assert_same_parameters(as_dict.fit(X, y, sample_weight=sw), by_both, exact=False,
                           rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------- dtypes


def _float32_spy(monkeypatch):
    """Fail if any training step computes in float64 when the data is float32."""
    real_grads = TRAINING.loss_and_gradients
    real_forward = TRAINING.forward_propagation
    calls = []

    def forward(X, parameters, activations, *args, **kwargs):
        AL, caches = real_forward(X, parameters, activations, *args, **kwargs)
        assert X.dtype == np.float32
        for (A_prev, W, b), Z in caches:
            assert A_prev.dtype == W.dtype == b.dtype == Z.dtype == np.float32
        assert AL.dtype == np.float32
        return AL, caches

    def grads(X, Y, parameters, activations, sample_weight=None, alpha=0.0,
              dropout_masks=None, *args, **kwargs):
        assert Y.dtype == np.float32
        assert sample_weight is None or sample_weight.dtype == np.float32
        for mask in dropout_masks or []:
            assert mask is None or mask.dtype == np.float32
        cost, g = real_grads(X, Y, parameters, activations, sample_weight, alpha,
                             dropout_masks, *args, **kwargs)
        for name, value in g.items():
            assert value.dtype == np.float32, name
        calls.append(cost)
        return cost, g

    monkeypatch.setattr(TRAINING, "forward_propagation", forward)
    monkeypatch.setattr(TRAINING, "loss_and_gradients", grads)  # gradient solvers
    monkeypatch.setattr(engine, "loss_and_gradients", grads)  # lbfgs
    # And the arithmetic on the parameters and on the optimiser state (created
    # by zeros_like from them): p -= float64_step would silently cast back to
    # float32, so every ufunc that touches them checks its operands.
    real_init = engine.initialize_network

    def init(*args, **kwargs):
        return {k: v.view(Float32Only) for k, v in real_init(*args, **kwargs).items()}

    monkeypatch.setattr(engine, "initialize_network", init)
    return calls


class Float32Only(np.ndarray):
    """An array that refuses to take part in any ufunc with a float64 operand."""

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        for x in (*inputs, *(out or ())):
            dtype = np.result_type(x) if not isinstance(x, (int, float, bool)) else None
            if dtype is not None and dtype.kind == "f" and dtype != np.float32:
                raise AssertionError(f"float64 operand in {ufunc.__name__}.{method}")
        def plain(x):
            return x.view(np.ndarray) if isinstance(x, Float32Only) else x

        if out is not None:
            kwargs["out"] = tuple(plain(o) for o in out)
        result = getattr(ufunc, method)(*map(plain, inputs), **kwargs)
        if out is not None and len(out) == 1:
            return out[0]
        return result


@pytest.mark.parametrize("solver", SOLVERS)
def test_float32_stays_float32(monkeypatch, solver):
    X, y = three_classes(60)
    X = (X / 3).astype(np.float32)
    options = dict(batch_size=16, dropout=0.2, decay_rate=0.1) if solver != "lbfgs" else {}
    clf = LLayerClassifier((5, 4), activation=["tanh", "leaky_relu"], solver=solver,
                           alpha=0.1, learning_rate=0.05, max_iter=5, random_state=0,
                           **options)
    calls = _float32_spy(monkeypatch)
    fit_quietly(clf, X, y, sample_weight=np.linspace(0.5, 1.5, 60))
    assert len(calls) >= 5
    assert type(clf.parameters_["W1"]) is Float32Only  # the spy was there
    for p in clf.parameters_.values():
        assert p.dtype == np.float32
    if solver != "lbfgs":
        state = vars(clf._optimizer)
        for moments in state.values():
            if isinstance(moments, dict):
                for v in moments.values():
                    assert v.dtype == np.float32
    assert clf.predict_proba(X).dtype == np.float32
    assert clf.predict_proba(X.astype(np.float64)).dtype == np.float32
    for coef in clf.coefs_ + clf.intercepts_:
        assert coef.dtype == np.float32


@pytest.mark.parametrize("solver", GRADIENT_SOLVERS)
def test_float32_and_float64_give_the_same_training(solver):
    X, y = moons(80)
    common = dict(hidden_layer_sizes=(6,), activation="tanh", solver=solver, learning_rate=0.01,
                  max_iter=20, random_state=0)
    c64 = LLayerClassifier(**common).fit(X, y)
    c32 = LLayerClassifier(**common).fit(X.astype(np.float32), y)
    assert c64.parameters_["W1"].dtype == np.float64
    assert c32.parameters_["W1"].dtype == np.float32
    assert_allclose(c32.loss_curve_, c64.loss_curve_, rtol=1e-4)
    assert not np.array_equal(c32.loss_curve_, c64.loss_curve_)  # really computed in float32
    for k in c64.parameters_:
        assert_allclose(c32.parameters_[k], c64.parameters_[k], rtol=1e-3, atol=1e-4)


def test_regressor_float32_and_other_inputs():
    X, y = regression(40, n_outputs=2)
    reg = LLayerRegressor((4,), max_iter=5, random_state=0).fit(X.astype(np.float32), y)
    assert reg.parameters_["W1"].dtype == np.float32 and reg.predict(X).dtype == np.float32
    ints = LLayerRegressor((4,), max_iter=5, random_state=0).fit(np.round(X * 10).astype(int), y)
    assert ints.parameters_["W1"].dtype == np.float64


# ------------------------------------------------------------------- sparse


@pytest.mark.parametrize("fmt", ["csr_matrix", "csc_matrix", "csr_array"])
@pytest.mark.parametrize("solver, batch_size", [("gd", None), ("adam", 9), ("lbfgs", None)])
def test_sparse_gives_the_dense_model(monkeypatch, fmt, solver, batch_size):
    rng = np.random.RandomState(0)
    X = rng.randn(50, 6) * (rng.rand(50, 6) < 0.3)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    Xs = getattr(sp, fmt)(X)
    est = LLayerClassifier((4,), solver=solver, batch_size=batch_size, learning_rate=0.05,
                           max_iter=15, random_state=0)
    dense = fit_quietly(clone(est), X, y)

    def refusing(real):
        def no_densify(self, *args, **kwargs):
            # Other sparse matrices (LabelBinarizer's, of y) may be densified; X may not.
            if self.shape in (X.shape, X.T.shape):
                raise AssertionError("X was densified")
            return real(self, *args, **kwargs)
        return no_densify

    for cls in (sp.csr_matrix, sp.csc_matrix, sp.csr_array, sp.csc_array):
        for method in ("toarray", "todense"):
            monkeypatch.setattr(cls, method, refusing(getattr(cls, method)))
    sparse = fit_quietly(clone(est), Xs, y)
    P = sparse.predict_proba(Xs)
    monkeypatch.undo()
    assert_same_parameters(dense, sparse, exact=False, rtol=1e-7, atol=1e-10)
    assert_allclose(P, dense.predict_proba(X), rtol=1e-7, atol=1e-10)
    sparse32 = fit_quietly(clone(est), Xs.astype(np.float32), y)
    assert sparse32.parameters_["W1"].dtype == np.float32


# ------------------------------------------------------- divergence, saturation


@pytest.mark.parametrize("solver", ["gd", "momentum"])
def test_diverging_loss_names_learning_rate(solver):
    X, y = regression(40)
    reg = LLayerRegressor((5,), solver=solver, learning_rate=50.0, max_iter=200, random_state=0)
    with pytest.raises(ValueError, match="learning_rate"):
        reg.fit(X * 10, y * 100)


def test_divergence_in_the_last_epoch_is_reported():
    # The cost is computed before each step: a last step that overflows the
    # parameters must not return a model of inf/NaN silently.
    X, y = regression(40)
    reg = LLayerRegressor((3,), learning_rate=1e308, max_iter=1, random_state=0)
    with pytest.raises(ValueError, match="learning_rate"):
        reg.fit(X, y * 100)


@pytest.mark.parametrize("Est, data, activation", [
    (LLayerClassifier, moons, "sigmoid"),
    (LLayerClassifier, three_classes, "sigmoid"),
    (LLayerClassifier, moons, "tanh"),
    (LLayerRegressor, regression, "sigmoid"),
])
def test_saturated_units_give_no_runtime_warning(Est, data, activation):
    X, y = data()
    X = X * 1e4
    est = Est((6, 4), activation=activation, learning_rate=0.01, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est.fit(X, y)
        out = est.predict_proba(X) if Est is LLayerClassifier else est.predict(X)
        est.score(X, y)
        if Est is LLayerClassifier:
            est.predict_log_proba(X)
    assert np.all(np.isfinite(est.loss_curve_)) and np.all(np.isfinite(out))
    # The units really are saturated.
    Z1 = est.parameters_["W1"] @ X.T + est.parameters_["b1"]
    assert np.mean(np.abs(Z1) > 30) > 0.5


def test_saturated_output_probabilities():
    X, y = moons()
    clf = LLayerClassifier((4,), activation="sigmoid", learning_rate=0.01, max_iter=5,
                           random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        P = clf.predict_proba(X * 1e6)
        logP = clf.predict_log_proba(X * 1e6)
    assert np.all((P >= 0) & (P <= 1))
    assert not np.any(np.isnan(logP))


# ------------------------------------------------------------ reproducibility


@pytest.mark.parametrize("solver", SOLVERS)
def test_same_random_state_gives_a_bit_identical_model(solver):
    X, y = three_classes(60)
    options = dict(batch_size=13, dropout=[0.3, 0.1]) if solver != "lbfgs" else {}
    est = LLayerClassifier((5, 4), solver=solver, learning_rate=0.05, max_iter=8,
                           random_state=42, **options)
    state = np.random.get_state()[1].copy()
    a = fit_quietly(clone(est), X, y)
    b = fit_quietly(clone(est), X, y)
    assert_array_equal(np.random.get_state()[1], state)  # the global generator is untouched
    assert_same_parameters(a, b)
    assert a.loss_curve_ == b.loss_curve_
    c = fit_quietly(clone(est).set_params(random_state=43), X, y)
    assert parameters_differ(a, c)
    # A RandomState instance works too, and goes on from where it is.
    d = fit_quietly(clone(est).set_params(random_state=np.random.RandomState(42)), X, y)
    assert_same_parameters(a, d)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("bad, match", [
    ("nan", "NaN"),
    ("inf", "infinity"),
    ("empty", "0 sample"),
    ("no_features", "0 feature"),
])
def test_bad_X_is_rejected(bad, match):
    X, y = moons(30)
    if bad == "nan":
        X[3, 1] = np.nan
    elif bad == "inf":
        X[3, 1] = np.inf
    elif bad == "empty":
        X, y = X[:0], y[:0]
    else:
        X = X[:, :0]
    for est in (LLayerClassifier((3,)), LLayerRegressor((3,))):
        with pytest.raises(ValueError, match=match):
            est.fit(X, y)


def test_wrong_number_of_features_at_predict():
    X, y = moons(30)
    clf = LLayerClassifier((3,), max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(np.c_[X, X])
    reg = LLayerRegressor((3,), max_iter=2).fit(X, y.astype(float))
    with pytest.raises(ValueError, match="features"):
        reg.predict(X[:, :1])


def test_bad_targets_are_rejected():
    X, _ = moons(30)
    with pytest.raises(ValueError, match="one class"):
        LLayerClassifier((3,)).fit(X, np.zeros(30))
    with pytest.raises(ValueError, match="[Uu]nknown label type|continuous"):
        LLayerClassifier((3,)).fit(X, np.linspace(0, 1, 30))
    with pytest.raises(ValueError, match="NaN"):
        LLayerRegressor((3,)).fit(X, np.r_[np.nan, np.ones(29)])


@pytest.mark.parametrize("params, match", [
    (dict(solver="newton"), "solver"),
    (dict(activation="softplus"), "activation"),
    (dict(init="zeros"), "init"),
    (dict(learning_rate=0.0), "learning_rate"),
    (dict(batch_size=0), "batch_size"),
    (dict(alpha=-1.0), "alpha"),
    (dict(validation_fraction=1.0), "validation_fraction"),
    (dict(hidden_layer_sizes=(3, 0)), "hidden_layer_sizes"),
    (dict(momentum=1.0), "momentum"),
])
def test_bad_parameters_are_rejected(params, match):
    X, y = moons(30)
    with pytest.raises(ValueError, match=match):
        LLayerClassifier(**{"hidden_layer_sizes": (3,), **params}).fit(X, y)


# ------------------------------------------------ multilabel and regression


def test_multilabel_trains_one_sigmoid_per_label():
    rng = np.random.RandomState(0)
    X = rng.randn(120, 3)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 2] > 0]).astype(int)
    clf = LLayerClassifier((8,), solver="adam", learning_rate=0.05, max_iter=150,
                           random_state=0).fit(X, Y)
    assert clf.out_activation_ == "sigmoid" and clf.n_outputs_ == 3
    assert_array_equal(clf.classes_, [0, 1, 2])
    P = clf.predict_proba(X)
    assert P.shape == (120, 3)
    assert np.abs(P.sum(axis=1) - 1).max() > 0.1  # independent labels, not a softmax
    assert_array_equal(clf.predict(X), (P > 0.5).astype(int))
    assert np.mean(clf.predict(X) == Y) > 0.9
    # The loss is the binary cross-entropy summed over labels.
    start = initial_parameters([3, 8, 3], "xavier", 0)
    AL, _ = engine.forward_propagation(X.T, start, ["relu", "sigmoid"])
    bce = -(Y.T * np.log(AL) + (1 - Y.T) * np.log(1 - AL)).sum(axis=0).mean()
    assert_allclose(clf.loss_curve_[0], bce, rtol=1e-12)


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_regressor_identity_output_squared_error_and_r2(n_outputs):
    X, y = regression(80, n_outputs)
    reg = LLayerRegressor((10,), activation="tanh", solver="lbfgs", max_iter=300,
                          random_state=0).fit(X, y)
    assert reg.out_activation_ == "identity" and reg.n_outputs_ == n_outputs
    pred = reg.predict(X)
    assert pred.shape == y.shape
    assert_allclose(reg.score(X, y), r2_score(y, pred), rtol=1e-12)
    assert reg.score(X, y) > 0.9
    # Loss: (1/m) sum_i 1/2 ||y_i - f(x_i)||^2 at the starting parameters.
    start = initial_parameters([3, 10, n_outputs], "xavier", 0)
    AL, _ = engine.forward_propagation(X.T, start, ["tanh", "identity"])
    first = LLayerRegressor((10,), activation="tanh", max_iter=1, random_state=0).fit(X, y)
    assert_allclose(first.loss_curve_[0],
                    0.5 * np.sum((AL - y.reshape(80, -1).T) ** 2) / 80, rtol=1e-12)
    # The output is unbounded: targets far outside [0, 1] (here about -11 to 27) are fitted.
    big = clone(reg).fit(X, 10 * y + 5)
    assert big.score(X, 10 * y + 5) > 0.9
    assert big.predict(X).min() < -5 and big.predict(X).max() > 15
