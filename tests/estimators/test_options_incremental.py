"""warm_start, partial_fit, sample_weight and class_weight change training as they should.

Each test compares against a reference (a manual computation, another fit
that must be equal, or one that must differ), so that an option silently
ignored fails. Data and networks are tiny.
"""

import copy
import pickle
import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from tests.helpers.training import (
    GRADIENT_SOLVERS,
    assert_same_parameters,
    fit_quietly,
    moons,
    parameters_differ,
    regression,
    three_classes,
)

from skdnn import LLayerClassifier, LLayerRegressor, engine
from tests.helpers.training import course

# ------------------------------------------------------------ warm_start


# One to four epochs compared bit for bit with their continuation: such short
# fits are no better than a constant yet, so the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", GRADIENT_SOLVERS)
def test_warm_start_continues_the_previous_fit(solver):
    X, y = moons(60)
    common = dict(hidden_layer_sizes=(5,), solver=solver, learning_rate=0.05, batch_size=16,
                  random_state=0)
    whole = LLayerClassifier(**course(max_iter=10, **common)).fit(X, y)
    warm = LLayerClassifier(**course(max_iter=4, warm_start=True, **common)).fit(X, y)
    first = {k: v.copy() for k, v in warm.parameters_.items()}
    warm.set_params(max_iter=6).fit(X, y)
    assert_same_parameters(whole, warm)
    assert warm.n_iter_ == 10 and warm.loss_curve_ == whole.loss_curve_
    # warm_start=False starts afresh.
    cold = LLayerClassifier(**course(max_iter=4, **common)).fit(X, y)
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
    reg = LLayerRegressor(**course((4,), solver=first, learning_rate=0.05, max_iter=3,
                                   warm_start=True,
                          normalize_y=False, random_state=0))
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
    reg = LLayerRegressor(**course((4,), solver=solver, learning_rate=0.05, max_iter=3,
                                   warm_start=True,
                          random_state=0))
    same = clone(reg).fit(X, y).fit(X, y)
    changed = clone(reg).fit(X, y).set_params(**settings).fit(X, y)
    assert parameters_differ(same, changed)


@pytest.mark.parametrize("solver", ["momentum", "adam"])
def test_warm_start_on_float32_data_casts_the_optimiser_state(solver):
    # The state goes on (no restart) in the new dtype: the float32 run equals
    # a float32 continuation by hand from the float64 fit's state, cast.
    X, y = regression(30)
    reg = LLayerRegressor(**course((4,), solver=solver, learning_rate=0.05, max_iter=2,
                                   warm_start=True,
                          batch_size=8, shuffle=False, normalize_y=False, random_state=0)).fit(X, y)
    start = {k: v.astype(np.float32) for k, v in reg.parameters_.items()}
    optimizer = copy.deepcopy(reg._optimizer)
    engine.cast_state(optimizer, np.float32)
    reg.fit(X.astype(np.float32), y)
    state = [a for d in vars(reg._optimizer).values() if isinstance(d, dict) for a in d.values()]
    assert state and all(a.dtype == np.float32 for a in state)
    expected = {k: v.copy() for k, v in start.items()}
    X32, Y32 = X.astype(np.float32).T, y[None, :].astype(np.float32)
    for _ in range(2):
        engine.train_epoch(X32, Y32, expected, ["relu", "identity"], optimizer, batch_size=8,
                           shuffle=False)
    for k in expected:
        assert reg.parameters_[k].dtype == np.float32
        assert_allclose(reg.parameters_[k], expected[k], rtol=1e-6, err_msg=k)


def test_warm_start_lbfgs_starts_from_the_previous_solution():
    X, y = regression(40)
    reg = LLayerRegressor(**course((4,), solver="lbfgs", max_iter=15, warm_start=True,
                                   random_state=0))
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


