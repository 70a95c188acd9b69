"""Optimisers: small classes that update a parameter dict in place.

Every optimiser has a ``learning_rate`` attribute (the training loop lowers it
when the learning rate decays) and one method, ``update(parameters, grads)``,
which changes the arrays of ``parameters`` in place from ``grads`` (keys
``"dW1"``, ``"db1"``, ...). State (velocities, moments) is kept per parameter
name, so an optimiser can go on from one call of ``fit``/``partial_fit`` to the
next; the class attribute ``state_names`` lists it (numbers, and dicts of
parameter name to an array of that parameter's shape and dtype). Adding one is adding a class and an entry in :data:`OPTIMIZERS`.

``scratch=True`` tells ``update`` that it may overwrite ``grads``: the
gradient's own memory then holds the intermediate results, so the update
allocates nothing and touches one array fewer per parameter.

``gradient_scale`` is the factor an optimiser would like its gradients
multiplied by, and ``update(..., gradient_scale=s)`` takes gradients that are
``s`` times the true ones. The training loop folds that factor into the
backward pass, where it costs one multiplication of the small output
gradient: gradient descent asks for its learning rate, so that its step is
a single subtraction ``p -= dp`` over each parameter array.
"""

import numpy as np

__all__ = ["OPTIMIZERS", "Adam", "GradientDescent", "Momentum", "cast_state", "update_parameters"]


class GradientDescent:
    """Plain gradient descent, the course's update: ``p = p - lr * dp``.

    Parameters
    ----------
    learning_rate : float
        Step size.

    Attributes
    ----------
    state_names : tuple of str
        The attributes that are training state: none, plain gradient descent
        keeps nothing from one step to the next.
    """

    state_names = ()

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate

    @property
    def gradient_scale(self):
        """float: the learning rate, so that the step is ``p -= dp``."""
        return self.learning_rate

    def update(self, parameters, grads, scratch=False, gradient_scale=1.0):
        """Take one step, changing ``parameters`` in place.

        Parameters
        ----------
        parameters : dict
            ``{"W1", "b1", ...}``.
        grads : dict
            ``{"dW1", "db1", ...}``.
        scratch : bool, default=False
            Whether ``grads`` may be overwritten.
        gradient_scale : float, default=1.0
            ``grads`` are this many times the gradients.
        """
        step = self.learning_rate / gradient_scale
        for name, p in parameters.items():
            g = grads["d" + name]
            if step == 1.0:  # the learning rate is already in the gradients
                p -= g
            elif scratch:  # the gradient's memory holds the step: no temporary
                g *= step
                p -= g
            else:
                p -= step * g


class Momentum:
    """Gradient descent with momentum: ``v = beta v + (1 - beta) dp; p -= lr v``.

    Parameters
    ----------
    learning_rate : float
        Step size.
    beta : float, default=0.9
        Momentum: how much of the previous velocity is kept.

    Attributes
    ----------
    velocities : dict of ndarray
        Per parameter, the velocity times the learning rate, ``lr v``: the
        step itself (a rescaling that saves work at each step).
    state_names : tuple of str
        The attributes that are training state, which a model file saves so
        that training resumes exactly: the velocities and the learning rate
        they are scaled by.
    """

    state_names = ("velocities", "_velocity_rate")

    def __init__(self, learning_rate, beta=0.9):
        self.learning_rate = learning_rate
        self.beta = beta
        self.velocities = {}
        self._scratch = {}
        self._velocity_rate = learning_rate  # the learning rate in velocities

    @property
    def gradient_scale(self):
        """float: ``lr (1 - beta)``, so that the step is ``u = beta u + dp; p -= u``."""
        return self.learning_rate * (1 - self.beta)

    def update(self, parameters, grads, scratch=False, gradient_scale=1.0):
        """Take one step, changing ``parameters`` in place (see :class:`GradientDescent`)."""
        # The velocities are kept as u = lr v, so the step is three memory
        # passes: u = beta u + lr (1 - beta) dp, p -= u. A learning rate that
        # decayed since the last step rescales u within its first pass.
        decay = self.beta * (self.learning_rate / self._velocity_rate)
        self._velocity_rate = self.learning_rate
        factor = self.learning_rate * (1 - self.beta) / gradient_scale
        for name, p in parameters.items():
            g = grads["d" + name]
            u = self.velocities.get(name)
            if u is None:
                u = self.velocities[name] = np.zeros_like(p)
            u *= decay
            if factor == 1.0:  # lr (1 - beta) is already in the gradients
                u += g
            else:
                buffer = g if scratch else _scratch_buffer(self._scratch, name, p)
                u += np.multiply(g, factor, out=buffer)
            p -= u


