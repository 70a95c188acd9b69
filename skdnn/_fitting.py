"""How the L-layer estimators fit: all or nothing, epoch by epoch, saying what went wrong.

A fit is all or nothing: the fitted state is copied before it starts and put
back if it raises, so a failed fit leaves the previous model (or an unfitted
estimator) exactly as it was. Its epochs are the subtasks of scikit-learn's
callbacks (:mod:`skdnn._callbacks`) and what ``verbose`` reports on
(:mod:`skdnn._verbose`); at its end, :mod:`skdnn._diagnostics` looks for the
symptoms of a useless model and one ``ConvergenceWarning`` names them.

:class:`FittingMixin` is one half of :class:`skdnn._base.BaseLLayer`: it uses
the settings, encoders and optimiser factory the estimator defines.
"""

import copy
import functools
import warnings

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, validate_data

from . import _diagnostics, _schedules, engine
from ._array_api import namespace_and_device, to_device, to_host
from ._callbacks import FitTask, lbfgs_iterations, with_callbacks
from ._lbfgs import minimize_lbfgs
from ._stopping import (FloatingPointLog, HeldOutRecord, TrainingDiverged,
                        count_no_improvement, held_out_size, split_validation)
from ._verbose import EpochPrinter
from ._warnings import user_stacklevel


