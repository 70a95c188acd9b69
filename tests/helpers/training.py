"""Data and helpers shared by the training tests (options, streaming, distributed)."""

import warnings

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_moons
from sklearn.exceptions import ConvergenceWarning

from skdnn import engine
# The module whose functions train_epoch calls: tests spy on a step there.
from skdnn.engine import training as TRAINING

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


def assert_same_model(a, b):
    """Assert two fitted estimators went through the same training, bit for bit."""
    assert a.n_iter_ == b.n_iter_
    assert a.t_ == b.t_
    assert a.loss_curve_ == b.loss_curve_
    assert sorted(a.parameters_) == sorted(b.parameters_)
    for key in a.parameters_:
        np.testing.assert_array_equal(a.parameters_[key], b.parameters_[key], err_msg=key)


# --------------------------------------------------------------------------- settings


def course(*args, **overrides):
    """The course's settings (:data:`skdnn.COURSE_SETTINGS`) with ``overrides``.

    For the tests written when these were the estimators' defaults:
    ``LLayerClassifier(**course((4,), max_iter=30))`` is what
    ``LLayerClassifier((4,), max_iter=30)`` trained then. Positional values
    are ``hidden_layer_sizes``, ``activation``, ``init``, as in the signatures.
    """
    from skdnn import COURSE_SETTINGS

    positional = dict(zip(("hidden_layer_sizes", "activation", "init"), args))
    return {**COURSE_SETTINGS, **positional, **overrides}


def best_validation_epoch(est):
    """The epoch early stopping keeps: the best held-out score, then the lowest held-out loss."""
    scores, losses = np.asarray(est.validation_scores_), np.asarray(est.validation_loss_curve_)
    ties = np.flatnonzero(scores == scores.max())
    return int(ties[np.argmin(losses[ties])])
