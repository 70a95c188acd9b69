"""What ``verbose`` prints during a fit.

``verbose=1`` prints the course's ``Cost after iteration i: c`` every 100
epochs and, during a long fit, a progress line at most every
:data:`PROGRESS_EVERY_S` seconds: the epoch, the cost, the time spent and an
estimate of the time left. ``verbose=2`` prints every epoch with its time.
The clock is :func:`time.perf_counter`, read once per epoch and only when
``verbose`` is on.
"""

from time import perf_counter

PROGRESS_EVERY_S = 10.0
"""float: the longest silence, in seconds, of a fit with ``verbose=1``."""

COURSE_EVERY = 100
"""int: ``verbose=1`` prints the course's line every this many epochs."""


def format_seconds(seconds):
    """A duration for people: ``"14.2 ms"``, ``"4.2 s"``, ``"3 min 07 s"``, ``"2 h 05 min"``.

    Parameters
    ----------
    seconds : float

    Returns
    -------
    text : str
    """
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class EpochPrinter:
    """Prints the lines of ``verbose`` after each epoch of one call to fit.

    Parameters
    ----------
    verbose : int
        The estimator's ``verbose`` (1 or more).
    max_epochs : int
        The most epochs this call can run, for the estimate of the time left.
    may_stop_early : bool
        Whether the fit can stop before ``max_epochs`` (``tol``,
        ``early_stopping``, L-BFGS): the estimate is then an upper bound.
    """

    def __init__(self, verbose, max_epochs, *, may_stop_early):
        self.verbose = verbose
        self.max_epochs = max_epochs
        self.may_stop_early = may_stop_early
        self._epochs_run = 0
        self._start = self._last_print = self._last_epoch_end = perf_counter()

    def __call__(self, iteration, cost):
        """Print what this epoch calls for.

        Parameters
        ----------
        iteration : int
            The estimator's count of epochs before this one (the course's ``i``).
        cost : float
            This epoch's training cost.
        """
        now = perf_counter()
        self._epochs_run += 1
        if self.verbose > 1:
            print(f"Cost after iteration {iteration}: {cost} "
                  f"({format_seconds(now - self._last_epoch_end)}; "
                  f"{format_seconds(now - self._start)} elapsed)")
        elif iteration % COURSE_EVERY == 0:
            print(f"Cost after iteration {iteration}: {cost}")
        elif now - self._last_print >= PROGRESS_EVERY_S:
            print(self._progress_line(iteration, cost, now))
        else:
            self._last_epoch_end = now
            return
        self._last_print = self._last_epoch_end = now

    def _progress_line(self, iteration, cost, now):
        elapsed = now - self._start
        left = elapsed / self._epochs_run * (self.max_epochs - self._epochs_run)
        bound = "at most" if self.may_stop_early else "about"
        return (f"Iteration {iteration} ({self._epochs_run}/{self.max_epochs} of this fit): "
                f"cost {cost:.6g}, {format_seconds(elapsed)} elapsed, {bound} "
                f"{format_seconds(left)} left")
