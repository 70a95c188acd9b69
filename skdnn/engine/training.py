"""One training step, one epoch: what every solver and the course share.

:func:`loss_and_gradients` is the whole computation of a step: forward pass,
cost (with the L2 penalty), backward pass. :func:`train_epoch` cuts the data
into mini-batches (or not) and hands each step's gradients to an optimiser.
The course's ``L_layer_model``, the estimators' gradient solvers and their
L-BFGS solver all go through :func:`loss_and_gradients`.
"""

import numpy as np

from .batch_norm import update_running_stats
from .losses import LOSS_OF_OUTPUT, LOSSES, mean_loss_array, output_delta
from .namespace import get_namespace, is_numpy, move_like, numpy_dtype, to_numpy
from .propagation import backward_propagation, forward_propagation
from .workspace import buffers

__all__ = ["draw_dropout_masks", "loss_and_gradients", "mini_batches", "train_epoch"]


def loss_and_gradients(X, Y, parameters, activations, *, sample_weight=None, alpha=0.0,
                       dropout_masks=None, workspace=None, running_stats=None,
                       batch_norm_momentum=0.9):
    """Cost of the network on ``(X, Y)`` and its gradients.

    The loss is the canonical partner of the output activation (see
    :mod:`skdnn.engine.losses`), so the backward pass starts from
    ``dZL = AL - Y``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_x, m)
    Y : ndarray of shape (n_L, m)
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``; batch-normalised layers
        (``gamma{l}``, ``beta{l}``) use the batch's statistics.
    activations : sequence of str
        One per layer; the last is the output activation.
    sample_weight : ndarray of shape (m,), default=None
        Weight of each example in the (weighted mean) cost, and in the
        batch-normalised layers' statistics.
    alpha : float, default=0.0
        L2 penalty: ``alpha / (2 * sum(w)) * sum of squared weights`` is added
        to the cost, ``sum(w)`` being ``m`` without sample weights. Only the
        weights ``W{l}`` are penalised: biases and batch normalisation's
        ``gamma{l}`` and ``beta{l}`` are not.
    dropout_masks : list, default=None
        See :func:`skdnn.engine.forward_propagation`.
    workspace : Workspace, default=None
        Buffers reused from step to step; the gradients returned are then
        the workspace's, overwritten by the next step.
    running_stats : dict, default=None
        The batch-normalised layers' running statistics, moved towards this
        batch's (:func:`skdnn.engine.update_running_stats`); ``None`` leaves
        no trace of the batch (as a gradient check needs).
    batch_norm_momentum : float, default=0.9
        The weight of the old running statistics in that average.

    Returns
    -------
    cost : float or 0-d array
        A Python float for NumPy arrays; for other libraries a 0-d array of
        their namespace, so that a GPU need not wait at every step for the
        host to read it.
    grads : dict
        The gradients of the cost: ``dW{l}``, ``db{l}`` for every layer
        (``dgamma{l}``, ``dbeta{l}`` for a batch-normalised one).
    """
    AL, caches = forward_propagation(X, parameters, activations, dropout_masks, workspace,
                                     sample_weight=sample_weight)
    xp = get_namespace(AL)
    loss = LOSSES[LOSS_OF_OUTPUT[activations[-1]]]
    cost = mean_loss_array(loss.per_example(AL, Y), sample_weight)
    if is_numpy(xp):
        cost = float(cost)
    dZL = output_delta(AL, Y, sample_weight, out=buffers(workspace).output_delta(*AL.shape,
                                                                                 AL.dtype))
    grads = backward_propagation(dZL, caches, [*activations[:-1], "identity"], dropout_masks,
                                 workspace)
    if running_stats is not None:
        update_running_stats(running_stats, caches, batch_norm_momentum)
    if alpha:
        total_weight = X.shape[1] if sample_weight is None else float(xp.sum(sample_weight))
        squares = 0.0
        for l in range(1, len(caches) + 1):
            W = parameters[f"W{l}"]
            # NumPy's vdot is BLAS's sum of squares, in its own order.
            squares += float(np.vdot(W, W)) if is_numpy(xp) else xp.sum(W * W)
            grads[f"dW{l}"] += (alpha / total_weight) * W
        cost += 0.5 * alpha * squares / total_weight
    return cost, grads