# One to four epochs compared bit for bit with their continuation: such short
# fits are no better than a constant yet, so the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("batch_size", [None, 7])
@pytest.mark.parametrize("solver", GRADIENT_SOLVERS)
def test_partial_fit_is_one_epoch_of_fit(solver, batch_size):
    X, y = three_classes(45)
    common = dict(hidden_layer_sizes=(5,), solver=solver, learning_rate=0.05,
                  batch_size=batch_size, dropout=0.2, random_state=0)
    fitted = LLayerClassifier(**course(max_iter=1, **common)).fit(X, y)
    partial = LLayerClassifier(**course(**common)).partial_fit(X, y, classes=[0, 1, 2])
    assert_same_parameters(fitted, partial)
    assert partial.n_iter_ == 1 and partial.loss_curve_ == fitted.loss_curve_
    # A second call goes on (optimiser state, random state, decay) as fit would.
    fitted2 = LLayerClassifier(**course(max_iter=2, **common)).fit(X, y)
    partial.partial_fit(X, y)
    assert_same_parameters(fitted2, partial)
    assert partial.n_iter_ == 2


@pytest.mark.parametrize("solver", GRADIENT_SOLVERS)
def test_regressor_partial_fit_is_one_epoch_of_fit(solver):
    X, y = regression(30)
    common = dict(hidden_layer_sizes=(4,), solver=solver, batch_size=8, random_state=0)
    fitted = LLayerRegressor(**course(max_iter=1, **common)).fit(X, y)
    partial = LLayerRegressor(**course(**common)).partial_fit(X, y)
    assert_same_parameters(fitted, partial)


def test_partial_fit_arguments():
    X, y = moons(40)
    with pytest.raises(ValueError, match="classes"):
        LLayerClassifier(**course((3,))).partial_fit(X, y)
    # Hidden with lbfgs, as scikit-learn's MLP (hasattr is False).
    for est in [LLayerClassifier(**course((3,), solver="lbfgs")),
                LLayerRegressor(**course((3,), solver="lbfgs"))]:
        assert not hasattr(est, "partial_fit")
        with pytest.raises(AttributeError, match="partial_fit") as raised:
            est.partial_fit(X, y.astype(float))
        assert "solver='lbfgs'" in str(raised.value.__cause__)
        assert hasattr(est.set_params(solver="adam"), "partial_fit")
    # classes may hold a class absent from the first batch.
    clf = LLayerClassifier(**course((3,), random_state=0)).partial_fit(X[y == 0], y[y == 0],
                                                             classes=[0, 1, 2])
    assert_array_equal(clf.classes_, [0, 1, 2]) and clf.n_outputs_ == 3
    clf.partial_fit(X, y)
    clf.partial_fit(X, y, classes=[2, 1, 0])  # the same classes, in any order
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y + 5)
    # Later calls may repeat classes, not change them (as scikit-learn's MLP).
    with pytest.raises(ValueError, match="differs from the classes of the first call"):
        clf.partial_fit(X, y, classes=[0, 1])
    # sample_weight reaches partial_fit.
    a = LLayerClassifier(**course((3,), random_state=0)).partial_fit(X, y, classes=[0, 1])
    w = np.where(y == 1, 3.0, 1.0)
    b = LLayerClassifier(**course((3,), random_state=0)).partial_fit(X, y, classes=[0, 1],
                                                                     sample_weight=w)
    c = LLayerClassifier(**course((3,), random_state=0, max_iter=1)).fit(X, y, sample_weight=w)
    assert parameters_differ(a, b)
    assert_same_parameters(b, c)
    with pytest.raises(ValueError, match="balanced"):
        LLayerClassifier(**course((3,), class_weight="balanced")).partial_fit(X, y, classes=[0, 1])


# --------------------------------------------------- sample and class weights


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
@pytest.mark.parametrize("Est, data", [(LLayerClassifier, three_classes),
                                       (LLayerRegressor, regression)])
