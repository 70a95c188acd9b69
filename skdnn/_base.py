"""What the classifier and the regressor share: parameters, fitting, predicting.

The estimators hold no mathematics: they validate and encode the data with
scikit-learn's helpers, then drive :mod:`skdnn.engine` one epoch at a time.
The engine works on the course layout (examples are columns), which for a
scikit-learn array ``X`` of shape ``(n_samples, n_features)`` is the free
view ``X.T``.

A fit is all or nothing: the fitted state is copied before it starts and put
back if it raises, so a failed fit leaves the previous model (or an unfitted
estimator) exactly as it was. Its epochs are the subtasks of scikit-learn's
callbacks (:mod:`skdnn._callbacks`) and what ``verbose`` reports on
(:mod:`skdnn._verbose`).
"""

import copy
import functools
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _diagnostics, _schedules, engine
from ._callbacks import CallbackSupportMixin, FitTask, lbfgs_iterations, with_callbacks
from ._fitted_state import FittedStateMixin
from ._lbfgs import minimize_lbfgs
from ._predicting import network_outputs
from ._sklearn_names import SKLEARN_SPELLINGS, hint_for_sklearn_spelling
from ._stopping import (FloatingPointLog, TrainingDiverged, count_no_improvement,
                        held_out_size, split_validation)
from ._verbose import EpochPrinter
from ._warnings import user_stacklevel

# exp is the output of the Poisson loss only: as a hidden activation it overflows.
HIDDEN_ACTIVATIONS = sorted(set(engine.ACTIVATIONS) - {"softmax", "exp"})

