"""Optimisers: small classes that update a parameter dict in place.

Every optimiser has a ``learning_rate`` attribute (the training loop lowers it
when the learning rate decays) and one method, ``update(parameters, grads)``,
which takes the true gradients (keys ``"dW1"``, ``"db1"``, ...) and changes the
arrays of ``parameters`` in place by the optimiser's formula. Adding one is
adding a class and an entry in :data:`OPTIMIZERS`.

Each formula is computed in the order it is written, operation by operation,
into the optimiser's own arrays: its state (``state_names``, kept per
parameter name, so training can go on from one call of ``fit`` or
``partial_fit`` to the next, or from a saved model) and one scratch array per
parameter. A step allocates nothing, which for small mini-batches is several
times faster than the same formula written with temporaries. (Only NumPy has
``out=``: for other array libraries the scratch array is ``None`` and each
operation returns a new array, the same formula.)
"""

import math

import numpy as np

from .namespace import convert_state, get_namespace

__all__ = ["OPTIMIZERS", "Adam", "GradientDescent", "Momentum", "cast_state", "update_parameters"]


class _ScratchArrays:
    """One reusable array per parameter, for a formula's intermediate results."""

    def __init__(self):
        self._arrays = {}

    def like(self, name, p):
        if not isinstance(p, np.ndarray):
            return None  # no buffers beyond NumPy
        array = self._arrays.get(name)
        if array is None or array.shape != p.shape or array.dtype != p.dtype:
            array = self._arrays[name] = np.empty_like(p)
        return array


def _zeros_on_first_use(state, parameters):
    # An optimiser's per-parameter state starts at zero, made at the first
    # step, where and as each parameter is.
    for name, p in parameters.items():
        if name not in state:
            state[name] = get_namespace(p).zeros_like(p)
    return state


def _exponential_average(xp, average, beta, value, scratch):
    # average = beta average + (1 - beta) value, in place; ``scratch`` (or
    # None) takes (1 - beta) value, and may be ``value`` itself.
    average *= beta
    average += xp.multiply(1 - beta, value, out=scratch)
    return average


class GradientDescent:
    """Plain gradient descent, the course's update: ``p = p - lr * dp``.

    Parameters
    ----------
    learning_rate : float
        Step size.
    """

    state_names = ()
    """tuple of str: the attributes that are the optimiser's training state (none)."""

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate
        self._scratch = _ScratchArrays()

    def update(self, parameters, grads):
        """Take one step, changing ``parameters`` in place.

        Parameters
        ----------
        parameters : dict
            ``{"W1", "b1", ...}``.
        grads : dict
            ``{"dW1", "db1", ...}``, the gradients of the cost; left unchanged.
        """
        for name, p in parameters.items():
            dp = grads["d" + name]
            xp = get_namespace(p)
            step = xp.multiply(self.learning_rate, dp, out=self._scratch.like(name, p))
            p -= step


class Momentum:
    """Gradient descent with momentum: ``v = beta v + (1 - beta) dp; p = p - lr v``.

    With ``nesterov=True`` the step looks ahead along the new velocity
    (Nesterov's accelerated gradient in the form of Sutskever et al., 2013,
    which scikit-learn's ``nesterovs_momentum`` uses), written in the same
    exponential-average form::

        v = beta v + (1 - beta) dp
        p = p - lr * (beta v + (1 - beta) dp)

    Parameters
    ----------
    learning_rate : float
        Step size.
    beta : float, default=0.9
        Momentum: how much of the previous velocity is kept.
    nesterov : bool, default=False
        Whether to take Nesterov's look-ahead step (the course's momentum is
        plain).

    Attributes
    ----------
    velocities : dict of ndarray
        Per parameter name, the velocity ``v`` (zero before the first step).
    """

    state_names = ("velocities",)
    """tuple of str: the attributes that are the optimiser's training state."""

    def __init__(self, learning_rate, beta=0.9, nesterov=False):
        self.learning_rate = learning_rate
        self.beta = beta
        self.nesterov = nesterov
        self.velocities = {}
        self._scratch = _ScratchArrays()

    def update(self, parameters, grads):
        """Take one step, changing ``parameters`` in place (see :class:`GradientDescent`)."""
        beta = self.beta
        velocities = _zeros_on_first_use(self.velocities, parameters)
        for name, p in parameters.items():
            dp = grads["d" + name]
            xp = get_namespace(p)
            scratch = self._scratch.like(name, p)
            v = _exponential_average(xp, velocities[name], beta, dp, scratch)
            if self.nesterov:  # the look-ahead, beta v + (1 - beta) dp
                ahead = xp.multiply(beta, v, out=self._scratch.like(("ahead", name), p))
                ahead += xp.multiply(1 - beta, dp, out=scratch)
                step = xp.multiply(self.learning_rate, ahead, out=scratch)
            else:
                step = xp.multiply(self.learning_rate, v, out=scratch)
            p -= step


