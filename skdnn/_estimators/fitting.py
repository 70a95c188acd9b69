"""How the L-layer estimators fit: all or nothing, epoch by epoch, saying what went wrong.

A fit is all or nothing, and Ctrl-C keeps the work: :mod:`skdnn._estimators.fit_monitor`
owns that lifecycle, and the one object the loops report each epoch to. Its
epochs are the subtasks of scikit-learn's callbacks (:mod:`skdnn._reporting.callbacks`)
and what ``verbose`` reports on (:mod:`skdnn._reporting.verbose`); at its end,
:mod:`skdnn._reporting.diagnostics` looks for the symptoms of a useless model and one
``ConvergenceWarning`` names them.

:class:`FittingMixin` is one half of :class:`skdnn._estimators.base.BaseLLayer`: it uses
the settings, encoders and optimiser factory the estimator defines.
"""

import functools
import warnings

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, validate_data

from . import schedules
from .. import engine
from .._reporting import diagnostics
from .array_api import namespace_and_device, to_device, to_host
from .fit_monitor import FitMonitor, run_fit
from .._model_files.entries import FitStart
from .lbfgs import minimize_lbfgs
from .same_model import check_same_network, check_same_outputs, continues, follow_settings
from .stopping import (HeldOutRecord, TrainingDiverged, count_no_improvement, held_out_size,
                        split_validation)
from .validation_data import check_validation_data, validation_score
from .._reporting.warnings import user_stacklevel


