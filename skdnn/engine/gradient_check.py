"""Check the backward pass against centred finite differences."""

import numpy as np

from .training import loss_and_gradients

__all__ = ["gradient_check"]


def gradient_check(X, Y, parameters, activations, sample_weight=None, alpha=0.0,
                   epsilon=1e-6):
    """Relative error between backpropagated and numerical gradients.

    Every parameter is nudged by ``+epsilon`` and ``-epsilon`` in turn and
    the cost's centred difference is compared with the gradient of
    :func:`skdnn.engine.loss_and_gradients`. Use float64 and small networks:
    the check costs two forward passes per parameter.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    Y : ndarray of shape (n_L, m)
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``; left unchanged.
    activations : sequence of str
        One per layer, the output activation last.
    sample_weight : ndarray of shape (m,), default=None
    alpha : float, default=0.0
        L2 penalty.
    epsilon : float, default=1e-6
        Size of the nudge.

    Returns
    -------
    relative_error : float
        ``||g - g_num|| / (||g|| + ||g_num||)``; below about 1e-7 in float64
        the backward pass is right.

    Examples
    --------
    >>> import numpy as np
    >>> from skdnn.engine import gradient_check, initialize_network
    >>> rng = np.random.RandomState(0)
    >>> X, Y = rng.randn(3, 5), rng.randint(0, 2, (1, 5))
    >>> parameters = initialize_network([3, 4, 1], "xavier", rng)
    >>> gradient_check(X, Y, parameters, ["tanh", "sigmoid"]) < 1e-7
    True
    """
    parameters = {name: np.array(p, dtype=np.float64) for name, p in parameters.items()}

    def cost():
        return loss_and_gradients(X, Y, parameters, activations, sample_weight=sample_weight,
                                  alpha=alpha)[0]

    _, grads = loss_and_gradients(X, Y, parameters, activations, sample_weight=sample_weight,
                                  alpha=alpha)
    analytic, numeric = [], []
    for name, p in parameters.items():
        flat = p.reshape(-1)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + epsilon
            plus = cost()
            flat[i] = original - epsilon
            minus = cost()
            flat[i] = original
            numeric.append((plus - minus) / (2 * epsilon))
        analytic.append(grads["d" + name].reshape(-1))
    analytic = np.concatenate(analytic)
    numeric = np.asarray(numeric)
    denominator = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(analytic - numeric) / denominator)
