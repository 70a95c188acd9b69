"""One fit's lifecycle and observers: all or nothing, Ctrl-C keeps the work.

:func:`run_fit` runs a fit all or nothing: it copies the fitted state first
and puts it back if the fit raises, callbacks' teardown included, so that a
failed fit leaves the previous model (or an unfitted estimator) as it was.
What the fitted state is, is one rule: the attributes named by the
estimator's ``_fitted_schema`` (:mod:`skdnn._model_files.schema`), copied by
the estimator's ``_snapshot_fitted_state`` for the rollback, for the
callbacks' view of each epoch and for an interrupted epoch.

:class:`FitMonitor` is the one object the training loops report to: it
gathers the floating-point log (:class:`skdnn._estimators.stopping.FloatingPointLog`),
the callbacks' task (:class:`skdnn._reporting.callbacks.FitTask`) and the ``verbose``
printer (:class:`skdnn._reporting.verbose.EpochPrinter`), and handles Ctrl-C.

Ctrl-C keeps the work, as scikit-learn's MLP does. While the loops run in
the main thread under Python's own SIGINT handler, the monitor defers a
Ctrl-C to the end of the running epoch (or L-BFGS iteration), which the fit
completes before it stops, so that what is kept is a completed epoch and
nothing is copied per epoch. Under another SIGINT handler (which may raise
``KeyboardInterrupt`` anywhere) the monitor copies the fitted state at the
start of each epoch and puts it back when an epoch is cut short. A second
Ctrl-C in the same epoch, or any ``KeyboardInterrupt`` cut into an epoch
without such a copy, abandons the fit: it is rolled back and the interrupt
goes on. A fit interrupted before it completed an epoch is rolled back too.
"""

import contextlib
import copy
import signal
import sys
import threading
import warnings

import numpy as np

from .. import engine
from .._reporting.callbacks import FitTask, with_callbacks
from .stopping import FloatingPointLog
from .._reporting.verbose import EpochPrinter
from .._reporting.warnings import user_stacklevel

INTERRUPTED = "Training interrupted by user."
"""str: the start of the warning of a fit that Ctrl-C stopped (scikit-learn's words)."""


def run_fit(estimator, fit, *args):
    """Call ``fit(estimator, *args)`` all or nothing, the callbacks' teardown included.

    Parameters
    ----------
    estimator : BaseLLayer
    fit : callable
        Trains ``estimator``; its callbacks are torn down when it ends.
    *args
        Passed to ``fit``.

    Returns
    -------
    estimator : BaseLLayer
    """
    saved = estimator._snapshot_fitted_state()
    try:
        with_callbacks(fit)(estimator, *args)
    except BaseException:
        estimator._restore_fitted_state(saved)
        raise
    return estimator


def _mini_batches(estimator, n_samples):
    """The batches of one epoch, 0 when it is one step (the full batch)."""
    bounds = engine.mini_batches(n_samples, estimator._batch_size(), estimator.parameters_)
    return len(bounds) if len(bounds) > 1 else 0


