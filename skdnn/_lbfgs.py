"""The L-BFGS solver: the engine's loss and gradients, minimised by SciPy."""

import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from . import engine


def _pack(parameters):
    return np.concatenate([p.ravel() for p in parameters.values()]).astype(np.float64)


def _unpack_into(parameters, theta):
    start = 0
    for p in parameters.values():
        p[...] = theta[start:start + p.size].reshape(p.shape)
        start += p.size


def fit_lbfgs(estimator, X, Y, activations, sample_weight):
    """Fit ``estimator.parameters_`` with ``scipy.optimize.minimize(method="L-BFGS-B")``.

    Parameters
    ----------
    estimator : BaseLLayer
        Its ``parameters_`` are the starting point and receive the result;
        ``n_iter_`` and ``loss_curve_`` record the iterations.
    X : ndarray or sparse matrix of shape (n_x, m)
        Course layout.
    Y : ndarray of shape (n_outputs, m)
    activations : list of str
        One per layer.
    sample_weight : ndarray of shape (m,) or None
    """
    parameters = estimator.parameters_
    workspace = engine.Workspace()

    def cost_and_gradient(theta):
        _unpack_into(parameters, theta)
        cost, grads = engine.loss_and_gradients(X, Y, parameters, activations,
                                                sample_weight=sample_weight,
                                                alpha=estimator.alpha, workspace=workspace)
        return cost, np.concatenate([grads["d" + name].ravel() for name in parameters]
                                    ).astype(np.float64)

    def record(intermediate_result):
        estimator._record_epoch(float(intermediate_result.fun), X.shape[1])

    result = scipy.optimize.minimize(
        cost_and_gradient, _pack(parameters), jac=True, method="L-BFGS-B", callback=record,
        options={"maxiter": estimator.max_iter, "maxfun": 15000 + estimator.max_iter,
                 "gtol": 1e-5 if estimator.tol is None else estimator.tol,
                 "ftol": 0.0 if estimator.tol is None else estimator.tol})
    _unpack_into(parameters, result.x)
    estimator.best_loss_ = float(result.fun)
    if result.status == 1 and estimator.tol is not None:
        warnings.warn(f"lbfgs: {result.message}; raise max_iter or tol.", ConvergenceWarning)