def test_sample_weight_two_is_a_duplicated_row(Est, data, solver):
    X, y = data(40)
    w = np.ones(len(y))
    w[::3] = 2.0
    rows = np.r_[np.arange(len(y)), np.arange(len(y))[::3]]
    est = Est(**course((4,), activation="tanh", solver=solver, alpha=0.1, learning_rate=0.1,
              max_iter=30, random_state=0))
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
    est = LLayerRegressor(**course((3,), max_iter=20, random_state=0))
    a = clone(est).fit(X, y, sample_weight=w)
    b = clone(est).fit(X[5:], y[5:])
    assert_same_parameters(a, b, exact=False, rtol=1e-10, atol=1e-13)


def test_sample_weight_must_be_valid():
    X, y = moons(30)
    with pytest.raises(ValueError, match="non-negative"):
        LLayerClassifier(**course((3,))).fit(X, y, sample_weight=-np.ones(30))
    with pytest.raises(ValueError):
        LLayerClassifier(**course((3,))).fit(X, y, sample_weight=np.ones(29))


def test_class_weight_balanced_moves_the_decision():
    X, y = make_classification(300, n_features=2, n_informative=2, n_redundant=0,
                               n_clusters_per_class=1, weights=[0.9, 0.1], class_sep=0.5,
                               flip_y=0.05, random_state=0)
    common = dict(hidden_layer_sizes=(6,), solver="adam", learning_rate=0.02, max_iter=200,
                  random_state=0)
    plain = LLayerClassifier(**course(**common)).fit(X, y)
    balanced = LLayerClassifier(**course(class_weight="balanced", **common)).fit(X, y)
    minority = 1
    def recall(clf):
        return np.mean(clf.predict(X[y == minority]) == minority)

    assert np.sum(balanced.predict(X) == minority) > 1.5 * np.sum(plain.predict(X) == minority)
    assert recall(balanced) > recall(plain) + 0.1
    # "balanced" is n / (n_classes * count): the same as those sample weights.
    counts = np.bincount(y)
    w = (len(y) / (2 * counts))[y]
    by_weight = LLayerClassifier(**course(**common)).fit(X, y, sample_weight=w)
    assert_same_parameters(balanced, by_weight, exact=False, rtol=1e-10, atol=1e-12)
    # A dict, multiplied with sample_weight.
    as_dict = LLayerClassifier(**course(class_weight={0: 1.0, 1: 3.0}, **common))
    sw = np.linspace(0.5, 1.5, len(y))
    by_both = LLayerClassifier(**course(**common)).fit(X, y, sample_weight=sw * np.where(y == 1,
                                                                                         3.0, 1.0))
    assert_same_parameters(as_dict.fit(X, y, sample_weight=sw), by_both, exact=False,
                           rtol=1e-10, atol=1e-12)


def test_partial_fit_class_weight_naming_some_classes_weighs_each_batch_as_fit():
    # Class-sorted batches: each lacks the other classes, some of them named in the dict.
    # Classes missing from the dict weigh 1, as in fit; the dict is checked against all classes.
    X, y = three_classes(60)
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    class_weight = {1: 2.0, 2: 0.5}
    common = dict(hidden_layer_sizes=(4,), solver="adam", learning_rate=0.05, random_state=0)
    by_dict = LLayerClassifier(class_weight=class_weight, **common)
    by_sample = LLayerClassifier(**common)
    for rows in np.array_split(np.arange(len(y)), 3):
        assert len(np.unique(y[rows])) == 1
        by_dict.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        weights = np.array([class_weight.get(label, 1.0) for label in y[rows]])
        by_sample.partial_fit(X[rows], y[rows], classes=[0, 1, 2], sample_weight=weights)
    assert by_dict.n_iter_ == 3
    assert_same_parameters(by_dict, by_sample)
    # A key that names no class is refused on any batch, as fit refuses it.
    typo = LLayerClassifier(class_weight={1: 2.0, 5: 1.0}, **common)
    with pytest.raises(ValueError, match="not in class_weight"):
        typo.fit(X, y)
    with pytest.raises(ValueError, match="not in class_weight"):
        typo.partial_fit(X, y, classes=[0, 1, 2])