class FitMonitor:
    """What one call to fit reports to, epoch by epoch; see the module's text.

    Build it with :meth:`open`; the loops call :meth:`begin_epoch` and
    :meth:`end_epoch` around each epoch, inside :meth:`watching`.

    Parameters
    ----------
    estimator : BaseLLayer
    task : FitTask or None
        The callbacks' task (``None`` without callbacks).
    printer : EpochPrinter or None
        ``verbose``'s printer (``None`` when quiet).

    Attributes
    ----------
    log : FloatingPointLog
        The epochs with a floating-point error, and the notes for the end.
    interrupted : bool
        Whether Ctrl-C stopped the fit (its model is then kept).
    best_network : dict or None
        With early stopping, the network of the best epoch so far (the
        estimator's ``_snapshot_network``): the model an interrupted fit keeps.
    batch_hook : callable or None
        For :func:`skdnn.engine.train_epoch`'s ``on_batch``: reports each
        mini-batch to the callbacks; ``None`` without callbacks or when an
        epoch is one step.
    """

    def __init__(self, estimator, task, printer):
        self._estimator = estimator
        self._task = task
        self._printer = printer
        self.log = FloatingPointLog()
        self.interrupted = False
        self.best_network = None
        self._first_epoch = estimator.n_iter_
        self._in_epoch = False
        self._ctrl_c = False  # a deferred Ctrl-C, acted on at the end of the epoch
        self._copy_each_epoch = False
        self._epoch_start = None
        self.batch_hook = None if task is None else task.batch_hook

    @classmethod
    def open(cls, estimator, X, y, sample_weight, *, max_epochs, incremental):
        """The monitor of one call to fit; the callbacks' fit task begins here.

        Parameters
        ----------
        estimator : BaseLLayer
        X, y, sample_weight
            As the callbacks' hooks receive them.
        max_epochs : int
            The most epochs (or L-BFGS iterations) this call can run.
        incremental : bool
            Whether this is ``partial_fit``.

        Returns
        -------
        monitor : FitMonitor
        """
        lbfgs = estimator.solver == "lbfgs"
        task = FitTask.open(estimator, X, y, sample_weight, max_epochs=max_epochs,
                            task_name="partial_fit" if incremental else "fit",
                            epoch_name="lbfgs-iter" if lbfgs else "epoch",
                            n_batches=0 if lbfgs else _mini_batches(estimator, X.shape[0]),
                            snapshot=lambda: estimator._snapshot_fitted_state())
        printer = (EpochPrinter(estimator.verbose, max_epochs,
                                may_stop_early=lbfgs or estimator._stopping_enabled())
                   if estimator.verbose else None)
        return cls(estimator, task, printer)

    @contextlib.contextmanager
    def watching(self):
        """Around the loops: NumPy's errors logged, Ctrl-C deferred or copied for.

        NumPy's error state and the SIGINT handler are put back on the way
        out, whatever happens.
        """
        handler = None
        if threading.current_thread() is threading.main_thread():
            handler = signal.getsignal(signal.SIGINT)
            if handler is signal.default_int_handler:
                signal.signal(signal.SIGINT, self._on_ctrl_c)
            else:
                # Only Python's own handler is known to raise nowhere but here;
                # another one may cut an epoch short, so each epoch is copied.
                self._copy_each_epoch = callable(handler)
                handler = None
        try:
            with np.errstate(over="call", invalid="call", divide="call", call=self.log):
                yield self
        finally:
            if handler is not None:
                signal.signal(signal.SIGINT, handler)
            self.interrupted = self.interrupted or self._ctrl_c

    def _on_ctrl_c(self, signum, frame):
        if self._in_epoch and not self._ctrl_c:
            self._ctrl_c = True
            try:  # an epoch may be long: say that Ctrl-C was heard
                sys.stderr.write(f"{type(self._estimator).__name__}: stopping at the end of "
                                 "this epoch; Ctrl-C again abandons the fit (the estimator "
                                 "is then left as it was before it).\n")
            except (OSError, RuntimeError, AttributeError, ValueError):
                pass  # no stderr, or one being written to right now
            return
        raise KeyboardInterrupt  # between epochs, or pressed again: at once

    def begin_epoch(self, epoch=None):
        """An epoch (or L-BFGS iteration) begins; ``epoch`` is the floating-point log's."""
        if epoch is not None:
            self.log.epoch = epoch
        if self._task is not None:
            self._task.begin_epoch()
        if self._copy_each_epoch:
            self._epoch_start = (self._estimator._snapshot_fitted_state(),
                                 copy.deepcopy(self.best_network))
        self._in_epoch = True

    def epoch_recorded(self, iteration, cost):
        """The epoch's cost is recorded: ``verbose``'s lines."""
        if self._printer is not None:
            self._printer(iteration, cost)

    def overflowed_this_epoch(self):
        """Whether NumPy reported a floating-point error in the running epoch."""
        epochs = self.log.epochs
        return bool(epochs) and epochs[-1] == self.log.epoch

    def note(self, text):
        """Something for the end-of-fit warning (a limit reached, a recovery)."""
        self.log.notes.append(text)

    def end_epoch(self, is_best=False):
        """The epoch is complete: the callbacks' hooks; whether training stops now.

        Parameters
        ----------
        is_best : bool, default=False
            Whether the epoch is the best so far by validation score: its
            network is then copied as :attr:`best_network`.

        Returns
        -------
        stop : bool
            Whether a callback or Ctrl-C asks training to stop.
        """
        if is_best:
            self.best_network = self._estimator._snapshot_network()
        self._in_epoch = False
        stop = self._task is not None and self._task.end_epoch()
        return stop or self._ctrl_c

    def keep_after_interrupt(self, undone=False):
        """Called from a loop's ``except KeyboardInterrupt``: keep what can be kept.

        A ``KeyboardInterrupt`` between epochs keeps the model of the last one;
        one that cut an epoch short keeps it only when that epoch's start was
        copied (see the module's text). Otherwise, or when no epoch of this
        fit completed, the interrupt is raised again and the fit rolls back.

        Parameters
        ----------
        undone : bool, default=False
            Whether the loop has itself put back the state of the last
            completed epoch (L-BFGS keeps its last iterate).
        """
        if self._in_epoch and not undone:
            if self._epoch_start is None:
                raise
            state, self.best_network = self._epoch_start
            self._estimator._restore_fitted_state(state)
        self._in_epoch = False
        if self._estimator.n_iter_ == self._first_epoch:
            raise
        self.interrupted = True

    def warn_interrupted(self):
        """The warning of a fit that Ctrl-C stopped; says which model is kept."""
        est = self._estimator
        kept = ("the best by validation score" if est.validation_scores_ and
                self.best_network is not None else "the last")
        warnings.warn(f"{INTERRUPTED} {type(est).__name__} keeps its model after "
                      f"{est.n_iter_} iterations ({kept}): as a fit with max_iter="
                      f"{est.n_iter_} would.", UserWarning, stacklevel=user_stacklevel())

    def lbfgs_callback(self, record, max_iterations):
        """SciPy's per-iteration callback: L-BFGS's iterations are the epochs.

        SciPy reports the end of each iteration only, so each report ends one
        epoch and begins the next; the first begins here, and one that SciPy
        never runs (it converged) is ended, empty, by :meth:`close`.

        Parameters
        ----------
        record : callable
            Called with each iteration's cost, first.
        max_iterations : int
            SciPy's ``maxiter``: no epoch begins after the last one.

        Returns
        -------
        callback : callable
            Takes the cost; raises ``StopIteration`` (which ends SciPy's
            minimisation at this iterate) when training is to stop.
        """
        self.begin_epoch()
        iterations_run = 0

        def after_iteration(cost):
            nonlocal iterations_run
            record(cost)
            iterations_run += 1
            if self.end_epoch():
                raise StopIteration
            if iterations_run < max_iterations:
                self.begin_epoch()

        return after_iteration

    def close(self):
        """End the callbacks' fit task (their teardown follows, in :func:`run_fit`)."""
        if self._task is not None:
            self._task.end()
