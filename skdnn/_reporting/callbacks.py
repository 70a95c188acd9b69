"""scikit-learn's callbacks (``sklearn.callback``, scikit-learn 1.9 and later) in a fit.

A fit is one task whose subtasks are its epochs (for ``solver="lbfgs"``, its
iterations); ``partial_fit`` is a task with one epoch. An epoch of several
mini-batches has one subtask per batch, so that a progress bar moves within a
long epoch; an epoch that is a single step (the full batch, L-BFGS) is a leaf.
:class:`FitTask` calls the hooks of the callbacks set on the estimator (or
propagated to it by a ``Pipeline`` or a search) and tells the training loop
when one asks it to stop. A fit without callbacks gets no :class:`FitTask` at
all, so it pays one ``is None`` check per epoch and hands the engine's epoch
no per-batch hook. The fit's monitor (:mod:`skdnn._estimators.fit_monitor`) holds the
task and drives it.

A callback that asks to stop at the end of a batch stops the fit at the end
of that epoch, as Ctrl-C does: the epoch's remaining batches run (and are
reported), so that the model, its ``loss_curve_``, ``n_iter_`` and ``t_``
are those of whole epochs, and the epoch's own hooks run before it stops.

With a scikit-learn older than 1.9 there is no ``sklearn.callback``: the
estimators then have no ``set_callbacks``, and everything else works as before.
"""

try:
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # scikit-learn < 1.9
    CALLBACKS_AVAILABLE = False

    class CallbackSupportMixin:
        """Stands in for ``sklearn.callback.CallbackSupportMixin`` (scikit-learn 1.9)."""

    def with_callbacks(method):
        """Return ``method`` unchanged: without ``sklearn.callback`` there is nothing to tear down.

        Parameters
        ----------
        method : callable

        Returns
        -------
        method : callable
        """
        return method
else:
    CALLBACKS_AVAILABLE = True

__all__ = ["CALLBACKS_AVAILABLE", "CallbackSupportMixin", "FitTask", "with_callbacks"]


class FitTask:
    """The callbacks' view of one fit: a root task, a subtask per epoch, one per batch.

    Build it with :meth:`open`, which returns ``None`` when the estimator
    has no callbacks, so that the training loop can skip all of this.

    Parameters
    ----------
    estimator : BaseLLayer
        The estimator being fitted.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The training data, in scikit-learn's layout (what a scorer takes).
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        The training targets, as given to ``fit``.
    sample_weight : ndarray of shape (n_samples,) or None
        The weights of the loss, passed to the hooks as ``metadata``.
    task_name : str
        ``"fit"`` or ``"partial_fit"``.
    max_epochs : int
        The most epochs (subtasks) the fit can run.
    epoch_name : str
        The name of each subtask: ``"epoch"`` or ``"lbfgs-iter"``.
    n_batches : int
        The batches of each epoch, each a ``"batch"`` subtask of it; 0 when
        an epoch is one step and so a leaf.
    snapshot : callable
        Returns a copy of the estimator's fitted state as of now, from which
        scikit-learn builds the ``fitted_estimator`` of a hook.
    """

    def __init__(self, estimator, X, y, sample_weight, *, task_name, max_epochs, epoch_name,
                 n_batches, snapshot):
        self._estimator = estimator
        self._n_batches = n_batches
        self._batch = None
        self._batches_begun = 0
        self._stop_after_epoch = False
        self._snapshot = snapshot
        self._X = X
        self._y = y
        self._metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self._epoch_name = epoch_name
        self._epoch = None
        self._root = estimator._init_callback_context(task_name=task_name,
                                                      max_subtasks=max_epochs)
        self._root.call_on_fit_task_begin(estimator=estimator, X=X, y=y,
                                          metadata=self._metadata)

    @classmethod
    def open(cls, estimator, X, y, sample_weight, *, task_name, max_epochs, epoch_name,
             n_batches, snapshot):
        """A begun :class:`FitTask`, or ``None`` when the estimator has no callbacks.

        Parameters
        ----------
        estimator, X, y, sample_weight, task_name, max_epochs, epoch_name, n_batches, snapshot
            As for :class:`FitTask`.

        Returns
        -------
        task : FitTask or None
        """
        if not getattr(estimator, "_skl_callbacks", None):
            return None
        return cls(estimator, X, y, sample_weight, task_name=task_name,
                   max_epochs=max_epochs, epoch_name=epoch_name, n_batches=n_batches,
                   snapshot=snapshot)

    def _hook_arguments(self):
        # The snapshot is passed uncalled: scikit-learn copies the arrays only
        # for a callback that asks for ``fitted_estimator``.
        return {"estimator": self._estimator, "X": self._X, "y": self._y,
                "metadata": self._metadata, "reconstruction_attributes": self._snapshot}

    @property
    def batch_hook(self):
        """What the engine's epoch calls after each batch: :meth:`end_batch`, or ``None``.

        ``None`` when an epoch is a leaf (one step): the epoch then runs as
        without callbacks.
        """
        return self.end_batch if self._n_batches else None

    def begin_epoch(self):
        """Open the next epoch's subtask and call ``on_fit_task_begin``; its first batch's too."""
        self._epoch = self._root.subcontext(task_name=self._epoch_name,
                                            max_subtasks=self._n_batches)
        self._epoch.call_on_fit_task_begin(**self._hook_arguments())
        self._stop_after_epoch = False
        self._batches_begun = 0
        if self._n_batches:
            self._begin_batch()

    def _begin_batch(self):
        # A batch's hooks get no data and no fitted estimator: its model is
        # between two steps of an epoch, and a copy per batch would cost as
        # much as the step. ScoringMonitor scores epochs only.
        self._batch = self._epoch.subcontext(task_name="batch")
        self._batch.call_on_fit_task_begin(estimator=self._estimator)
        self._batches_begun += 1

    def end_batch(self):
        """The running batch's step is done: ``on_fit_task_end``, and the next batch begins.

        A request to stop is kept for the end of the epoch (see the module's text).
        """
        batch, self._batch = self._batch, None
        if batch.call_on_fit_task_end(estimator=self._estimator):
            self._stop_after_epoch = True
        if self._batches_begun < self._n_batches:
            self._begin_batch()

    def _end_open_batch(self):
        # A batch begun but never run (an epoch cut short) ends as an empty task.
        if self._batch is not None:
            self._batch.call_on_fit_task_end(estimator=self._estimator)
            self._batch = None

    def end_epoch(self):
        """Call ``on_fit_task_end`` for the epoch that has just run.

        Returns
        -------
        stop : bool
            Whether a callback asks training to stop after this epoch, at
            its end or at the end of one of its batches.
        """
        self._end_open_batch()
        epoch, self._epoch = self._epoch, None
        stop = epoch.call_on_fit_task_end(**self._hook_arguments())
        return stop or self._stop_after_epoch

    def end(self):
        """End the fit task; an epoch begun but never run ends as an empty task first."""
        if self._epoch is not None:
            self._end_open_batch()
            # No data and no fitted estimator: there is nothing to score for it.
            self._epoch.call_on_fit_task_end(estimator=self._estimator)
            self._epoch = None
        self._root.call_on_fit_task_end(**self._hook_arguments())