def draw_dropout_masks(rng, parameters, m, rates):
    """Inverted-dropout masks for the hidden layers of one mini-batch.

    Parameters
    ----------
    rng : numpy.random.RandomState
    parameters : dict
        The network's parameters (for the layer sizes and dtype).
    m : int
        Number of examples in the batch.
    rates : sequence of float
        Dropout rate of each hidden layer; 0 means no mask.

    Returns
    -------
    masks : list of arrays or None
        ``(rng.rand(n_l, m) >= rate) / (1 - rate)`` for each hidden layer,
        drawn by NumPy and put in the namespace and on the device of the
        parameters: the same masks for every array library.
    """
    masks = []
    for l, rate in enumerate(rates, start=1):
        if not rate:
            masks.append(None)
            continue
        W = parameters[f"W{l}"]
        dtype = numpy_dtype(W)
        keep = rng.rand(W.shape[0], m) >= rate
        masks.append(move_like(keep.astype(dtype) / dtype.type(1 - rate), W))
    return masks


def mini_batches(m, batch_size, parameters):
    """Where each mini-batch of an epoch starts and stops, in the epoch's order.

    Batches of ``batch_size`` examples, the last one taking what is left.
    With batch normalisation the rows left over join the last full batch
    instead: the statistics of a few rows are noise, and a step normalised
    by them can undo an epoch's training (PyTorch's ``drop_last`` avoids
    them by dropping the rows).

    Parameters
    ----------
    m : int
        Examples in the epoch.
    batch_size : int or None
        ``None``, or at least ``m``: one batch of every example.
    parameters : dict
        The network (whether it has batch-normalised layers, ``gamma{l}``).

    Returns
    -------
    bounds : list of (int, int)
        ``(start, stop)`` of each batch.
    """
    if batch_size is None or batch_size >= m:
        return [(0, m)]
    bounds = [(start, min(start + batch_size, m)) for start in range(0, m, batch_size)]
    short = bounds[-1][1] - bounds[-1][0] < batch_size
    if short and any(name.startswith("gamma") for name in parameters):
        bounds[-2:] = [(bounds[-2][0], m)]
    return bounds


def _batches(m, batch_size, shuffle, rng, X, parameters):
    # The order is drawn by NumPy's generator whatever the array library, so
    # that a seed gives the same batches everywhere; it moves to the device
    # once per epoch.
    bounds = mini_batches(m, batch_size, parameters)
    if len(bounds) == 1:
        yield slice(None), slice(None)
        return
    order = rng.permutation(m) if shuffle else np.arange(m)
    on_device = move_like(order, X)
    for start, stop in bounds:  # stop <= m: the array API leaves longer slices undefined
        yield order[start:stop], on_device[start:stop]


def _columns(A, index):
    # Columns ``index`` of the course-layout ``A``: rows of the array it is
    # the transpose of.
    if isinstance(index, slice):
        return A
    xp = get_namespace(A)
    if is_numpy(xp):
        return A[:, index]
    return xp.take(A.T, index, axis=0).T


def _entries(a, index):
    # Entries ``index`` of the 1-d ``a`` (sample weights), where ``a`` lives.
    if isinstance(index, slice):
        return a
    xp = get_namespace(a)
    return a[index] if is_numpy(xp) else xp.take(a, index, axis=0)


def _batch_columns(X, index, workspace):
    if isinstance(index, slice):
        return X
    if not isinstance(X, np.ndarray):
        return X[:, index] if is_numpy(get_namespace(X)) else _columns(X, index)
    # X is the transposed view of the (m, n) array the estimator holds. Its
    # rows are gathered from the array as it lies into one reused C-ordered
    # buffer: the same batch, bit for bit, whatever the layout of X, and no
    # memory that grows with m.
    rows = X.T
    if workspace is None:
        return rows[index].T
    out = workspace.batch_rows(len(index), rows.shape[1], rows.dtype)
    if rows.flags.c_contiguous:  # a contiguous copy per example
        return np.take(rows, index, axis=0, out=out, mode="clip").T
    if X.flags.c_contiguous:
        # Column-ordered rows (Fortran order, a DataFrame's values): np.take
        # of rows would copy the whole array first. Each feature's column is
        # contiguous: gather along it, then transpose into the batch buffer.
        by_feature = workspace.batch_features(len(index), rows.shape[1], rows.dtype)
        np.copyto(out, np.take(X, index, axis=1, out=by_feature, mode="clip").T)
        return out.T
    out[...] = rows[index]  # other strides: NumPy's gather, through a batch-sized copy
    return out.T