class BaseLLayer(CallbackSupportMixin, FittedStateMixin, BaseEstimator):
    """Base class of the L-layer estimators; not meant to be used directly."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS)), list, tuple],
        "init": [StrOptions(set(engine.INITIALIZERS))],
        "solver": [StrOptions({*engine.OPTIMIZERS, "lbfgs"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [None, Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "decay_rate": [Interval(Real, 0, None, closed="left")],
        "schedule": [StrOptions(set(_schedules.SCHEDULES))],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left"), list, tuple],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "tol": [None, Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"),
                             Options(Real, {np.inf})],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, hidden_layer_sizes=(20, 7, 5), activation="relu", init="xavier", *,
                 solver="gd", learning_rate=0.0075, max_iter=2500, max_fun=15000,
                 batch_size=None, shuffle=True, decay_rate=0.0, schedule="constant",
                 power_t=0.5, alpha=0.0, dropout=0.0, momentum=0.9, nesterovs_momentum=False,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, tol=None,
                 n_iter_no_change=10, early_stopping=False, validation_fraction=0.1,
                 warm_start=False, random_state=None, verbose=0):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_fun = max_fun
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.decay_rate = decay_rate
        self.schedule = schedule
        self.power_t = power_t
        self.alpha = alpha
        self.dropout = dropout
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def set_params(self, **params):
        """Set the parameters of this estimator (scikit-learn's ``set_params``).

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
        """
        if "learning_rate_init" in params:
            raise ValueError("Invalid parameter 'learning_rate_init': skdnn calls the step "
                             "size learning_rate (see 'Coming from MLPClassifier' in the docs).")
        return super().set_params(**params)

    # --- fitted attributes in scikit-learn's layout, derived from parameters_ ---

    @property
    def coefs_(self):
        """list of ndarray: ``coefs_[i]`` is ``W{i+1}.T``, shape (n_in, n_out)."""
        check_is_fitted(self)
        return [self.parameters_[f"W{l}"].T for l in range(1, self.n_layers_)]

    @property
    def intercepts_(self):
        """list of ndarray: ``intercepts_[i]`` is ``b{i+1}`` flattened, shape (n_out,)."""
        check_is_fitted(self)
        return [self.parameters_[f"b{l}"].ravel() for l in range(1, self.n_layers_)]

    @property
    def loss_(self):
        """float: the last epoch's training loss (for ``"lbfgs"``, the final loss)."""
        check_is_fitted(self)
        return self.loss_curve_[-1] if self.loss_curve_ else self.best_loss_

    # --- what subclasses provide ---

    def _encode_targets(self, y, first_call, classes=None, warm_start=False):
        """Return ``(Y, out_activation)``, ``Y`` of shape (n_samples, n_outputs).

        ``warm_start`` is true for a ``fit`` that continues the current model.
        """
        raise NotImplementedError

    def _score_outputs(self, outputs, y):
        """The estimator's ``score`` from its network outputs (scikit-learn layout)."""
        raise NotImplementedError

    def _weigh_samples(self, y, sample_weight, incremental):
        return sample_weight

    # --- settings, checked once per fit ---

    def _layer_sizes(self):
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes))
        if sizes.ndim != 1 or not all(isinstance(s, Integral) and s >= 1 for s in sizes.tolist()):
            raise ValueError("hidden_layer_sizes must be a positive integer or a sequence of "
                             f"positive integers, got {self.hidden_layer_sizes!r}.")
        return [int(s) for s in sizes]

    def _hidden_setting(self, value, name, n_hidden):
        """Expand a per-hidden-layer setting (one value, or one per layer)."""
        if isinstance(value, (list, tuple)):
            if len(value) != n_hidden:
                raise ValueError(f"{name} has {len(value)} entries but there are {n_hidden} "
                                 f"hidden layers (hidden_layer_sizes={self.hidden_layer_sizes!r}).")
            return list(value)
        return [value] * n_hidden

    def _check_settings(self):
        """Return the hidden activations and dropout rates, one per hidden layer."""
        n_hidden = len(self._layer_sizes())
        activations = self._hidden_setting(self.activation, "activation", n_hidden)
        unknown = [a for a in activations if a not in HIDDEN_ACTIVATIONS]
        if unknown:
            hint = (f" ({SKLEARN_SPELLINGS['activation', 'logistic']})"
                    if unknown[0] == "logistic" else "")
            raise ValueError(f"Unknown activation {unknown[0]!r}; choose from "
                             f"{HIDDEN_ACTIVATIONS}{hint}.")
        dropout = self._hidden_setting(self.dropout, "dropout", n_hidden)
        if not all(isinstance(rate, Real) and 0 <= rate < 1 for rate in dropout):
            raise ValueError(f"dropout rates must be in [0, 1), got {self.dropout!r}.")
        if self.solver == "lbfgs" and any(dropout):
            raise ValueError("dropout needs a stochastic solver; it is not supported with "
                             "solver='lbfgs' (its line search needs a deterministic loss).")
        return activations, dropout

    def _activations(self):
        """The fitted network's activations, one per layer."""
        return [*self._hidden_setting(self.activation, "activation", self.n_layers_ - 2),
                self.out_activation_]

    def _optimizer_settings(self):
        return {"momentum": {"beta": self.momentum, "nesterov": self.nesterovs_momentum},
                "adam": {"beta_1": self.beta_1, "beta_2": self.beta_2,
                         "epsilon": self.epsilon}}.get(self.solver, {})

    def _new_optimizer(self):
        if self.solver == "lbfgs":
            return None
        return engine.OPTIMIZERS[self.solver](self.learning_rate, **self._optimizer_settings())

    def _optimizer_is_current(self):
        """Whether the kept optimiser is the one ``solver`` and its settings ask for now."""
        if self.solver == "lbfgs":
            return True
        optimizer = getattr(self, "_optimizer", None)
        return (type(optimizer) is engine.OPTIMIZERS[self.solver]
                and all(getattr(optimizer, k) == v
                        for k, v in self._optimizer_settings().items()))

    # --- fitting: all or nothing ---

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
        X, y = validate_data(self, X, y, reset=reset, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32], multi_output=True)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
            if np.any(sample_weight < 0):
                raise ValueError("sample_weight must be non-negative.")
        if self.batch_size is not None and isinstance(X, np.ndarray):
            # Mini-batches gather rows: one contiguous copy now (a column-ordered
            # array, such as a DataFrame's values) instead of a copy per batch.
            X = np.ascontiguousarray(X)
        return X, y, sample_weight

    def _validate_params(self):
        """scikit-learn's checks, with a hint where a value is scikit-learn's spelling."""
        try:
            super()._validate_params()
        except ValueError as exc:
            hint = hint_for_sklearn_spelling(self)
            if hint is None:
                raise
            raise type(exc)(f"{exc} ({hint}; see 'Coming from MLPClassifier' in the "
                            "docs).") from exc

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
        Y = Y.astype(X.dtype, copy=False)
        hold_out = self.early_stopping and not incremental and self.solver != "lbfgs"
        if hold_out:
            n_held_out = held_out_size(self.validation_fraction, X.shape[0])
        if first_call:
            self._random_state = check_random_state(self.random_state)
            self._initialize(X.shape[1], Y.shape[1], out_activation, X.dtype)
        else:
            self._continue_with(X.dtype)
        validation = None
        if hold_out:
            X, Y, y, sample_weight, validation = split_validation(
                X, Y, y, sample_weight, n_held_out, self.validation_fraction,
                stratify=is_classifier(self) and np.ndim(y) == 1, random_state=self._random_state)
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
            self._warn_symptoms(X.T, Y.T, activations, sample_weight, first_epoch, log)
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

    def _continue_with(self, dtype):
        """Warm start or partial_fit: keep the model, follow changed settings."""
        if self.early_stopping and self.validation_scores_ is None and self.solver != "lbfgs":
            self._reset_validation_curves()
        # After set_params(solver=..., momentum=...), the optimiser state of
        # another solver or other settings does not carry over.
        if not self._optimizer_is_current():
            self._optimizer = self._new_optimizer()
        if self.parameters_["W1"].dtype != dtype:
            self.parameters_ = {k: v.astype(dtype) for k, v in self.parameters_.items()}
            if self._optimizer is not None:
                engine.cast_state(self._optimizer, dtype)

    def _run_epochs(self, X, Y, activations, dropout, sample_weight, validation, n_epochs, log,
                    task, printer):
        """Train for up to ``n_epochs`` on course-layout ``X``, ``Y``; a callback may stop it."""
        workspace = engine.Workspace()
        dropout = dropout if any(dropout) else None
        best_parameters = None
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
                        np.isfinite(p).all() for p in self.parameters_.values()):
                    raise TrainingDiverged(self._divergence_message(
                        "The parameters became non-finite"))
                is_best = self._after_epoch(cost, validation, activations)
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
        result = minimize_lbfgs(X, Y, self.parameters_, activations,
                                sample_weight=sample_weight, alpha=self.alpha,
                                max_iter=self.max_iter, max_fun=self.max_fun, tol=self.tol,
                                callback=lbfgs_iterations(task, record, self.max_iter))
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

    def _after_epoch(self, cost, validation, activations):
        """Record the held-out scores, count patience; return whether this epoch is the best."""
        tol = self.tol or 0.0
        if validation is None:
            self._no_improvement_count, best, _ = count_no_improvement(
                self._no_improvement_count, -self.best_loss_, -cost, tol)
            self.best_loss_ = -best
            return False
        self.best_loss_ = min(cost, self.best_loss_)
        X_val, Y_val, y_val = validation
        outputs = self._outputs(X_val)
        loss = engine.LOSSES[engine.LOSS_OF_OUTPUT[activations[-1]]]
        self.validation_loss_curve_.append(float(np.mean(loss.per_example(outputs.T, Y_val.T))))
        score = float(self._score_outputs(outputs, y_val))
        if not np.isfinite(score):
            raise TrainingDiverged(self._divergence_message(f"The validation score became {score}"))
        self.validation_scores_.append(score)
        self._no_improvement_count, self.best_validation_score_, is_best = count_no_improvement(
            self._no_improvement_count, self.best_validation_score_, score, tol)
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
            message += " " + _diagnostics.cures(not is_classifier(self))
        warnings.warn(message, ConvergenceWarning, stacklevel=user_stacklevel())

    # --- predicting ---

    def _outputs(self, X):
        """Output activations for validated ``X`` (scikit-learn layout)."""
        return network_outputs(X, self.parameters_, self._activations())

    def _forward(self, X):
        """Output activations for ``X``; a ``ValueError`` rather than NaN or infinity."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32])
        with np.errstate(all="ignore"):
            out = self._outputs(X)
        if not np.isfinite(out).all():
            rows = np.flatnonzero(~np.isfinite(out).all(axis=1))
            raise ValueError(f"The network's output overflowed for {len(rows)} row(s) of X "
                             f"(first: row {rows[0]}): their values are too large for this "
                             f"{out.dtype} network; scale X as it was scaled for fit.")
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
