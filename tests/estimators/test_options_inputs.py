"""dtypes, sparse input, divergence, saturation, reproducibility and bad input.

Each test compares against a reference (a manual computation, another fit
that must be equal, or one that must differ), so that an option silently
ignored fails. Data and networks are tiny.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.metrics import r2_score
from tests.helpers.training import (
    GRADIENT_SOLVERS,
    SOLVERS,
    TRAINING,
    assert_same_parameters,
    fit_quietly,
    initial_parameters,
    moons,
    parameters_differ,
    regression,
    three_classes,
)

from skdnn import LLayerClassifier, LLayerRegressor, engine
from tests.helpers.training import course

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

    def grads(X, Y, parameters, activations, *, sample_weight=None, dropout_masks=None,
              **kwargs):
        assert Y.dtype == np.float32
        assert sample_weight is None or sample_weight.dtype == np.float32
        for mask in dropout_masks or []:
            assert mask is None or mask.dtype == np.float32
        cost, g = real_grads(X, Y, parameters, activations, sample_weight=sample_weight,
                             dropout_masks=dropout_masks, **kwargs)
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
    clf = LLayerClassifier(**course((5, 4), activation=["tanh", "leaky_relu"], solver=solver,
                           alpha=0.1, learning_rate=0.05, max_iter=5, random_state=0,
                           **options))
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
    c64 = LLayerClassifier(**course(**common)).fit(X, y)
    c32 = LLayerClassifier(**course(**common)).fit(X.astype(np.float32), y)
    assert c64.parameters_["W1"].dtype == np.float64
    assert c32.parameters_["W1"].dtype == np.float32
    assert_allclose(c32.loss_curve_, c64.loss_curve_, rtol=1e-4)
    assert not np.array_equal(c32.loss_curve_, c64.loss_curve_)  # really computed in float32
    for k in c64.parameters_:
        assert_allclose(c32.parameters_[k], c64.parameters_[k], rtol=1e-3, atol=1e-4)


def test_regressor_float32_and_other_inputs():
    X, y = regression(40, n_outputs=2)
    reg = LLayerRegressor(**course((4,), max_iter=5, random_state=0)).fit(X.astype(np.float32), y)
    assert reg.parameters_["W1"].dtype == np.float32 and reg.predict(X).dtype == np.float32
    ints = LLayerRegressor(**course((4,), max_iter=5,
                                    random_state=0)).fit(np.round(X * 10).astype(int), y)
    assert ints.parameters_["W1"].dtype == np.float64


# ------------------------------------------------------------------- sparse


@pytest.mark.parametrize("fmt", ["csr_matrix", "csc_matrix", "csr_array"])
@pytest.mark.parametrize("solver, batch_size", [("gd", None), ("adam", 9), ("lbfgs", None)])
def test_sparse_gives_the_dense_model(monkeypatch, fmt, solver, batch_size):
    rng = np.random.RandomState(0)
    X = rng.randn(50, 6) * (rng.rand(50, 6) < 0.3)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    Xs = getattr(sp, fmt)(X)
    est = LLayerClassifier(**course((4,), solver=solver, batch_size=batch_size, learning_rate=0.05,
                           max_iter=15, random_state=0))
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
    reg = LLayerRegressor(**course((5,), solver=solver, learning_rate=50.0, max_iter=200,
                                   random_state=0))
    with pytest.raises(ValueError, match="learning_rate"):
        reg.fit(X * 10, y * 100)


def test_divergence_in_the_last_epoch_is_reported():
    # The cost is computed before each step: a last step that overflows the
    # parameters must not return a model of inf/NaN silently.
    X, y = regression(40)
    reg = LLayerRegressor(**course((3,), learning_rate=1e308, max_iter=1, normalize_y=False, random_state=0))
    with pytest.raises(ValueError, match="learning_rate"):
        reg.fit(X, y * 100)


@pytest.mark.parametrize("Est, data, activation", [
    (LLayerClassifier, moons, "sigmoid"),
    (LLayerClassifier, three_classes, "sigmoid"),
    (LLayerClassifier, moons, "tanh"),
    (LLayerRegressor, regression, "sigmoid"),
])
# A few epochs (saturated units, a shape check) fit nothing: the subject is
# elsewhere, so the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_saturated_units_give_no_runtime_warning(Est, data, activation):
    X, y = data()
    X = X * 1e4
    est = Est(**course((6, 4), activation=activation, learning_rate=0.01, max_iter=20,
                       random_state=0))
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


# A few epochs (saturated units, a shape check) fit nothing: the subject is
# elsewhere, so the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_saturated_output_probabilities():
    X, y = moons()
    clf = LLayerClassifier(**course((4,), activation="sigmoid", learning_rate=0.01, max_iter=5,
                           random_state=0)).fit(X, y)
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
    est = LLayerClassifier(**course((5, 4), solver=solver, learning_rate=0.05, max_iter=8,
                           random_state=42, **options))
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
    for est in (LLayerClassifier(**course((3,))), LLayerRegressor(**course((3,)))):
        with pytest.raises(ValueError, match=match):
            est.fit(X, y)


# A few epochs (saturated units, a shape check) fit nothing: the subject is
# elsewhere, so the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_wrong_number_of_features_at_predict():
    X, y = moons(30)
    clf = LLayerClassifier(**course((3,), max_iter=2)).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(np.c_[X, X])
    reg = LLayerRegressor(**course((3,), max_iter=2)).fit(X, y.astype(float))
    with pytest.raises(ValueError, match="features"):
        reg.predict(X[:, :1])


def test_bad_targets_are_rejected():
    X, _ = moons(30)
    with pytest.raises(ValueError, match="one class"):
        LLayerClassifier(**course((3,))).fit(X, np.zeros(30))
    with pytest.raises(ValueError, match="[Uu]nknown label type|continuous"):
        LLayerClassifier(**course((3,))).fit(X, np.linspace(0, 1, 30))
    with pytest.raises(ValueError, match="NaN"):
        LLayerRegressor(**course((3,))).fit(X, np.r_[np.nan, np.ones(29)])


@pytest.mark.parametrize("params, match", [
    (dict(solver="newton"), "solver"),
    (dict(activation="mish"), "activation"),
    (dict(init="ones"), "init"),
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
        LLayerClassifier(**course(**{"hidden_layer_sizes": (3,), **params})).fit(X, y)


# ------------------------------------------------ multilabel and regression


def test_multilabel_trains_one_sigmoid_per_label():
    rng = np.random.RandomState(0)
    X = rng.randn(120, 3)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 2] > 0]).astype(int)
    clf = LLayerClassifier(**course((8,), solver="adam", learning_rate=0.05, max_iter=150,
                           random_state=0)).fit(X, Y)
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


# The one-epoch fit checks the first loss's formula: its end-of-fit warning
# is expected.
# 300 lbfgs iterations already score R^2 > 0.9 (asserted): SciPy's
# iteration limit is expected, not the subject.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. lbfgs stopped after:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_regressor_identity_output_squared_error_and_r2(n_outputs):
    X, y = regression(80, n_outputs)
    reg = LLayerRegressor(**course((10,), activation="tanh", solver="lbfgs", max_iter=300,
                          random_state=0)).fit(X, y)
    assert reg.out_activation_ == "identity" and reg.n_outputs_ == n_outputs
    pred = reg.predict(X)
    assert pred.shape == y.shape
    assert_allclose(reg.score(X, y), r2_score(y, pred), rtol=1e-12)
    assert reg.score(X, y) > 0.9
    # Loss: (1/m) sum_i 1/2 ||y_i - f(x_i)||^2 at the starting parameters.
    start = initial_parameters([3, 10, n_outputs], "xavier", 0)
    AL, _ = engine.forward_propagation(X.T, start, ["tanh", "identity"])
    first = LLayerRegressor(**course((10,), activation="tanh", max_iter=1,
                                     normalize_y=False, random_state=0)).fit(X, y)
    assert_allclose(first.loss_curve_[0],
                    0.5 * np.sum((AL - y.reshape(80, -1).T) ** 2) / 80, rtol=1e-12)
    # The output is unbounded: targets far outside [0, 1] (here about -11 to 27) are fitted.
    big = clone(reg).fit(X, 10 * y + 5)
    assert big.score(X, 10 * y + 5) > 0.9
    assert big.predict(X).min() < -5 and big.predict(X).max() > 15
