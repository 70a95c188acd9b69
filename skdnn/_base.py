"""What the classifier and the regressor share: parameters, fitting, predicting.

The estimators hold no mathematics: they validate and encode the data with
scikit-learn's helpers, then drive :mod:`skdnn.engine` one epoch at a time.
The engine works on the course layout (examples are columns), which for a
scikit-learn array ``X`` of shape ``(n_samples, n_features)`` is the free
view ``X.T``.
"""

import copy
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import engine
from ._lbfgs import fit_lbfgs

HIDDEN_ACTIVATIONS = sorted(set(engine.ACTIVATIONS) - {"softmax"})

# Memory for the activations of one chunk of rows at predict time: it bounds
# predict_proba's extra memory whatever the number of rows, and keeps chunks
# large enough (thousands of rows) that BLAS calls, not Python, set the pace.
PREDICT_CHUNK_BYTES = 32 * 2**20


class BaseLLayer(BaseEstimator):
    """Base class of the L-layer estimators; not meant to be used directly."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS)), list, tuple],
        "init": [StrOptions(set(engine.INITIALIZERS))],
        "solver": [StrOptions({*engine.OPTIMIZERS, "lbfgs"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [None, Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "decay_rate": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left"), list, tuple],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "tol": [None, Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, hidden_layer_sizes=(20, 7, 5), activation="relu", init="xavier", *,
                 solver="gd", learning_rate=0.0075, max_iter=2500, batch_size=None,
                 shuffle=True, decay_rate=0.0, alpha=0.0, dropout=0.0, momentum=0.9,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, tol=None, n_iter_no_change=10,
                 early_stopping=False, validation_fraction=0.1, warm_start=False,
                 random_state=None, verbose=0):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.decay_rate = decay_rate
        self.alpha = alpha
        self.dropout = dropout
        self.momentum = momentum
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

    # --- fitted attributes in scikit-learn's layout, derived from parameters_ ---

    @property
    def coefs_(self):
        """list of ndarray: ``coefs_[i]`` is ``W{i+1}.T``, shape (n_in, n_out)."""
        return [self.parameters_[f"W{l}"].T for l in range(1, self.n_layers_)]

    @property
    def intercepts_(self):
        """list of ndarray: ``intercepts_[i]`` is ``b{i+1}`` flattened, shape (n_out,)."""
        return [self.parameters_[f"b{l}"].ravel() for l in range(1, self.n_layers_)]

    # --- what subclasses provide ---

    def _encode_targets(self, y, first_call, classes=None):
        """Return ``Y`` of shape (n_samples, n_outputs), in X's dtype later."""
        raise NotImplementedError

    def _validation_score(self, X, y):
        # X is the held-out part of the already validated array, so it has lost
        # a DataFrame's column names; scoring it must not warn about them each epoch.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            return self.score(X, y)

    # --- fitting ---

    def _hidden_setting(self, value, name):
        """Expand a per-hidden-layer setting (one value, or one per layer)."""
        n_hidden = len(self._layer_sizes())
        if isinstance(value, (list, tuple)):
            if len(value) != n_hidden:
                raise ValueError(f"{name} has {len(value)} entries but there are {n_hidden} "
                                 f"hidden layers (hidden_layer_sizes={self.hidden_layer_sizes!r}).")
            return list(value)
        return [value] * n_hidden

    def _layer_sizes(self):
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes))
        if sizes.ndim != 1 or not all(isinstance(s, Integral) and s >= 1 for s in sizes.tolist()):
            raise ValueError("hidden_layer_sizes must be a positive integer or a sequence of "
                             f"positive integers, got {self.hidden_layer_sizes!r}.")
        return [int(s) for s in sizes]

    def _check_settings(self):
        activations = self._hidden_setting(self.activation, "activation")
        for a in activations:
            if a not in HIDDEN_ACTIVATIONS:
                raise ValueError(f"Unknown activation {a!r}; choose from {HIDDEN_ACTIVATIONS}.")
        dropout = self._hidden_setting(self.dropout, "dropout")
        for rate in dropout:
            if not (isinstance(rate, Real) and 0 <= rate < 1):
                raise ValueError(f"dropout rates must be in [0, 1), got {rate!r}.")
        if self.solver == "lbfgs" and any(dropout):
            raise ValueError("dropout needs a stochastic solver; it is not supported with "
                             "solver='lbfgs' (its line search needs a deterministic loss).")
        return activations, dropout

    def _initialize(self, n_features, n_outputs, out_activation, dtype, rng):
        hidden = self._layer_sizes()
        self.n_layers_ = len(hidden) + 2
        self.n_outputs_ = n_outputs
        self.out_activation_ = out_activation
        self.parameters_ = engine.initialize_network([n_features, *hidden, n_outputs],
                                                     self.init, rng, dtype)
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self._no_improvement_count = 0
        if self.early_stopping and self.solver != "lbfgs":
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
        self._optimizer = self._new_optimizer()

    def _optimizer_settings(self):
        return {"momentum": {"beta": self.momentum},
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

    def _validate_inputs(self, X, y, sample_weight, reset):
        X, y = validate_data(self, X, y, reset=reset, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32], multi_output=True)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
            if np.any(sample_weight < 0):
                raise ValueError("sample_weight must be non-negative.")
        return X, y, sample_weight

    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None):
        self._validate_params()
        if incremental and self.solver == "lbfgs":
            raise ValueError("partial_fit needs a stochastic solver; solver='lbfgs' "
                             "minimises on the full data only.")
        activations, dropout = self._check_settings()
        first_call = not hasattr(self, "parameters_") or not (self.warm_start or incremental)
        X, y, sample_weight = self._validate_inputs(X, y, sample_weight, reset=first_call)
        Y, out_activation = self._encode_targets(y, first_call, classes)
        sample_weight = self._weigh_samples(y, sample_weight, incremental)
        if first_call:
            self._random_state = check_random_state(self.random_state)
            self._initialize(X.shape[1], Y.shape[1], out_activation, X.dtype, self._random_state)
        else:
            # warm_start or partial_fit after set_params(solver=..., momentum=...):
            # the optimiser state of another solver or settings does not carry over.
            if not self._optimizer_is_current():
                self._optimizer = self._new_optimizer()
            if self.parameters_["W1"].dtype != X.dtype:
                self.parameters_ = {k: v.astype(X.dtype) for k, v in self.parameters_.items()}
                if self._optimizer is not None:
                    engine.cast_state(self._optimizer, X.dtype)
        Y = Y.astype(X.dtype, copy=False)
        activations = [*activations, self.out_activation_]
        if self.solver == "lbfgs":
            fit_lbfgs(self, X.T, Y.T, activations, sample_weight)
            return self
        validation = None
        if self.early_stopping and not incremental:
            if self.validation_scores_ is None:  # warm start that turned early stopping on
                self.validation_scores_, self.best_validation_score_ = [], -np.inf
            stratify = y if getattr(self, "_stratify", False) and np.ndim(y) == 1 else None
            parts = train_test_split(X, Y, y, *([] if sample_weight is None else [sample_weight]),
                                     test_size=self.validation_fraction, stratify=stratify,
                                     random_state=self._random_state)
            X, X_val, Y, _, _, y_val = parts[:6]
            sample_weight = parts[6] if sample_weight is not None else None
            validation = (X_val, y_val)
        self._run_epochs(X.T, Y.T, activations, dropout, sample_weight, validation,
                         1 if incremental else self.max_iter)
        return self

    def _weigh_samples(self, y, sample_weight, incremental):
        return sample_weight

    def _run_epochs(self, X, Y, activations, dropout, sample_weight, validation, n_epochs):
        """Train for up to ``n_epochs`` on course-layout ``X``, ``Y``."""
        workspace = engine.Workspace()
        dropout = dropout if any(dropout) else None
        best_parameters = None
        for _ in range(n_epochs):
            self._optimizer.learning_rate = self.learning_rate / (1 + self.decay_rate * self.n_iter_)
            # A diverging run overflows on its way to a non-finite loss: that is
            # reported as one clear ValueError, not as RuntimeWarnings first.
            errors = []
            with np.errstate(over="call", invalid="call", divide="call",
                             call=lambda kind, flag: errors.append(kind)):
                cost = engine.train_epoch(
                    X, Y, self.parameters_, activations, self._optimizer,
                    batch_size=self.batch_size, shuffle=self.shuffle, rng=self._random_state,
                    sample_weight=sample_weight, alpha=self.alpha, dropout=dropout,
                    workspace=workspace)
            self._record_epoch(cost, X.shape[1])
            if errors:
                # The cost is measured before each step, so the last step may have
                # overflowed the parameters; if not, the epoch still deserves a warning.
                if not all(np.isfinite(p).all() for p in self.parameters_.values()):
                    self._diverged("The parameters became non-finite")
                warnings.warn(f"{errors[0]} encountered in training epoch {self.n_iter_ - 1}.",
                              RuntimeWarning, stacklevel=3)
            improved = self._update_no_improvement(cost, validation)
            if improved and validation is not None:
                best_parameters = copy.deepcopy(self.parameters_)
            if self._no_improvement_count >= self.n_iter_no_change and self._stopping_enabled():
                if self.verbose:
                    print(f"No improvement for {self.n_iter_no_change} iterations: stopping.")
                break
        else:
            if self._stopping_enabled() and n_epochs > 1:
                warnings.warn(f"{type(self).__name__}: max_iter={self.max_iter} reached before "
                              "the optimisation converged (tol); raise max_iter or tol.",
                              ConvergenceWarning)
        if best_parameters is not None:
            self.parameters_ = best_parameters

    def _diverged(self, what):
        raise ValueError(
            f"{what} at iteration {self.n_iter_}: training diverged. "
            f"Lower learning_rate (now {self.learning_rate}) or, with solver='momentum' or "
            "'adam', check momentum/beta_1/beta_2; unscaled inputs (use StandardScaler) "
            "are another common cause.")

    def _record_epoch(self, cost, n_samples):
        if not np.isfinite(cost):
            self._diverged(f"The loss became {cost}")
        self.n_iter_ += 1
        self.t_ += n_samples
        self.loss_curve_.append(cost)
        i = self.n_iter_ - 1
        if self.verbose > 1 or (self.verbose and i % 100 == 0):
            print(f"Cost after iteration {i}: {cost}")

    def _stopping_enabled(self):
        return self.tol is not None or self.early_stopping

    def _update_no_improvement(self, cost, validation):
        """Update the patience counter; return whether this epoch is the best so far."""
        tol = self.tol or 0.0
        if validation is not None:
            score = self._validation_score(*validation)
            self.validation_scores_.append(score)
            improved = score > self.best_validation_score_ + tol
            best = score > self.best_validation_score_
            self.best_validation_score_ = max(score, self.best_validation_score_)
        else:
            improved = cost < self.best_loss_ - tol
            best = False
        self.best_loss_ = min(cost, self.best_loss_)
        self._no_improvement_count = 0 if improved else self._no_improvement_count + 1
        return best

    # --- predicting ---

    def _forward(self, X):
        """Output activations for ``X`` in scikit-learn layout, predicted in chunks."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32])
        dtype = self.parameters_["W1"].dtype
        activations = [*self._hidden_setting(self.activation, "activation"), self.out_activation_]
        out = np.empty((X.shape[0], self.n_outputs_), dtype=dtype)
        workspace = engine.Workspace()
        units = sum(self._layer_sizes()) + self.n_outputs_
        row_bytes = (2 * units + (X.shape[1] if X.dtype != dtype else 0)) * dtype.itemsize
        chunk_rows = int(np.clip(PREDICT_CHUNK_BYTES // row_bytes, 256, 65536))
        for rows in gen_batches(X.shape[0], chunk_rows):
            Xc = X[rows]
            if Xc.dtype != dtype:
                Xc = Xc.astype(dtype)
            AL, _ = engine.forward_propagation(Xc.T, self.parameters_, activations,
                                               workspace=workspace)
            out[rows] = AL.T
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
