"""scikit-learn's callbacks (``sklearn.callback``, scikit-learn 1.9 and later) in a fit.

A fit is one task whose subtasks are its epochs (for ``solver="lbfgs"``, its
iterations); ``partial_fit`` is a task with one epoch. :class:`FitTask` calls
the hooks of the callbacks set on the estimator (or propagated to it by a
``Pipeline`` or a search) and tells the training loop when one asks it to
stop. A fit without callbacks gets no :class:`FitTask` at all, so it pays one
``is None`` check per epoch. The fit's monitor (:mod:`skdnn._fit_monitor`)
holds the task and drives it.

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
    """The callbacks' view of one fit: a root task and one subtask per epoch.

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
    snapshot : callable
        Returns a copy of the estimator's fitted state as of now, from which
        scikit-learn builds the ``fitted_estimator`` of a hook.
    """

    def __init__(self, estimator, X, y, sample_weight, *, task_name, max_epochs, epoch_name,
                 snapshot):
        self._estimator = estimator
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
             snapshot):
        """A begun :class:`FitTask`, or ``None`` when the estimator has no callbacks.

        Parameters
        ----------
        estimator, X, y, sample_weight, task_name, max_epochs, epoch_name, snapshot
            As for :class:`FitTask`.

        Returns
        -------
        task : FitTask or None
        """
        if not getattr(estimator, "_skl_callbacks", None):
            return None
        return cls(estimator, X, y, sample_weight, task_name=task_name,
                   max_epochs=max_epochs, epoch_name=epoch_name, snapshot=snapshot)

    def _hook_arguments(self):
        # The snapshot is passed uncalled: scikit-learn copies the arrays only
        # for a callback that asks for ``fitted_estimator``.
        return {"estimator": self._estimator, "X": self._X, "y": self._y,
                "metadata": self._metadata, "reconstruction_attributes": self._snapshot}

    def begin_epoch(self):
        """Open the next epoch's subtask and call ``on_fit_task_begin``."""
        self._epoch = self._root.subcontext(task_name=self._epoch_name)
        self._epoch.call_on_fit_task_begin(**self._hook_arguments())

    def end_epoch(self):
        """Call ``on_fit_task_end`` for the epoch that has just run.

        Returns
        -------
        stop : bool
            Whether a callback asks training to stop after this epoch.
        """
        epoch, self._epoch = self._epoch, None
        return epoch.call_on_fit_task_end(**self._hook_arguments())

    def end(self):
        """End the fit task; an epoch begun but never run ends as an empty task first."""
        if self._epoch is not None:
            # No data and no fitted estimator: there is nothing to score for it.
            self._epoch.call_on_fit_task_end(estimator=self._estimator)
            self._epoch = None
        self._root.call_on_fit_task_end(**self._hook_arguments())

