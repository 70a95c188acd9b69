"""The workspace: arrays reused from one training step to the next.

A training step creates :math:`Z^{[l]}`, :math:`A^{[l]}`, :math:`dA^{[l]}`,
:math:`dW^{[l]}` and :math:`db^{[l]}` for every layer. A :class:`Workspace`
hands out the same arrays at every step instead, by what they hold: the
propagation code asks for "layer ``l``'s ``Z`` and ``A``", never for a key,
so the names of the buffers are spelled here and nowhere else.
"""

import numpy as np

__all__ = ["Workspace"]


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
        key = ("X_batch", n_features, np.dtype(dtype))
        buffer = self._buffers.get(key)
        if buffer is None or buffer.shape[0] < n_rows:
            buffer = self._buffers[key] = np.empty((n_rows, n_features), dtype=dtype)
        return buffer[:n_rows]

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
