"""When training stops or fails: patience, divergence, floating-point errors.

Shared by every solver's loop in :mod:`skdnn._fitting` (the log through
:mod:`skdnn._fit_monitor`), and free of estimators.
"""

import numpy as np
from sklearn.model_selection import train_test_split

from . import engine
from ._validation_data import Validation


def count_no_improvement(count, best, value, tol):
    """One epoch of patience, for ``tol`` and ``early_stopping`` alike.

    Parameters
    ----------
    count : int
        Epochs without an improvement of more than ``tol`` so far.
    best : float
        The best value so far (higher is better).
    value : float
        This epoch's value.
    tol : float
        The improvement that resets the count.

    Returns
    -------
    count : int
    best : float
    is_best : bool
        Whether ``value`` is the best so far.
    """
    count = 0 if value > best + tol else count + 1
    return count, max(best, value), value > best


class TrainingDiverged(ValueError):
    """Raised inside a fit when the loss or the parameters become non-finite."""


class FloatingPointLog:
    """``np.errstate`` callback: the epochs with a floating-point error, and notes for the end.

    Attributes
    ----------
    epoch : int
        The epoch running now, set by the training loop.
    epochs : list of int
        The epochs in which NumPy reported overflow, invalid or divide errors.
    notes : list of str
        What the fit has to say at its end (a limit reached, a recovery).
    final_loss : float or None
        The loss on the training rows of the model the fit returns, where
        that is not the last epoch's (the best model, kept after a
        divergence); ``None`` otherwise.
    """

    def __init__(self):
        self.epoch = 0
        self.epochs = []
        self.notes = []
        self.final_loss = None

    def __call__(self, kind, flag):
        if not self.epochs or self.epochs[-1] != self.epoch:
            self.epochs.append(self.epoch)


def held_out_size(validation_fraction, n_samples):
    """How many samples ``early_stopping`` holds out; a ``ValueError`` when too few.

    Parameters
    ----------
    validation_fraction : float
    n_samples : int

    Returns
    -------
    n_held_out : int
    """
    n_held_out = int(np.ceil(validation_fraction * n_samples))
    if n_held_out < 2 or n_samples - n_held_out < 1:
        raise ValueError(f"validation_fraction={validation_fraction} of "
                         f"{n_samples} samples holds out {n_held_out}: early_stopping "
                         "needs at least 2 held-out samples and 1 to train on; change "
                         "validation_fraction or pass more samples.")
    return n_held_out


def split_validation(X, Y, y, sample_weight, n_held_out, validation_fraction, *, stratify,
                     random_state):
    """Hold out ``n_held_out`` samples for ``early_stopping``.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        The encoded targets.
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        The targets as given.
    sample_weight : ndarray of shape (n_samples,) or None
    n_held_out : int
    validation_fraction : float
        For the message of a split that fails.
    stratify : bool
        Whether to stratify by ``y`` (a classifier's 1-D labels).
    random_state : RandomState instance

    Returns
    -------
    X, Y, y, sample_weight
        The training part.
    validation : Validation
        The held-out rows, unweighted.
    """
    # The split is drawn on row numbers (the same split as of the arrays
    # themselves), so that X's rows are taken where X lives.
    try:
        train, held_out = train_test_split(np.arange(X.shape[0]), test_size=n_held_out,
                                           stratify=y if stratify else None,
                                           random_state=random_state)
    except ValueError as exc:
        raise ValueError(f"early_stopping cannot hold out validation_fraction="
                         f"{validation_fraction} of the data: {exc}") from exc
    weights = None if sample_weight is None else sample_weight[train]
    return (engine.take_rows(X, train), Y[train], y[train], weights,
            Validation(engine.take_rows(X, held_out), Y[held_out], y[held_out]))

