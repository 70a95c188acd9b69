"""Weight initialisers: one table, and the course's two initialisations.

Each entry of :data:`INITIALIZERS` draws one weight matrix of shape
``(n_out, n_in)`` from a NumPy ``RandomState``. Layers are drawn in order and
biases start at zero, exactly as the course does, so a seeded generator gives
the course's numbers.
"""

import numpy as np

__all__ = [
    "INITIALIZERS",
    "initialize_network",
    "initialize_parameters",
    "initialize_parameters_deep",
]


def _glorot_uniform(rng, n_out, n_in):
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_out, n_in))


INITIALIZERS = {
    "small": lambda rng, n_out, n_in: rng.randn(n_out, n_in) * 0.01,
    "xavier": lambda rng, n_out, n_in: rng.randn(n_out, n_in) / np.sqrt(n_in),
    "he": lambda rng, n_out, n_in: rng.randn(n_out, n_in) * np.sqrt(2.0 / n_in),
    "glorot_uniform": _glorot_uniform,
    # Course 2's Initialization notebook: zeros (a symmetric network that
    # cannot learn, its lesson) and large random weights.
    "zeros": lambda rng, n_out, n_in: np.zeros((n_out, n_in)),
    "random": lambda rng, n_out, n_in: rng.randn(n_out, n_in) * 10,
}
"""dict of str to callable ``(rng, n_out, n_in) -> W``."""


def initialize_network(layer_dims, init, rng, dtype=np.float64, batch_norm=None):
    """Draw the parameters of a fully connected network.

    Parameters
    ----------
    layer_dims : sequence of int
        ``[n_x, n_1, ..., n_L]``: input size, then each layer's size.
    init : str
        Key of :data:`INITIALIZERS`.
    rng : numpy.random.RandomState
        Generator the weights are drawn from, layer by layer.
    dtype : dtype, default=np.float64
        Dtype of the returned arrays (weights are drawn in float64).
    batch_norm : sequence of bool, default=None
        One per hidden layer: whether it is batch-normalised
        (:mod:`skdnn.engine.batch_norm`). Such a layer has no bias; its scale
        ``gamma{l}`` starts at ones and its shift ``beta{l}`` at zeros. The
        weights are drawn as without it.

    Returns
    -------
    parameters : dict
        ``{"W1": (n_1, n_x), "b1": (n_1, 1), ..., "WL", "bL"}``, with
        ``gamma{l}`` and ``beta{l}``, each ``(n_l, 1)``, in place of the
        ``b{l}`` of a batch-normalised layer.
    """
    draw = INITIALIZERS[init]
    n_hidden = len(layer_dims) - 2
    normalised = [False] * n_hidden if batch_norm is None else list(batch_norm)
    if len(normalised) != n_hidden:
        raise ValueError(f"batch_norm has {len(normalised)} entries for {n_hidden} hidden "
                         "layers (the output layer is never batch-normalised).")
    parameters = {}
    for l in range(1, len(layer_dims)):
        W = draw(rng, layer_dims[l], layer_dims[l - 1])
        parameters[f"W{l}"] = W.astype(dtype, copy=False)
        if l <= n_hidden and normalised[l - 1]:
            parameters[f"gamma{l}"] = np.ones((layer_dims[l], 1), dtype=dtype)
            parameters[f"beta{l}"] = np.zeros((layer_dims[l], 1), dtype=dtype)
        else:
            parameters[f"b{l}"] = np.zeros((layer_dims[l], 1), dtype=dtype)
    return parameters


def initialize_parameters(n_x, n_h, n_y):
    """Two-layer parameters of the course: seed 1, weights ``randn * 0.01``.

    Parameters
    ----------
    n_x, n_h, n_y : int
        Sizes of the input, hidden and output layers.

    Returns
    -------
    parameters : dict
        ``W1`` (n_h, n_x), ``b1`` (n_h, 1), ``W2`` (n_y, n_h), ``b2`` (n_y, 1).
    """
    return initialize_network([n_x, n_h, n_y], "small", np.random.RandomState(1))


def initialize_parameters_deep(layer_dims):
    """L-layer parameters of the course: seed 3, weights ``randn * 0.01``.

    Parameters
    ----------
    layer_dims : sequence of int
        ``[n_x, n_1, ..., n_L]``.

    Returns
    -------
    parameters : dict
        ``Wl`` of shape (n_l, n_{l-1}) and ``bl`` of shape (n_l, 1).
    """
    return initialize_network(layer_dims, "small", np.random.RandomState(3))