@pytest.mark.parametrize("first, then", [("squared_error", "poisson"),
                                         ("poisson", "squared_error")])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_warm_start_refuses_a_changed_loss(first, then):
    # The output activation belongs to the loss: a warm start cannot swap it.
    X, y = regression(30)
    y = np.abs(y)
    reg = LLayerRegressor(**course((4,), max_iter=2, loss=first, warm_start=True, random_state=0))
    reg.fit(X, y)
    before = {k: v.copy() for k, v in reg.parameters_.items()}
    reg.set_params(loss=then)
    with pytest.raises(ValueError, match=f"loss='{then}'.*'{first}'.*warm_start=False"):
        reg.fit(X, y)
    with pytest.raises(ValueError, match="warm_start=False"):
        reg.partial_fit(X, y)
    for k, v in before.items():
        assert_array_equal(reg.parameters_[k], v)
    reg.set_params(warm_start=False).fit(X, y)
    assert reg.out_activation_ == ("exp" if then == "poisson" else "identity")


# ------------------------------------------- continuing means the same model


def _continue(est, how, X, y):
    return est.partial_fit(X, y) if how == "partial_fit" else est.fit(X, y)


def _fitted_bytes(est):
    """The whole fitted state, pickled: equal bytes, nothing changed."""
    params = est.get_params()
    return pickle.dumps(sorted((k, v) for k, v in vars(est).items() if k not in params))


@pytest.mark.parametrize("Est", [LLayerClassifier, LLayerRegressor])
@pytest.mark.parametrize("then", [(8, 8), (), (5,)])
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_continuing_refuses_changed_hidden_layers(Est, then, how):
    # (8, 8) trained the output layer with ReLU, () raised IndexError, (5,)
    # kept W1 of (4, 3) and made a model that save_model refuses.
    X, y = moons(40) if Est is LLayerClassifier else regression(40)
    est = Est((4,), solver="adam", max_iter=2, warm_start=True, random_state=0).fit(X, y)
    before = _fitted_bytes(est)
    est.set_params(hidden_layer_sizes=then)
    start_over = "refit from scratch" if how == "partial_fit" else "warm_start=False"
    with pytest.raises(ValueError, match=rf"hidden_layer_sizes={re.escape(str(then))} differs "
                                         rf"from .* \(4,\).*{start_over}"):
        _continue(est, how, X, y)
    assert _fitted_bytes(est) == before
    est.set_params(warm_start=False).fit(X, y)
    assert est.n_layers_ == len(then) + 2


@pytest.mark.parametrize("n_columns", [1, 2, 4])
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_continuing_regressor_refuses_another_number_of_outputs(n_columns, how):
    # One column was broadcast to all three outputs; 2 or 4 gave NumPy's message.
    X, Y = regression(40, n_outputs=3)
    reg = LLayerRegressor((4,), solver="adam", max_iter=2, warm_start=True, random_state=0)
    reg.fit(X, Y)
    before = _fitted_bytes(reg)
    Y_other = np.column_stack([Y, Y])[:, :n_columns]
    with pytest.raises(ValueError, match=f"y has {n_columns} column.* model has 3 outputs"):
        _continue(reg, how, X, Y_other)
    assert _fitted_bytes(reg) == before
    _continue(reg, how, X, Y)  # the same number of columns continues
    assert reg.n_iter_ == (3 if how == "partial_fit" else 4)


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_continuing_refuses_changed_hidden_activations(how):
    # The weights were trained for these activations; a loaded model keeps the check.
    X, y = moons(40)
    clf = LLayerClassifier((4, 3), activation=["relu", "tanh"], solver="adam", max_iter=2,
                           warm_start=True, random_state=0).fit(X, y)
    before = _fitted_bytes(clf)
    clf.set_params(activation="relu")
    with pytest.raises(ValueError, match=r"activation='relu' differs .* \['relu', 'tanh'\]"):
        _continue(clf, how, X, y)
    assert _fitted_bytes(clf) == before
    clf.set_params(activation=("relu", "tanh"))  # the same activations, spelt otherwise
    _continue(clf, how, X, y)
