"""When training stops or fails: patience, divergence, floating-point errors.

Shared by every solver's loop in :mod:`skdnn._base`, and free of estimators.
"""


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
    """

    def __init__(self):
        self.epoch = 0
        self.epochs = []
        self.notes = []

    def __call__(self, kind, flag):
        if not self.epochs or self.epochs[-1] != self.epoch:
            self.epochs.append(self.epoch)
