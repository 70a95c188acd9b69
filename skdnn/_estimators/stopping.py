"""When training stops or fails: patience, divergence, floating-point errors.

Shared by every solver's loop in :mod:`skdnn._estimators.fitting` (the log through
:mod:`skdnn._estimators.fit_monitor`), and free of estimators.
"""

import numpy as np
from sklearn.model_selection import train_test_split

from .. import engine
from .validation_data import Validation


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


class HeldOutRecord:
    """Early stopping's patience and best epoch, by the held-out score and loss together.

    On small data the held-out score is coarse (on 12 held-out samples,
    accuracy moves in steps of 1/12) and an epoch of ``batch_size=200`` is
    one step: the score can stay flat for ``n_iter_no_change`` epochs while
    the model still improves, and patience used to run out after a dozen
    epochs (iris: 0.68 accuracy instead of 0.93). So an epoch counts as an
    improvement when the score rises by more than ``tol`` *or* the held-out
    loss falls by more than ``tol``, and among epochs of the best score the
    one of the lowest held-out loss is the best.

    Parameters
    ----------
    scores, losses : list of float
        The held-out scores and losses of the earlier epochs (a warm start's
        or a loaded model's included), so that they count as they did.
    best_score : float
        The best held-out score so far.

    Attributes
    ----------
    best_score : float
    best_loss : float
        The lowest held-out loss so far.
    best_score_loss : float
        The lowest held-out loss among the epochs of ``best_score``.
    """

    def __init__(self, scores, losses, best_score):
        self.best_score = best_score
        self.best_loss = min(losses, default=np.inf)
        self.best_score_loss = min((loss for score, loss in zip(scores, losses)
                                    if score == best_score), default=np.inf)

    def update(self, count, score, loss, tol):
        """Count one epoch of patience; return ``(count, is_best)``.

        Parameters
        ----------
        count : int
            Epochs without improvement so far.
        score, loss : float
            This epoch's held-out score (higher is better) and loss.
        tol : float

        Returns
        -------
        count : int
        is_best : bool
            Whether this epoch's model is the best so far.
        """
        improved = score > self.best_score + tol or loss < self.best_loss - tol
        is_best = score > self.best_score or (score == self.best_score
                                              and loss < self.best_score_loss)
        if is_best:
            self.best_score, self.best_score_loss = score, loss
        self.best_loss = min(self.best_loss, loss)
        return (0 if improved else count + 1), is_best


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