class Adam:
    """Adam: momentum and RMSprop with bias correction (Kingma and Ba, 2015).

    At step ``t``, for each parameter ``p`` and its gradient ``g``::

        m = beta_1 m + (1 - beta_1) g
        v = beta_2 v + (1 - beta_2) g**2
        lr_t = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        p = p - lr_t * (m / (sqrt(v) + epsilon))

    the paper's form with the bias corrections folded into the step size, as
    scikit-learn's ``MLPClassifier`` writes it.

    Parameters
    ----------
    learning_rate : float
        Step size.
    beta_1 : float, default=0.9
        Decay of the first moment estimate.
    beta_2 : float, default=0.999
        Decay of the second moment estimate.
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.

    Attributes
    ----------
    t : int
        Number of steps taken.
    first_moments, second_moments : dict of ndarray
        Per parameter name, ``m`` and ``v`` (zero before the first step).
    """

    state_names = ("t", "first_moments", "second_moments")
    """tuple of str: the attributes that are the optimiser's training state."""

    def __init__(self, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.learning_rate = learning_rate
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.first_moments = {}
        self.second_moments = {}
        self._scratch = _ScratchArrays()

    def update(self, parameters, grads):
        """Take one step, changing ``parameters`` in place (see :class:`GradientDescent`)."""
        self.t += 1
        b1, b2, t = self.beta_1, self.beta_2, self.t
        lr_t = self.learning_rate * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        first_moments = _zeros_on_first_use(self.first_moments, parameters)
        second_moments = _zeros_on_first_use(self.second_moments, parameters)
        for name, p in parameters.items():
            g = grads["d" + name]
            xp = get_namespace(p)
            scratch = self._scratch.like(name, p)
            m = _exponential_average(xp, first_moments[name], b1, g, scratch)
            v = _exponential_average(xp, second_moments[name], b2, xp.square(g, out=scratch),
                                     scratch)
            step = xp.sqrt(v, out=scratch)
            step += self.epsilon
            step = xp.divide(m, step, out=scratch)
            step *= lr_t
            p -= step


OPTIMIZERS = {"gd": GradientDescent, "momentum": Momentum, "adam": Adam}
"""dict of str to optimiser class; each takes ``learning_rate`` first."""


def cast_state(optimizer, dtype):
    """Cast an optimiser's per-parameter arrays (velocities, moments) to ``dtype``.

    For a warm start on data of another dtype: the parameters are cast, and
    the optimiser goes on with its state in the new dtype, rather than
    mixing float64 state into float32 steps.

    Parameters
    ----------
    optimizer : object
        One of :data:`OPTIMIZERS`; the dicts among its ``state_names`` are cast.
    dtype : numpy.dtype
    """
    convert_state(optimizer, lambda array: get_namespace(array).astype(array, dtype, copy=False))


def update_parameters(parameters, grads, learning_rate):
    """One step of gradient descent, the course's ``update_parameters``.

    Parameters
    ----------
    parameters : dict
        ``{"W1", "b1", ...}``; left unchanged.
    grads : dict
        ``{"dW1", "db1", ...}``.
    learning_rate : float

    Returns
    -------
    parameters : dict
        New arrays, ``W - learning_rate * dW`` and so on.
    """
    return {name: p - learning_rate * grads["d" + name] for name, p in parameters.items()}