class FittingMixin:
    """The fit of :class:`skdnn._base.BaseLLayer`; not meant to be used alone."""

    def _fitted_state(self):
        """Every attribute that is not a constructor parameter or a callback."""
        params = self.get_params(deep=False)
        return {k: v for k, v in vars(self).items() if k not in params
                and not k.startswith(("_skl_", "_callback", "_parent_callback"))}

    @with_callbacks
    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None):
        saved = copy.deepcopy(self._fitted_state())
        try:
            self._fit_or_raise(X, y, sample_weight, incremental, classes)
        except BaseException:
            for name in self._fitted_state():
                delattr(self, name)
            vars(self).update(saved)
            raise
        return self

    def _validate_inputs(self, X, y, sample_weight, reset):
        """``X`` where it lives (see :mod:`skdnn._array_api`); ``y`` and weights on the host."""
        xp, _, _ = namespace_and_device(X)
        X, y = validate_data(self, X, y, reset=reset, accept_sparse=["csr", "csc"],
                             dtype=[xp.float64, xp.float32], multi_output=True)
        y = to_host(y)
        if sample_weight is not None:
            sample_weight = to_host(_check_sample_weight(sample_weight, X, dtype=X.dtype))
            if np.any(sample_weight < 0):
                raise ValueError("sample_weight must be non-negative.")
        if self.batch_size is not None and isinstance(X, np.ndarray):
            # Mini-batches gather rows: one contiguous copy now (a column-ordered
            # array, such as a DataFrame's values) instead of a copy per batch.
            X = np.ascontiguousarray(X)
        return X, y, sample_weight

    def _fit_or_raise(self, X, y, sample_weight, incremental, classes):
        self._validate_params()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True (as "
                             "scikit-learn's MLP): set early_stopping=False.")
        hidden_activations, dropout = self._check_settings()
        first_call = not hasattr(self, "parameters_") or not (self.warm_start or incremental)
        X, y, sample_weight = self._validate_inputs(X, y, sample_weight, reset=first_call)
        Y, out_activation = self._encode_targets(y, first_call, classes,
                                                 warm_start=not (first_call or incremental))
        sample_weight = self._weigh_samples(y, sample_weight, incremental)
        Y = self._scale_targets(Y, sample_weight, first_call)
        xp, device, on_numpy = namespace_and_device(X)
        host_dtype = X.dtype if on_numpy else engine.to_numpy(X[:1, :1]).dtype
        Y = Y.astype(host_dtype, copy=False)
        hold_out = self.early_stopping and not incremental and self.solver != "lbfgs"
        if hold_out:
            n_held_out = held_out_size(self.validation_fraction, X.shape[0])
        if first_call:
            self._random_state = check_random_state(self.random_state)
            self._initialize(X.shape[1], Y.shape[1], out_activation, host_dtype)
        self._continue_with(X.dtype, xp, device)
        validation = None
        if hold_out:
            X, Y, y, sample_weight, validation = split_validation(
                X, Y, y, sample_weight, n_held_out, self.validation_fraction,
                stratify=is_classifier(self) and np.ndim(y) == 1, random_state=self._random_state)
        Y_host = Y
        if not on_numpy:  # the targets and weights move once, the validation rows stay
            Y, sample_weight = to_device(Y, xp, device), to_device(sample_weight, xp, device)
        activations = [*hidden_activations, self.out_activation_]
        first_epoch = self.n_iter_
        n_epochs = 1 if incremental else self.max_iter
        task = FitTask.open(self, X, y, sample_weight, max_epochs=n_epochs,
                            task_name="partial_fit" if incremental else "fit",
                            epoch_name="lbfgs-iter" if self.solver == "lbfgs" else "epoch")
        printer = EpochPrinter(self.verbose, n_epochs, may_stop_early=self.solver == "lbfgs"
                               or self._stopping_enabled()) if self.verbose else None
        log = FloatingPointLog()
        with np.errstate(over="call", invalid="call", divide="call", call=log):
            if self.solver == "lbfgs":
                self._run_lbfgs(X.T, Y.T, activations, sample_weight, log, task, printer)
            else:
                self._run_epochs(X.T, Y.T, activations, dropout, sample_weight, validation,
                                 n_epochs, log, task, printer)
        if not incremental:
            self._warn_symptoms(X.T, Y_host.T, activations, to_host(sample_weight),
                                first_epoch, log)
        if task is not None:
            task.end()

    def _initialize(self, n_features, n_outputs, out_activation, dtype):
        hidden = self._layer_sizes()
        self.n_layers_ = len(hidden) + 2
        self.n_outputs_ = n_outputs
        self.out_activation_ = out_activation
        self.parameters_ = engine.initialize_network([n_features, *hidden, n_outputs],
                                                     self.init, self._random_state, dtype)
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self._no_improvement_count = 0
        self._learning_rate_divisions = 0
        self._reset_validation_curves()
        self._optimizer = self._new_optimizer()

    def _reset_validation_curves(self):
        on = self.early_stopping and self.solver != "lbfgs"
        self.validation_scores_ = [] if on else None
        self.validation_loss_curve_ = [] if on else None
        self.best_validation_score_ = -np.inf if on else None

    def _continue_with(self, dtype, xp, device):
        """Keep the model, follow changed settings; put it where ``X`` is, in its dtype."""
        if self.early_stopping and self.validation_scores_ is None and self.solver != "lbfgs":
            self._reset_validation_curves()
        # After set_params(solver=..., momentum=...), the optimiser state of
        # another solver or other settings does not carry over.
        if not self._optimizer_is_current():
            self._optimizer = self._new_optimizer()
        self.parameters_ = {k: to_device(v, xp, device) for k, v in self.parameters_.items()}
        if self._optimizer is not None:
            for state_name in self._optimizer.state_names:
                state = getattr(self._optimizer, state_name)
                if isinstance(state, dict):
                    state.update({k: to_device(v, xp, device) for k, v in state.items()})
        if self.parameters_["W1"].dtype != dtype:
            self.parameters_ = {k: xp.astype(v, dtype) for k, v in self.parameters_.items()}
            if self._optimizer is not None:
                engine.cast_state(self._optimizer, dtype)
        for name in self._arrays_beside_network:
            if hasattr(self, name):
                setattr(self, name, xp.astype(to_device(getattr(self, name), xp, device), dtype))

    def _run_epochs(self, X, Y, activations, dropout, sample_weight, validation, n_epochs, log,
                    task, printer):
        """Train for up to ``n_epochs`` on course-layout ``X``, ``Y``; a callback may stop it."""
        # Buffers are NumPy's only (see skdnn.engine.namespace).
        workspace = engine.Workspace() if engine.get_namespace(X) is np else None
        dropout = dropout if any(dropout) else None
        best_parameters = None
        record = None if validation is None else HeldOutRecord(
            self.validation_scores_, self.validation_loss_curve_, self.best_validation_score_)
        for _ in range(n_epochs):
            self._optimizer.learning_rate = _schedules.epoch_learning_rate(
                self.learning_rate, self.decay_rate, self.schedule, self.power_t, self.n_iter_,
                self.t_, self._learning_rate_divisions)
            log.epoch = self.n_iter_
            if task is not None:
                task.begin_epoch()
            try:
                cost = engine.train_epoch(
                    X, Y, self.parameters_, activations, self._optimizer,
                    batch_size=self.batch_size, shuffle=self.shuffle, rng=self._random_state,
                    sample_weight=sample_weight, alpha=self.alpha, dropout=dropout,
                    workspace=workspace)
                self._record_epoch(cost, X.shape[1], printer)
                if log.epochs and log.epochs[-1] == log.epoch and not all(
                        np.isfinite(to_host(p)).all() for p in self.parameters_.values()):
                    raise TrainingDiverged(self._divergence_message(
                        "The parameters became non-finite"))
                is_best = self._after_epoch(cost, validation, activations, record)
            except TrainingDiverged as exc:
                if best_parameters is None:
                    raise
                self.parameters_ = best_parameters
                self._optimizer = self._new_optimizer()  # its state holds the divergence
                log.notes.append(f"{str(exc).rstrip('.')}; the best model so far, by its "
                                 "validation score, is kept")
                return
            if is_best and validation is not None:
                best_parameters = copy.deepcopy(self.parameters_)
            if task is not None and task.end_epoch():
                break
            # As MLPClassifier counts: n_iter_no_change epochs without improvement
            # are tolerated, the next one acts.
            if self._no_improvement_count > self.n_iter_no_change:
                if _schedules.adaptive_divides(self.schedule, self._optimizer.learning_rate):
                    self._learning_rate_divisions += 1
                    self._no_improvement_count = 0
                    if self.verbose:
                        print(f"No improvement for {self.n_iter_no_change} iterations: "
                              "dividing the learning rate by 5.")
                elif self._stopping_enabled():
                    if self.verbose:
                        print(f"No improvement for {self.n_iter_no_change} iterations: "
                              "stopping.")
                    break
        else:
            if self._stopping_enabled() and n_epochs > 1:
                log.notes.append(f"max_iter={self.max_iter} was reached before the "
                                 "optimisation converged (tol); raise max_iter or tol")
        if best_parameters is not None:
            self.parameters_ = best_parameters

    def _run_lbfgs(self, X, Y, activations, sample_weight, log, task, printer):
        record = functools.partial(self._record_epoch, n_samples=X.shape[1], printer=printer)
        # SciPy's L-BFGS works on NumPy arrays: the data and the model cross
        # to the host once, and the model goes back at the end.
        xp, device, on_numpy = namespace_and_device(self.parameters_["W1"])
        parameters = {k: to_host(v) for k, v in self.parameters_.items()}
        try:
            result = minimize_lbfgs(to_host(X), to_host(Y), parameters, activations,
                                    sample_weight=to_host(sample_weight), alpha=self.alpha,
                                    max_iter=self.max_iter, max_fun=self.max_fun, tol=self.tol,
                                    callback=lbfgs_iterations(task, record, self.max_iter))
        finally:
            if not on_numpy:
                self.parameters_ = {k: to_device(v, xp, device) for k, v in parameters.items()}
        if not np.isfinite(result.fun):
            raise TrainingDiverged(self._divergence_message(f"The loss became {result.fun}"))
        self.best_loss_ = min(self.best_loss_, float(result.fun))
        # SciPy's status 99 is a callback's request to stop, not a failure to converge.
        if result.status not in (0, 99):
            log.notes.append(f"lbfgs stopped after {result.nit} iterations without converging "
                             f"(scipy: {str(result.message).strip()}); raise max_iter or "
                             "max_fun, or scale X (StandardScaler)")

    def _divergence_message(self, what):
        return (f"{what} at iteration {self.n_iter_}: training diverged. "
                f"Lower learning_rate (now {self.learning_rate}) or, with solver='momentum' or "
                "'adam', check momentum/beta_1/beta_2; unscaled inputs (use StandardScaler) "
                "are another common cause.")

    def _record_epoch(self, cost, n_samples, printer):
        if not np.isfinite(cost):
            raise TrainingDiverged(self._divergence_message(f"The loss became {cost}"))
        self.n_iter_ += 1
        self.t_ += n_samples
        self.loss_curve_.append(cost)
        if printer is not None:
            printer(self.n_iter_ - 1, cost)

    def _stopping_enabled(self):
        return self.tol is not None or self.early_stopping

    def _after_epoch(self, cost, validation, activations, record):
        """Record the held-out scores, count patience; return whether this epoch is the best.

        ``record`` is the :class:`~skdnn._stopping.HeldOutRecord` of this fit
        (None without a held-out set).
        """
        tol = self.tol or 0.0
        if validation is None:
            self._no_improvement_count, best, _ = count_no_improvement(
                self._no_improvement_count, -self.best_loss_, -cost, tol)
            self.best_loss_ = -best
            return False
        self.best_loss_ = min(cost, self.best_loss_)
        X_val, Y_val, y_val = validation
        outputs = to_host(self._outputs(X_val))  # scored on the host, as the labels are
        if not np.isfinite(outputs).all():
            # Before scoring: the metrics refuse NaN with a message about the input.
            raise TrainingDiverged(self._divergence_message(
                "The outputs on the validation set became non-finite"))
        loss = engine.LOSSES[engine.LOSS_OF_OUTPUT[activations[-1]]]
        validation_loss = float(np.mean(loss.per_example(outputs.T, Y_val.T)))
        score = float(self._score_outputs(outputs, y_val))
        if not np.isfinite(score):
            raise TrainingDiverged(self._divergence_message(f"The validation score became {score}"))
        self.validation_loss_curve_.append(validation_loss)
        self.validation_scores_.append(score)
        self._no_improvement_count, is_best = record.update(
            self._no_improvement_count, score, validation_loss, tol)
        self.best_validation_score_ = record.best_score
        return is_best

    def _warn_symptoms(self, X, Y, activations, sample_weight, first_epoch, log):
        """One ConvergenceWarning naming what went wrong in this fit, if anything did."""
        with np.errstate(all="ignore"):
            symptoms = _diagnostics.training_symptoms(
                self.loss_curve_[first_epoch:], X, Y, self.parameters_, activations,
                sample_weight, overflow_epochs=log.epochs)
        if not symptoms and not log.notes:
            return
        message = f"{type(self).__name__}: " + "; ".join([*symptoms, *log.notes]) + "."
        if symptoms:
            message += " " + _diagnostics.cures(not is_classifier(self)
                                                and not getattr(self, "normalize_y", False))
        warnings.warn(message, ConvergenceWarning, stacklevel=user_stacklevel())

    # --- predicting ---