class Adam:
    """Adam: momentum and RMSprop with bias correction (Kingma and Ba, 2015).

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
        Per parameter, the moment estimates, kept rescaled to save work at
        each step: divided by ``1 - beta_1`` and ``1 - beta_2``, and
        multiplied by the scale of the last step's gradients (see
        ``gradient_scale``) and by its square.
    state_names : tuple of str
        The attributes that are training state, which a model file saves so
        that training resumes exactly: the step count, the moments and the
        steps since their last rescaling.
    """

    state_names = ("t", "first_moments", "second_moments", "_scaled_steps")

    # The second moment's scale grows by 1 / beta_2 per step; past this
    # factor both moments are brought back to scale 1 (two passes, rarely).
    _MAX_GROWTH = 2.0 ** 20

    def __init__(self, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.learning_rate = learning_rate
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.first_moments = {}
        self.second_moments = {}
        self._scratch = {}
        self._scaled_steps = 0  # steps since the moments were last at scale 1

    def _scale(self, steps):
        # beta_2 = 0 keeps no memory of past gradients: nothing to save there.
        return float(self.beta_2 ** (-steps / 2)) if self.beta_2 > 0 else 1.0

    @property
    def gradient_scale(self):
        """float: ``beta_2 ** (-k / 2)`` for the ``k``-th step since the last rescaling.

        Gradients that grow by ``1 / sqrt(beta_2)`` per step make the second
        moment's decay implicit: ``V += g**2`` is the whole of its update.
        """
        return self._scale(self._scaled_steps + 1)

    def update(self, parameters, grads, scratch=False, gradient_scale=1.0):
        """Take one step, changing ``parameters`` in place (see :class:`GradientDescent`)."""
        self.t += 1
        self._scaled_steps += 1
        b1, b2 = self.beta_1, self.beta_2
        # Two rescalings make the step nine memory passes per parameter:
        # - M = m / (1 - beta_1) and V = v / (1 - beta_2): their updates need no
        #   multiplication by (1 - beta), which, with the bias corrections of
        #   the paper's "more efficient" ordering, folds into two scalars;
        # - gradients arrive multiplied by s = beta_2 ** (-k / 2) (see
        #   gradient_scale), and M, V are kept multiplied by s and s**2. Then
        #   V's decay is implicit, M decays by beta_1 / sqrt(beta_2), and the
        #   step, step_size * M / (sqrt(V) + s epsilon), is Adam's own.
        s = self._scale(self._scaled_steps)
        root = np.sqrt(1 - b2)
        step_size = float(self.learning_rate * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
                          * (1 - b1) / root)
        epsilon = float(self.epsilon / root) * s
        m_decay = float(b1 / np.sqrt(b2)) if b2 > 0 else b1
        for name, p in parameters.items():
            g = grads["d" + name]
            M = self.first_moments.get(name)
            if M is None:
                M = self.first_moments[name] = np.zeros_like(p)
                self.second_moments[name] = np.zeros_like(p)
            V = self.second_moments[name]
            buffer = g if scratch else _scratch_buffer(self._scratch, name, p)
            if gradient_scale != s:
                g = np.multiply(g, s / gradient_scale, out=buffer)
            # Every operation writes into M, V or the buffer: an Adam step
            # allocates nothing, which matters for small mini-batches. The
            # buffer may be g itself, so g is used up (M += g) before it is.
            M *= m_decay
            M += g
            if b2 == 0:
                V *= 0.0
            V += np.square(g, out=buffer)
            np.sqrt(V, out=buffer)
            buffer += epsilon
            np.divide(M, buffer, out=buffer)
            buffer *= step_size
            p -= buffer
        if s * s >= self._MAX_GROWTH:
            for M, V in zip(self.first_moments.values(), self.second_moments.values()):
                M *= 1 / s
                V *= 1 / (s * s)
            self._scaled_steps = 0


def _scratch_buffer(buffers, name, p):
    buffer = buffers.get(name)
    if buffer is None:
        buffer = buffers[name] = np.empty_like(p)
    return buffer


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
        One of :data:`OPTIMIZERS`; its dict attributes of arrays are cast.
    dtype : numpy.dtype
    """
    for state in vars(optimizer).values():
        if isinstance(state, dict):
            for name, array in state.items():
                state[name] = np.asarray(array).astype(dtype, copy=False)


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
    updated = {name: np.array(p, copy=True) for name, p in parameters.items()}
    GradientDescent(learning_rate).update(updated, grads)
    return updated
