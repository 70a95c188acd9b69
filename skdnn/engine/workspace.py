"""The workspace: arrays reused from one training step to the next.

A training step creates :math:`Z^{[l]}`, :math:`A^{[l]}`, :math:`dA^{[l]}`,
:math:`dW^{[l]}` and :math:`db^{[l]}` for every layer. A :class:`Workspace`
hands out the same arrays at every step instead, by what they hold: the
propagation code asks for "layer ``l``'s ``Z`` and ``A``", never for a key,
so the names of the buffers are spelled here and nowhere else.

Only NumPy computes into given arrays. For every other library, and
wherever no workspace is given, the formulas get a :class:`NullWorkspace`,
which answers every request with ``None`` ("make a new array"): the
propagation code is written once and never asks which of the two it has.
"""

import numpy as np

from .namespace import get_namespace, is_numpy

__all__ = ["NullWorkspace", "Workspace", "workspace_for"]


class NullWorkspace:
    """A workspace without buffers: every request is answered with ``None``.

    NumPy's ``out=None``, and an ``out`` of ``None`` in the engine's
    functions, mean "return a new array", so formulas given this workspace
    allocate as the course's code does.
    """

    def layer_outputs(self, l, n_units, m, dtype):
        """``None``: see :meth:`Workspace.layer_outputs`."""
        return None

    def layer_gradients(self, l, W, dA):
        """``None``: see :meth:`Workspace.layer_gradients`."""
        return None

    def in_place(self, array):
        """``None``: see :meth:`Workspace.in_place`."""
        return None

    def output_delta(self, n_outputs, m, dtype):
        """``None``: see :meth:`Workspace.output_delta`."""
        return None

    def batch_rows(self, n_rows, n_features, dtype):
        """``None``: see :meth:`Workspace.batch_rows`."""
        return None


NO_BUFFERS = NullWorkspace()


def workspace_for(array):
    """A new :class:`Workspace` for NumPy arrays, a :class:`NullWorkspace` for others.

    Parameters
    ----------
    array : array or sparse matrix
        The data that will be trained on or predicted for.

    Returns
    -------
    workspace : Workspace or NullWorkspace
    """
    return Workspace() if is_numpy(get_namespace(array)) else NullWorkspace()


def buffers(workspace):
    """``workspace``, or the :class:`NullWorkspace` for ``None``."""
    return NO_BUFFERS if workspace is None else workspace