def _each_followed_by(batches, on_batch):
    # ``on_batch`` runs when the loop asks for the next batch, that is once
    # the step on this one is done; a step that raises closes the generator
    # at its ``yield``, so the hook is not called for it. The loop itself
    # stays the same with or without a hook.
    for batch in batches:
        yield batch
        on_batch()


def train_epoch(X, Y, parameters, activations, optimizer, *, batch_size=None, shuffle=True,
                rng=None, sample_weight=None, alpha=0.0, dropout=None, workspace=None,
                on_batch=None, running_stats=None, batch_norm_momentum=0.9):
    """One pass over the data: a step of ``optimizer`` per mini-batch.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_x, m)
    Y : ndarray of shape (n_L, m)
    parameters : dict
        Updated in place.
    activations : sequence of str
        One per layer.
    optimizer : object
        Has ``update(parameters, grads)``, see :mod:`skdnn.engine.optimizers`.
    batch_size : int or None, default=None
        ``None`` uses all the examples in one step (the course); see
        :func:`mini_batches` for how an epoch is cut.
    shuffle : bool, default=True
        Whether mini-batches are drawn in a new random order each epoch.
    rng : numpy.random.RandomState, default=None
        For shuffling and dropout; needed when either is used.
    sample_weight : ndarray of shape (m,), default=None
    alpha : float, default=0.0
        L2 penalty, see :func:`loss_and_gradients`.
    dropout : sequence of float, default=None
        Dropout rate of each hidden layer.
    workspace : Workspace, default=None
        Buffers reused from step to step.
    on_batch : callable, default=None
        Called with no arguments after each mini-batch, a skipped one
        included (to report progress); ``None`` calls nothing and costs
        nothing.
    running_stats : dict, default=None
        The running statistics of the batch-normalised layers, updated after
        each step (see :func:`loss_and_gradients`).
    batch_norm_momentum : float, default=0.9
        Their momentum.

    Returns
    -------
    cost : float
        Mean of the steps' costs, weighted by the weight of their batches:
        with one batch, the cost before the step, as the course records it.
        A batch whose sample weights are all zero is skipped.
    """
    # The weights' sums decide which batches count: read on the host, once.
    host_weight = None if sample_weight is None else to_numpy(sample_weight)
    costs, weights = [], []
    batches = _batches(X.shape[1], batch_size, shuffle, rng, X, parameters)
    if on_batch is not None:
        batches = _each_followed_by(batches, on_batch)
    # For NumPy the index where X lives is the host's index itself.
    for host_index, index in batches:
        if host_weight is not None and not host_weight[host_index].any():
            continue  # a fully masked batch has no loss to follow: no step, no draw
        Xb, Yb = _batch_columns(X, index, workspace), _columns(Y, index)
        wb = None if sample_weight is None else _entries(sample_weight, index)
        masks = None
        if dropout is not None and any(dropout):
            masks = draw_dropout_masks(rng, parameters, Xb.shape[1], dropout)
        cost, grads = loss_and_gradients(Xb, Yb, parameters, activations, sample_weight=wb,
                                         alpha=alpha, dropout_masks=masks, workspace=workspace,
                                         running_stats=running_stats,
                                         batch_norm_momentum=batch_norm_momentum)
        optimizer.update(parameters, grads)
        costs.append(cost)
        weights.append(Xb.shape[1] if wb is None else float(host_weight[host_index].sum()))
    xp = get_namespace(X)
    if not is_numpy(xp) and costs:
        costs = to_numpy(xp.stack(costs)).astype(np.float64).tolist()  # one wait per epoch
    if len(costs) == 1:
        return costs[0]
    return float(np.dot(costs, weights) / np.sum(weights))
