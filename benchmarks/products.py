"""The "products alone" limits, built from the layer sizes with plain NumPy.

A training step of a fully connected network cannot do less than its matrix
products: forward ``Z_l = W_l A_{l-1}`` for every layer, backward
``dW_l = dZ_l A_{l-1}^T`` for every layer and ``dA_{l-1} = W_l^T dZ_l`` for
every layer but the first. :class:`ProductPlan` times exactly those, on
random arrays of the right shapes, into preallocated outputs, in the layout
a scikit-learn estimator receives its data in (``X`` C-ordered
``(n_samples, n_features)``, read as ``X.T``). Nothing here looks at skdnn:
the limit stays the same whatever the engine does inside.
"""

import numpy as np

__all__ = ["ProductPlan"]


class ProductPlan:
    """The matrix products of one training step on ``m`` examples.

    Parameters
    ----------
    m : int
        Examples in the step (the batch).
    layer_sizes : sequence of int
        ``[n_x, n_1, ..., n_L]``.
    dtype : dtype, default=np.float64
    X : ndarray of shape (m, n_x), optional
        The input to read, C-ordered; random when omitted.
    seed : int, default=0

    Attributes
    ----------
    products : list of (str, ndarray, ndarray, ndarray)
        ``(name, a, b, out)`` for ``np.matmul(a, b, out=out)``, in the order
        a step computes them.
    weights, gradients : list of ndarray
        ``W_l`` and the ``dW_l`` the products write, layer by layer.
    flops : int
        Floating-point operations of one step (2 per multiply-add).
    """

    def __init__(self, m, layer_sizes, dtype=np.float64, X=None, seed=0):
        rng = np.random.default_rng(seed)
        dims = list(layer_sizes)
        if X is None:
            X = rng.standard_normal((m, dims[0])).astype(dtype)
        L = len(dims) - 1
        self.weights = [rng.standard_normal((dims[l], dims[l - 1])).astype(dtype)
                        for l in range(1, L + 1)]
        A = [X.T] + [np.abs(rng.standard_normal((dims[l], m))).astype(dtype)
                     for l in range(1, L + 1)]
        dZ = [rng.standard_normal((dims[l], m)).astype(dtype) for l in range(1, L + 1)]
        self.gradients = [np.empty_like(W) for W in self.weights]
        self.products = []
        for l in range(1, L + 1):
            self.products.append((f"W{l} @ A{l - 1}", self.weights[l - 1], A[l - 1],
                                  np.empty((dims[l], m), dtype)))
        for l in range(L, 0, -1):
            self.products.append((f"dZ{l} @ A{l - 1}.T", dZ[l - 1], A[l - 1].T,
                                  self.gradients[l - 1]))
            if l > 1:
                self.products.append((f"W{l}.T @ dZ{l}", self.weights[l - 1].T, dZ[l - 1],
                                      np.empty((dims[l - 1], m), dtype)))
        self.flops = sum(2 * a.shape[0] * a.shape[1] * b.shape[1]
                         for _, a, b, _ in self.products)

    def step(self):
        """Compute every product of the step once."""
        for _, a, b, out in self.products:
            np.matmul(a, b, out=out)

    def step_and_update(self, learning_rate):
        """The step's products, then gradient descent on the weights they read.

        The update changes the weights the next step's products read, so
        that they are not served from a cache that a real step would miss.
        """
        self.step()
        for W, dW in zip(self.weights, self.gradients):
            dW *= learning_rate
            W -= dW