class Workspace:
    """Arrays reused across training steps instead of allocated at each one.

    Per-example arrays (one column per example: ``Z``, ``A``, ``dA``, ``dZL``)
    are Fortran-ordered, which is scikit-learn's row layout in memory: the
    products that fill them then run with the examples as the long dimension,
    which BLAS splits well across threads. A request for fewer examples (the
    last mini-batch, the last chunk at predict time) gets the leading part of
    the buffer already there, still contiguous, so the memory used does not
    depend on how the examples divide into batches.

    Every array handed out is uninitialised, belongs to the workspace and is
    overwritten by the next request of the same name.
    """

    def __init__(self):
        self._buffers = {}

    def layer_outputs(self, l, n_units, m, dtype):
        """Buffers for layer ``l``'s ``Z`` and ``A``, each of shape ``(n_units, m)``.

        Parameters
        ----------
        l : int
            Layer number, 1 to L.
        n_units : int
            Units in the layer.
        m : int
            Examples.
        dtype : numpy.dtype

        Returns
        -------
        Z, A : ndarray of shape (n_units, m)
        """
        return (self._examples(("Z", l), n_units, m, dtype),
                self._examples(("A", l), n_units, m, dtype))

    def layer_gradients(self, l, W, dA):
        """Buffers for layer ``l``'s backward step (``out`` of ``linear_activation_backward``).

        The step's ``dZ`` overwrites ``dA`` (which must be a buffer of this
        workspace, or an array the caller gives up).

        Parameters
        ----------
        l : int
            Layer number, 1 to L.
        W : ndarray of shape (n_l, n_{l-1})
            The layer's weights (for the shapes and dtype).
        dA : ndarray of shape (n_l, m)
            The gradient with respect to the layer's activations.

        Returns
        -------
        dA_prev : ndarray of shape (n_{l-1}, m) or None
            ``None`` for the first layer, whose ``dA0`` is not computed.
        dW : ndarray of shape (n_l, n_{l-1})
        db : ndarray of shape (n_l, 1)
        """
        dA_prev = None if l == 1 else self.activation_gradient(l - 1, W.shape[1], dA.shape[1],
                                                                W.dtype)
        return (dA_prev, *self.parameter_gradients(l, W))

    def in_place(self, array):
        """The buffer for a result that overwrites its operand: ``array`` itself.

        Parameters
        ----------
        array : ndarray
            A buffer of this workspace.

        Returns
        -------
        array : ndarray
        """
        return array

    def activation_gradient(self, l, n_units, m, dtype):
        """Buffer for ``dA`` of layer ``l``, of shape ``(n_units, m)``.

        The backward pass overwrites it with the layer's ``dZ``.

        Parameters
        ----------
        l : int
            Layer number, 1 to L.
        n_units : int
        m : int
        dtype : numpy.dtype

        Returns
        -------
        dA : ndarray of shape (n_units, m)
        """
        return self._examples(("dA", l), n_units, m, dtype)

    def output_delta(self, n_outputs, m, dtype):
        """Buffer for ``dZL = AL - Y``, of shape ``(n_outputs, m)``.

        Parameters
        ----------
        n_outputs : int
        m : int
        dtype : numpy.dtype

        Returns
        -------
        dZL : ndarray of shape (n_outputs, m)
        """
        return self._examples("dZL", n_outputs, m, dtype)

    def parameter_gradients(self, l, W):
        """Buffers for layer ``l``'s ``dW`` and ``db``, shaped as ``W`` and ``b``.

        Parameters
        ----------
        l : int
            Layer number, 1 to L.
        W : ndarray of shape (n_l, n_{l-1})
            The layer's weights (for the shapes and dtype).

        Returns
        -------
        dW : ndarray of shape (n_l, n_{l-1})
        db : ndarray of shape (n_l, 1)
        """
        return (self._fixed(("dW", l), W.shape, W.dtype),
                self._fixed(("db", l), (W.shape[0], 1), W.dtype))

    def batch_rows(self, n_rows, n_features, dtype):
        """Buffer for the rows of one mini-batch, C-ordered ``(n_rows, n_features)``.

        Its transpose is the batch in the course layout.

        Parameters
        ----------
        n_rows : int
            Examples in the batch.
        n_features : int
        dtype : numpy.dtype

        Returns
        -------
        rows : ndarray of shape (n_rows, n_features)
        """
        # The batch in the course layout is a per-example array like the others.
        return self._examples("X_batch", n_features, n_rows, dtype).T

    def batch_features(self, n_rows, n_features, dtype):
        """Buffer for one mini-batch, feature by feature: C-ordered ``(n_features, n_rows)``.

        For ``X`` held column by column (Fortran order): each feature's
        values for the batch are gathered from its contiguous column, then
        copied to :meth:`batch_rows`. A request for fewer rows gets the
        leading part of the same memory, still contiguous.

        Parameters
        ----------
        n_rows : int
            Examples in the batch.
        n_features : int
        dtype : numpy.dtype

        Returns
        -------
        columns : ndarray of shape (n_features, n_rows)
        """
        key = ("X_batch_features", n_features, np.dtype(dtype))
        buffer = self._buffers.get(key)
        if buffer is None or buffer.size < n_rows * n_features:
            buffer = self._buffers[key] = np.empty(n_rows * n_features, dtype=dtype)
        return buffer[:n_rows * n_features].reshape(n_features, n_rows)

    def _examples(self, name, n_units, m, dtype):
        # One column per example, Fortran order: the leading m columns of a
        # larger buffer are contiguous too.
        key = (name, n_units, np.dtype(dtype))
        buffer = self._buffers.get(key)
        if buffer is None or buffer.shape[1] < m:
            buffer = self._buffers[key] = np.empty((n_units, m), dtype=dtype, order="F")
        return buffer[:, :m]

    def _fixed(self, name, shape, dtype):
        key = (name, shape, np.dtype(dtype))
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = np.empty(shape, dtype=dtype)
        return buffer