class FittingMixin:
    """The fit of :class:`skdnn._estimators.base.BaseLLayer`; not meant to be used alone."""

    def _fitted_state(self):
        """The fitted attributes present now, by the table of ``_fitted_schema``."""
        return {name: getattr(self, name) for name in self._fitted_attribute_names()
                if hasattr(self, name)}

    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None,
             validation_data=(None, None, None)):
        return run_fit(self, type(self)._fit_or_raise, X, y, sample_weight, incremental,
                       classes, validation_data)

    def _validate_inputs(self, X, y, sample_weight, reset):
        """``X`` where it lives (:mod:`skdnn._estimators.array_api`); ``y``, weights on the host."""
        xp, _, _ = namespace_and_device(X)
        X, y = validate_data(self, X, y, reset=reset, accept_sparse=["csr", "csc"],
                             dtype=[xp.float64, xp.float32], multi_output=True)
        y = to_host(y)
        if sample_weight is not None:
            sample_weight = to_host(_check_sample_weight(sample_weight, X, dtype=X.dtype))
            if np.any(sample_weight < 0):
                raise ValueError("sample_weight must be non-negative.")
        return X, y, sample_weight

    def _fit_or_raise(self, X, y, sample_weight, incremental, classes, validation_data):
        self._validate_params()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True (as "
                             "scikit-learn's MLP): set early_stopping=False.")
        hidden_activations, dropout, batch_norm = self._check_settings()
        first_call = not continues(self, incremental)
        if not first_call:
            check_same_network(self, hidden_activations, batch_norm, incremental)
        X, y, sample_weight = self._validate_inputs(X, y, sample_weight, reset=first_call)
        Y, out_activation = self._encode_targets(y, first_call, classes,
                                                 warm_start=not (first_call or incremental))
        if not first_call:
            check_same_outputs(self, Y.shape[1], incremental)
        given = check_validation_data(self, X, *validation_data)
        sample_weight = self._weigh_samples(y, sample_weight, incremental)
        Y = self._scale_targets(Y, sample_weight, first_call)
        xp, device, on_numpy = namespace_and_device(X)
        host_dtype = X.dtype if on_numpy else engine.to_numpy(X[:1, :1]).dtype
        Y = Y.astype(host_dtype, copy=False)
        hold_out = (self.early_stopping and not incremental and self.solver != "lbfgs"
                    and given is None)
        if hold_out:
            n_held_out = held_out_size(self.validation_fraction, X.shape[0])
        if first_call:
            self._initialize(X.shape[1], Y.shape[1], out_activation, host_dtype,
                             validating=hold_out or given is not None)
        follow_settings(self, X.dtype, xp, device, validating=hold_out or given is not None)
        validation = (None if given is None
                      else given._replace(Y=self._scale_targets(given.Y, None, False)
                                          .astype(host_dtype, copy=False)))
        if hold_out:
            X, Y, y, sample_weight, validation = split_validation(
                X, Y, y, sample_weight, n_held_out, self.validation_fraction,
                stratify=is_classifier(self) and np.ndim(y) == 1, random_state=self._random_state)
        Y_host = Y
        if not on_numpy:  # the targets and weights move once, the validation rows stay
            Y, sample_weight = to_device(Y, xp, device), to_device(sample_weight, xp, device)
        activations = [*hidden_activations, self.out_activation_]
        first_epoch = self.n_iter_
        monitor = FitMonitor.open(self, X, y, sample_weight, incremental=incremental,
                                  max_epochs=1 if incremental else self.max_iter)
        with monitor.watching():
            if self.solver == "lbfgs":
                self._run_lbfgs(X.T, Y.T, activations, sample_weight, monitor)
            else:
                self._run_epochs(X.T, Y.T, activations, dropout, sample_weight, validation,
                                 1 if incremental else self.max_iter, monitor)
        if not (monitor.interrupted or incremental):
            try:
                self._warn_symptoms(X.T, Y_host.T, activations, to_host(sample_weight),
                                    first_epoch, monitor.log)
            except KeyboardInterrupt:  # training is complete: only its diagnosis is cut
                monitor.interrupted = True
        if monitor.interrupted:
            monitor.warn_interrupted()
        monitor.close()

    def _initialize(self, n_features, n_outputs, out_activation, dtype, validating=False):
        """Start a new model: every fitted attribute from its entry in ``_fitted_schema``."""
        if self.init == "zeros":
            warnings.warn(diagnostics.SYMMETRIC_WEIGHTS, UserWarning,
                          stacklevel=user_stacklevel())
        self._start_fitted_state(FitStart(
            layer_sizes=(n_features, *self._layer_sizes(), n_outputs),
            out_activation=out_activation, dtype=dtype,
            random_state=check_random_state(self.random_state), validating=validating))

    def _run_epochs(self, X, Y, activations, dropout, sample_weight, validation, n_epochs,
                    monitor):
        """Train for up to ``n_epochs`` on course-layout ``X``, ``Y``; a callback may stop it.

        With early stopping, the best model by validation score is kept, also
        when Ctrl-C or a callback stops training.
        """
        try:
            self._epoch_loop(X, Y, activations, dropout if any(dropout) else None,
                             sample_weight, validation, n_epochs, monitor)
        except KeyboardInterrupt:
            monitor.keep_after_interrupt()
        if monitor.best_network is not None:
            self._restore_network(monitor.best_network)

    def _epoch_loop(self, X, Y, activations, dropout, sample_weight, validation, n_epochs,
                    monitor):
        workspace = engine.workspace_for(X)
        record = None if validation is None else HeldOutRecord(
            self.validation_scores_, self.validation_loss_curve_, self.best_validation_score_)
        for _ in range(n_epochs):
            self._optimizer.learning_rate = schedules.epoch_learning_rate(
                self.learning_rate, self.decay_rate, self.schedule, self.power_t, self.n_iter_,
                self.t_, self._learning_rate_divisions, self.decay_interval)
            monitor.begin_epoch(self.n_iter_)
            try:
                cost = engine.train_epoch(
                    X, Y, self.parameters_, activations, self._optimizer,
                    batch_size=self._batch_size(), shuffle=self.shuffle, rng=self._random_state,
                    sample_weight=sample_weight, alpha=self.alpha, dropout=dropout,
                    workspace=workspace, on_batch=monitor.batch_hook,
                    running_stats=self.running_stats_,
                    batch_norm_momentum=self.batch_norm_momentum)
                self._record_epoch(cost, X.shape[1], monitor)
                if monitor.overflowed_this_epoch() and not all(
                        np.isfinite(to_host(p)).all() for p in self.parameters_.values()):
                    raise TrainingDiverged(self._divergence_message(
                        "The parameters became non-finite"))
                is_best = self._after_epoch(cost, validation, activations, record)
            except TrainingDiverged as exc:
                if monitor.best_network is None:
                    raise
                self._keep_best_after_divergence(exc, monitor, X, Y, activations,
                                                 sample_weight)
                return
            if monitor.end_epoch(is_best and validation is not None):
                return
            # As MLPClassifier counts: n_iter_no_change epochs without improvement
            # are tolerated, the next one acts.
            if self._no_improvement_count > self.n_iter_no_change:
                if schedules.adaptive_divides(self.schedule, self._optimizer.learning_rate):
                    self._learning_rate_divisions += 1
                    self._no_improvement_count = 0
                    if self.verbose:
                        print(f"No improvement for {self.n_iter_no_change} iterations: "
                              "dividing the learning rate by 5.")
                elif self._stopping_enabled():
                    if self.verbose:
                        print(f"No improvement for {self.n_iter_no_change} iterations: "
                              "stopping.")
                    return
        if self._stopping_enabled() and n_epochs > 1:
            monitor.note(f"maximum iterations (max_iter={self.max_iter}) reached and the "
                         "optimisation hasn't converged yet (tol); raise max_iter or tol")

    def _run_lbfgs(self, X, Y, activations, sample_weight, monitor):
        record = functools.partial(self._record_epoch, n_samples=X.shape[1], monitor=monitor)
        # SciPy's L-BFGS works on NumPy arrays: the data and the model cross
        # to the host once, and the model goes back at the end.
        xp, device, on_numpy = namespace_and_device(self.parameters_["W1"])
        parameters = {k: to_host(v) for k, v in self.parameters_.items()}
        running_stats = {k: to_host(v) for k, v in self.running_stats_.items()}
        try:
            result = minimize_lbfgs(to_host(X), to_host(Y), parameters, activations,
                                    sample_weight=to_host(sample_weight), alpha=self.alpha,
                                    max_iter=self.max_iter, max_fun=self.max_fun, tol=self.tol,
                                    callback=monitor.lbfgs_callback(record, self.max_iter),
                                    running_stats=running_stats)
        except KeyboardInterrupt:
            # minimize_lbfgs put back the last completed iteration, which is recorded.
            monitor.keep_after_interrupt(undone=True)
            self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])
            return
        finally:
            self.running_stats_ = running_stats
            if not on_numpy:
                self.parameters_ = {k: to_device(v, xp, device) for k, v in parameters.items()}
                self.running_stats_ = {k: to_device(v, xp, device)
                                       for k, v in running_stats.items()}
        if not np.isfinite(result.fun):
            raise TrainingDiverged(self._divergence_message(f"The loss became {result.fun}"))
        self.best_loss_ = min(self.best_loss_, float(result.fun))
        # SciPy's status 99 is a callback's request to stop, not a failure to converge.
        if result.status not in (0, 99):
            monitor.note(f"lbfgs stopped after {result.nit} iterations without converging "
                         f"(scipy: {str(result.message).strip()}); raise max_iter or "
                         "max_fun, or scale X (StandardScaler)")

    def _keep_best_after_divergence(self, exc, monitor, X, Y, activations, sample_weight):
        """Return to the best model; the diverged epoch is not recorded.

        ``n_iter_``, ``t_``, ``loss_curve_`` and the validation curves count
        the epochs that ended with finite results, as when the loss itself
        is what diverged (it is checked before the epoch is recorded). The
        warning reports the loss of the kept model's outputs on the training
        rows (chunked, as predict; without dropout and, as the constant
        baseline it is compared with, without the L2 term), not the diverged
        epoch's.
        """
        log = monitor.log
        if self.n_iter_ > log.epoch:  # recorded before its parameters or outputs were checked
            self.n_iter_ -= 1
            self.t_ -= X.shape[1]
            self.loss_curve_.pop()
        del self.validation_loss_curve_[len(self.validation_scores_):]
        self._restore_network(monitor.best_network)
        loss = engine.LOSSES[engine.LOSS_OF_OUTPUT[activations[-1]]]
        with np.errstate(all="ignore"):
            outputs = to_host(self._outputs(X.T))
            log.final_loss = float(np.average(loss.per_example(outputs.T, to_host(Y)),
                                              weights=to_host(sample_weight)))
        self._optimizer = self._new_optimizer()  # its state holds the divergence
        monitor.note(f"{str(exc).rstrip('.')}; the best model so far, by its validation "
                     "score, is kept")

    def _divergence_message(self, what):
        return (f"{what} at iteration {self.n_iter_}: training diverged. "
                f"Lower learning_rate (now {self.learning_rate}) or, with solver='momentum' or "
                "'adam', check momentum/beta_1/beta_2; unscaled inputs (use StandardScaler) "
                "are another common cause.")

    def _record_epoch(self, cost, n_samples, monitor):
        if not np.isfinite(cost):
            raise TrainingDiverged(self._divergence_message(f"The loss became {cost}"))
        self.n_iter_ += 1
        self.t_ += n_samples
        self.loss_curve_.append(cost)
        monitor.epoch_recorded(self.n_iter_ - 1, cost)

    def _stopping_enabled(self):
        return self.tol is not None or self.early_stopping

    def _after_epoch(self, cost, validation, activations, record):
        """Record the validation scores, count patience; return whether this epoch is the best.

        The validation set (held out, or given to fit) decides patience and
        the best epoch with ``early_stopping`` (``record``, this fit's
        :class:`~skdnn._estimators.stopping.HeldOutRecord`); without it, its curves are
        only recorded and patience counts the training loss.
        """
        tol = self.tol or 0.0
        if validation is not None:
            score, validation_loss = self._record_validation(validation, activations)
        if validation is None or not self.early_stopping:
            if validation is not None:
                self.best_validation_score_ = max(self.best_validation_score_, score)
            self._no_improvement_count, best, _ = count_no_improvement(
                self._no_improvement_count, -self.best_loss_, -cost, tol)
            self.best_loss_ = -best
            return False
        self.best_loss_ = min(cost, self.best_loss_)  # once the epoch is known to be finite
        self._no_improvement_count, is_best = record.update(
            self._no_improvement_count, score, validation_loss, tol)
        self.best_validation_score_ = record.best_score
        return is_best

    def _record_validation(self, validation, activations):
        """Append this epoch's validation loss and score; return both."""
        outputs = to_host(self._outputs(validation.X))  # scored on the host, as the labels are
        if not np.isfinite(outputs).all():
            # Before scoring: the metrics refuse NaN with a message about the input.
            raise TrainingDiverged(self._divergence_message(
                "The outputs on the validation set became non-finite"))
        loss = engine.LOSSES[engine.LOSS_OF_OUTPUT[activations[-1]]]
        per_example = loss.per_example(outputs.T, validation.Y.T)
        validation_loss = float(np.mean(per_example) if validation.sample_weight is None
                                else np.average(per_example, weights=validation.sample_weight))
        score = validation_score(self, outputs, validation_loss, validation)
        if not np.isfinite(score):
            raise TrainingDiverged(self._divergence_message(f"The validation score became {score}"))
        self.validation_loss_curve_.append(validation_loss)
        self.validation_scores_.append(score)
        return score, validation_loss

    def _warn_symptoms(self, X, Y, activations, sample_weight, first_epoch, log):
        """One ConvergenceWarning naming what went wrong in this fit, if anything did."""
        with np.errstate(all="ignore"):
            symptoms = diagnostics.training_symptoms(
                self.loss_curve_[first_epoch:], X, Y, self.parameters_, activations,
                sample_weight, overflow_epochs=log.epochs, final_loss=log.final_loss,
                running_stats=self.running_stats_)
        if not symptoms and not log.notes:
            return
        message = f"{type(self).__name__}: " + "; ".join([*symptoms, *log.notes]) + "."
        if symptoms:
            message += " " + diagnostics.cures(not is_classifier(self)
                                                and not getattr(self, "normalize_y", False))
        warnings.warn(message, ConvergenceWarning, stacklevel=user_stacklevel())

    # --- predicting ---

