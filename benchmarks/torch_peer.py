"""The PyTorch CPU peer: plain training loops, as a PyTorch user writes them.

``nn.Sequential`` of ``nn.Linear`` and ``nn.ReLU``, the loss on the logits
(``BCEWithLogitsLoss``, ``CrossEntropyLoss``), ``torch.optim.SGD`` or
``torch.optim.Adam``, and the usual ``zero_grad`` / ``backward`` / ``step``.
The data go in through ``torch.from_numpy`` (no copy). Every function here
needs torch; :func:`available` says whether it can be imported, so that the
benchmarks leave the PyTorch rows out cleanly without it.
"""

import importlib.util

import numpy as np

__all__ = ["adam_epoch", "available", "full_batch_gd", "network", "predict_proba"]


def available():
    """Whether torch can be imported."""
    return importlib.util.find_spec("torch") is not None


def network(parameters, dtype):
    """An ``nn.Sequential`` with the given course-layout weights.

    Parameters
    ----------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``, ``Wl`` of shape ``(n_l, n_{l-1})``:
        ``nn.Linear``'s own layout.
    dtype : dtype
        ``np.float32`` or ``np.float64``.

    Returns
    -------
    model : torch.nn.Sequential
        ReLU after every layer but the last; the last layer gives logits.
    """
    import torch
    from torch import nn

    L = len(parameters) // 2
    layers = []
    for l in range(1, L + 1):
        W = np.asarray(parameters[f"W{l}"], dtype=dtype)
        linear = nn.Linear(W.shape[1], W.shape[0], dtype=getattr(torch, np.dtype(dtype).name))
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W)))
            linear.bias.copy_(torch.from_numpy(np.asarray(parameters[f"b{l}"],
                                                          dtype=dtype).ravel()))
        layers += [linear, nn.ReLU()] if l < L else [linear]
    return nn.Sequential(*layers)


def full_batch_gd(parameters, X, y, learning_rate, n_iter):
    """Full-batch gradient descent on a binary cross-entropy, the course run.

    Parameters
    ----------
    parameters : dict
        Initial weights, see :func:`network`.
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) of 0 and 1
    learning_rate : float
    n_iter : int

    Returns
    -------
    model : torch.nn.Sequential
        The trained network.
    """
    import torch

    model = network(parameters, X.dtype)
    inputs = torch.from_numpy(X)
    targets = torch.from_numpy(np.asarray(y, dtype=X.dtype).reshape(-1, 1))
    loss_function = torch.nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    for _ in range(n_iter):
        optimizer.zero_grad()
        loss_function(model(inputs), targets).backward()
        optimizer.step()
    return model


def adam_epoch(parameters, X, y, batch_size, learning_rate, seed=0):
    """One shuffled epoch of mini-batch Adam on a softmax cross-entropy.

    Parameters
    ----------
    parameters : dict
        Initial weights, see :func:`network`.
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) of int class indices
    batch_size : int
    learning_rate : float
    seed : int, default=0
        Seed of the shuffle.

    Returns
    -------
    model : torch.nn.Sequential
    """
    import torch

    model = network(parameters, X.dtype)
    inputs, targets = torch.from_numpy(X), torch.from_numpy(np.asarray(y, dtype=np.int64))
    loss_function = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    order = torch.randperm(X.shape[0], generator=torch.Generator().manual_seed(seed))
    for batch in torch.split(order, batch_size):
        optimizer.zero_grad()
        loss_function(model(inputs[batch]), targets[batch]).backward()
        optimizer.step()
    return model


def predict_proba(model, X):
    """Class probabilities of a classifier's logits, as a NumPy array.

    Two columns (``1 - p``, ``p``) for a one-logit network, a softmax
    otherwise, in inference mode (no autograd records).
    """
    import torch

    with torch.inference_mode():
        logits = model(torch.from_numpy(X))
        if logits.shape[1] == 1:
            p = torch.sigmoid(logits)
            return torch.cat([1 - p, p], dim=1).numpy()
        return torch.softmax(logits, dim=1).numpy()
