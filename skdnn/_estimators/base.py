"""What the classifier and the regressor share: parameters, settings, predicting.

The estimators hold no mathematics: they validate and encode the data with
scikit-learn's helpers, then drive :mod:`skdnn.engine` one epoch at a time
(the fit itself is :mod:`skdnn._estimators.fitting`). The engine works on the course
layout (examples are columns), which for a scikit-learn array ``X`` of shape
``(n_samples, n_features)`` is the free view ``X.T``.
"""

import copy
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics import get_scorer_names
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from . import schedules
from .. import engine
from .array_api import check_same_namespace, namespace_and_device, to_host
from .._reporting.callbacks import CallbackSupportMixin
from .._model_files.schema import FittedStateMixin
from .fitting import FittingMixin
from .predicting import network_outputs
from .._reporting.sklearn_names import SKLEARN_SPELLINGS, hint_for_sklearn_spelling

AUTO_BATCH_SIZE = 200
"""int: ``batch_size="auto"`` is ``min(AUTO_BATCH_SIZE, n_samples)``, as in scikit-learn."""


def hidden_activations():
    """The hidden activations the estimators accept: the engine's table, read now.

    Read at each check, not at import, so that an entry a user adds to
    :data:`skdnn.engine.ACTIVATIONS` is accepted (and a model file naming it
    loads) without more registration.
    """
    # exp is the output of the Poisson loss only: as a hidden activation it overflows.
    return sorted(set(engine.ACTIVATIONS) - {"softmax", "exp"})


HIDDEN_ACTIVATIONS = hidden_activations()  # the built-in ones


