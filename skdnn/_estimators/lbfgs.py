"""The L-BFGS solver: the engine's loss and gradients, minimised by SciPy.

A pure solver: it knows parameters, data and settings, and reports each
iteration's loss to whoever called it; it knows nothing of estimators.
"""

import numpy as np
import scipy.optimize

from .. import engine


def _pack(parameters):
    return np.concatenate([p.ravel() for p in parameters.values()]).astype(np.float64)


def _unpack_into(parameters, theta):
    start = 0
    for p in parameters.values():
        p[...] = theta[start:start + p.size].reshape(p.shape)
        start += p.size


def _full_batch_statistics(X, parameters, activations, sample_weight, running_stats):
    # The batch of a full-batch solver is the data: the statistics the model
    # was trained with are the ones to predict with.
    if running_stats:
        _, caches = engine.forward_propagation(X, parameters, activations,
                                               sample_weight=sample_weight)
        engine.update_running_stats(running_stats, caches, momentum=0.0)


def minimize_lbfgs(X, Y, parameters, activations, *, sample_weight=None, alpha=0.0,
                   max_iter=200, max_fun=15000, tol=None, callback=None, running_stats=None):
    """Minimise the network's cost with ``scipy.optimize.minimize(method="L-BFGS-B")``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_x, m)
        Course layout.
    Y : ndarray of shape (n_outputs, m)
    parameters : dict
        The starting point; receives the result, in place. A
        ``KeyboardInterrupt`` leaves it at the last completed iteration (the
        starting point before the first) and goes on.
    activations : list of str
        One per layer.
    sample_weight : ndarray of shape (m,), default=None
    alpha : float, default=0.0
        L2 penalty.
    max_iter : int, default=200
        SciPy's ``maxiter``.
    max_fun : int, default=15000
        SciPy's ``maxfun``: the most evaluations of the cost.
    tol : float or None, default=None
        SciPy's ``gtol`` (as in scikit-learn's ``MLPClassifier``); ``None``
        keeps SciPy's own stopping criteria.
    callback : callable, default=None
        Called with the cost after every iteration.
    running_stats : dict, default=None
        The running statistics of batch-normalised layers: replaced by the
        statistics of the full batch under the parameters returned (an
        interrupted run's included).

    Returns
    -------
    result : scipy.optimize.OptimizeResult
        ``status`` is 0 when SciPy converged; ``message`` says why it stopped.
    """
    workspace = engine.Workspace()

    def cost_and_gradient(theta):
        _unpack_into(parameters, theta)
        cost, grads = engine.loss_and_gradients(X, Y, parameters, activations,
                                                sample_weight=sample_weight, alpha=alpha,
                                                workspace=workspace)
        return cost, np.concatenate([grads["d" + name].ravel() for name in parameters]
                                    ).astype(np.float64)

    # The iterate each iteration ends at: between iterations, the line search
    # leaves trial points in ``parameters``.
    last_iterate = _pack(parameters)

    def report(intermediate_result):
        nonlocal last_iterate
        last_iterate = intermediate_result.x.copy()
        if callback is not None:
            callback(float(intermediate_result.fun))

    options = {"maxiter": max_iter, "maxfun": max_fun}
    if tol is not None:
        options["gtol"] = tol
    try:
        result = scipy.optimize.minimize(cost_and_gradient, last_iterate, jac=True,
                                         method="L-BFGS-B", callback=report, options=options)
    except KeyboardInterrupt:
        _unpack_into(parameters, last_iterate)
        _full_batch_statistics(X, parameters, activations, sample_weight, running_stats)
        raise
    _unpack_into(parameters, result.x)
    _full_batch_statistics(X, parameters, activations, sample_weight, running_stats)
    return result
