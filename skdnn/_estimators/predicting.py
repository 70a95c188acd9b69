"""The network's outputs for many rows: chunked so memory does not grow with the rows."""

import numpy as np
from sklearn.utils import gen_batches

from .. import engine

# Memory for the activations of one chunk of rows at predict time: it bounds
# predict_proba's extra memory whatever the number of rows, and keeps chunks
# large enough (thousands of rows) that BLAS calls, not Python, set the pace.
PREDICT_CHUNK_BYTES = 32 * 2**20


def network_outputs(X, parameters, activations):
    """Output activations for ``X`` in scikit-learn layout, one chunk of rows at a time.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Validated input; cast chunk by chunk to the parameters' dtype.
    parameters : dict
        The course-layout network, without batch normalisation (fold it first:
        :func:`skdnn.engine.fold_batch_norm`).
    activations : list of str
        One per layer.

    Returns
    -------
    outputs : ndarray of shape (n_samples, n_outputs)

    Raises
    ------
    ValueError
        When a value of ``X`` does not fit the parameters' dtype.
    """
    W1 = parameters["W1"]
    xp = engine.get_namespace(W1)
    on_numpy = engine.is_numpy(xp)
    dtype = W1.dtype
    itemsize = engine.numpy_dtype(W1).itemsize
    L = engine.n_layers(parameters)
    n_outputs = parameters[f"W{L}"].shape[0]
    out = xp.empty((X.shape[0], n_outputs), dtype=dtype, device=engine.device(W1))
    workspace = engine.workspace_for(W1)
    units = sum(parameters[f"W{l}"].shape[0] for l in range(1, L + 1))
    row_bytes = (2 * units + (X.shape[1] if X.dtype != dtype else 0)) * itemsize
    chunk_rows = int(np.clip(PREDICT_CHUNK_BYTES // row_bytes, 256, 65536))
    for rows in gen_batches(X.shape[0], chunk_rows):
        Xc = X[rows, ...] if not on_numpy else X[rows]
        if Xc.dtype != dtype:
            Xc = Xc.astype(dtype) if on_numpy else xp.astype(Xc, dtype)
            if not _all_finite(Xc):
                raise ValueError(f"X holds values beyond the range of this {dtype} model "
                                 f"(largest magnitude {float(xp.finfo(dtype).max):.3g}); "
                                 "scale X or fit the model on float64 data.")
        AL, _ = engine.forward_propagation(Xc.T, parameters, activations, workspace=workspace)
        out[rows, ...] = AL.T
    return out


def _all_finite(X):
    xp = engine.get_namespace(X)
    if engine.is_numpy(xp):
        return np.isfinite(X.data if hasattr(X, "data") and not isinstance(X, np.ndarray)
                           else X).all()
    return bool(xp.all(xp.isfinite(X)))