class BaseLLayer(CallbackSupportMixin, FittedStateMixin, FittingMixin, BaseEstimator):
    """Base class of the L-layer estimators; not meant to be used directly."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        # A name is checked against the live table by _check_settings.
        "activation": [str, list, tuple],
        "init": [StrOptions(set(engine.INITIALIZERS))],
        "solver": [StrOptions({*engine.OPTIMIZERS, "lbfgs"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [None, StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "decay_rate": [Interval(Real, 0, None, closed="left")],
        "decay_interval": [Interval(Integral, 1, None, closed="left")],
        "schedule": [StrOptions(set(schedules.SCHEDULES))],
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
        # "loss" is the validation loss negated; the others are scikit-learn's scorers.
        "scoring": [None, StrOptions({"loss", *get_scorer_names()}), callable],
        "batch_norm": ["boolean", list, tuple],
        "batch_norm_momentum": [Interval(Real, 0, 1, closed="both")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", init="glorot_uniform", *,
                 solver="adam", learning_rate=0.001, max_iter=200, max_fun=15000,
                 batch_size="auto", shuffle=True, decay_rate=0.0, schedule="constant",
                 power_t=0.5, alpha=0.0001, dropout=0.0, momentum=0.9, nesterovs_momentum=False,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, tol=0.0001,
                 n_iter_no_change=10, early_stopping=False, validation_fraction=0.1,
                 warm_start=False, random_state=None, verbose=0, decay_interval=1,
                 scoring=None, batch_norm=False, batch_norm_momentum=0.9):
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
        self.decay_interval = decay_interval
        self.scoring = scoring
        self.batch_norm = batch_norm
        self.batch_norm_momentum = batch_norm_momentum

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

    def _predicting_network(self):
        """The plain ``W``, ``b`` network that predicts: batch norm's statistics folded in."""
        return engine.fold_batch_norm(self.parameters_, self.running_stats_)

    @property
    def coefs_(self):
        """list of ndarray: ``coefs_[i]`` is ``W{i+1}.T``, shape (n_in, n_out).

        For a batch-normalised layer, the weights with the running statistics
        folded in (:func:`skdnn.engine.fold_batch_norm`).
        """
        check_is_fitted(self)
        network = self._predicting_network()
        return [network[f"W{l}"].T for l in range(1, self.n_layers_)]

    @property
    def intercepts_(self):
        """list of ndarray: ``intercepts_[i]`` is ``b{i+1}`` flattened, shape (n_out,).

        For a batch-normalised layer, ``beta`` with the running statistics
        folded in.
        """
        check_is_fitted(self)
        network = self._predicting_network()
        xp = engine.get_namespace(network["b1"])
        return [xp.reshape(network[f"b{l}"], (-1,)) for l in range(1, self.n_layers_)]

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

    def _out_activation(self):
        """The output layer's activation that the settings (and a classifier's labels) ask for."""
        raise NotImplementedError

    def _score_outputs(self, outputs, y, sample_weight=None):
        """The estimator's ``score`` from its network outputs (scikit-learn layout)."""
        raise NotImplementedError

    def _weigh_samples(self, y, sample_weight, incremental):
        return sample_weight

    # Fitted arrays other than parameters_ that live where the network does
    # (its array library, device and dtype).

    def _scale_targets(self, Y, sample_weight, first_call):
        """The encoded targets ``Y`` as the network trains on them."""
        return Y

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

    def _batch_norm_layers(self):
        """Whether each hidden layer is batch-normalised, by ``batch_norm``."""
        normalised = self._hidden_setting(self.batch_norm, "batch_norm",
                                          len(self._layer_sizes()))
        if not all(isinstance(flag, (bool, np.bool_)) for flag in normalised):
            raise ValueError("batch_norm must be a bool or a list of bools, one per hidden "
                             f"layer, got {self.batch_norm!r}.")
        return [bool(flag) for flag in normalised]

    def _check_settings(self):
        """Return the hidden activations, dropout rates and batch norm, one per hidden layer."""
        n_hidden = len(self._layer_sizes())
        activations = self._hidden_setting(self.activation, "activation", n_hidden)
        known = hidden_activations()
        unknown = [a for a in activations if a not in known]
        if unknown:
            hint = (f" ({SKLEARN_SPELLINGS['activation', 'logistic']})"
                    if unknown[0] == "logistic" else "")
            raise ValueError(f"Unknown activation {unknown[0]!r}; choose from "
                             f"{known}{hint}.")
        dropout = self._hidden_setting(self.dropout, "dropout", n_hidden)
        if not all(isinstance(rate, Real) and 0 <= rate < 1 for rate in dropout):
            raise ValueError(f"dropout rates must be in [0, 1), got {self.dropout!r}.")
        if self.solver == "lbfgs" and any(dropout):
            raise ValueError("dropout needs a stochastic solver; it is not supported with "
                             "solver='lbfgs' (its line search needs a deterministic loss).")
        return activations, dropout, self._batch_norm_layers()

    def _activations(self):
        """The fitted network's activations, one per layer."""
        return [*self._hidden_setting(self.activation, "activation", self.n_layers_ - 2),
                self.out_activation_]

    def _batch_size(self):
        """The mini-batch size for the engine: ``None`` is the full batch.

        ``"auto"`` is scikit-learn's ``min(200, n_samples)``: the engine takes
        a batch at least as large as the data as one full batch.
        """
        return AUTO_BATCH_SIZE if self.batch_size == "auto" else self.batch_size

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
        optimizer = getattr(self, "_optimizer", None)
        if self.solver == "lbfgs":  # none: the state of an earlier solver is dropped
            return optimizer is None
        return (type(optimizer) is engine.OPTIMIZERS[self.solver]
                and all(getattr(optimizer, k) == v
                        for k, v in self._optimizer_settings().items()))

    # --- fitting: all or nothing ---

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

    def _outputs(self, X):
        """Output activations for validated ``X`` (scikit-learn layout)."""
        # Batch norm's running statistics folded into W and b: a batch-normalised
        # network predicts at the cost of a plain one (and as its ONNX graph does).
        return network_outputs(X, self._predicting_network(), self._activations())

    def _forward(self, X, method):
        """Output activations for ``X``; a ``ValueError`` rather than NaN or infinity."""
        check_is_fitted(self)
        xp, _, _ = namespace_and_device(X)
        X = validate_data(self, X, reset=False, accept_sparse=["csr", "csc"],
                          dtype=[xp.float64, xp.float32])
        check_same_namespace(X, self, method)
        with np.errstate(all="ignore"):
            out = self._outputs(X)
        out_xp = engine.get_namespace(out)
        finite_rows = to_host(out_xp.all(out_xp.isfinite(out), axis=1))
        if not finite_rows.all():
            rows = np.flatnonzero(~finite_rows)
            raise ValueError(f"The network's output overflowed for {len(rows)} row(s) of X "
                             f"(first: row {rows[0]}): their values are too large for this "
                             f"{out.dtype} network; scale X as it was scaled for fit.")
        return out

    def __sklearn_array_api_convert__(self, converter):
        """A copy with the network and optimiser state converted (``move_estimator_to``).

        scikit-learn's :func:`~sklearn.utils._array_api.move_estimator_to`
        calls this. The copy shares nothing with this estimator; labels
        (``classes_``) stay on the host, where they are encoded.

        Parameters
        ----------
        converter : callable
            Moves one array to the target namespace and device.

        Returns
        -------
        estimator : BaseLLayer
        """
        moved = copy.deepcopy(self)
        moved._move_fitted_state(converter)  # the entries of _fitted_schema that may move
        return moved

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True
        return tags
