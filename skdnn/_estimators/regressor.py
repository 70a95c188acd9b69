"""LLayerRegressor: the L-layer network with an identity output and squared error,
or an exp output and the Poisson deviance."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if

from .. import engine
from .array_api import to_host
from .base import BaseLLayer
from .._reporting.sklearn_names import stochastic_solver
from .._model_files.entries import move_array
from .._model_files.kinds import Choice, PerOutput
from .._model_files.entries import Fitted
from .target_scaling import fit_target_scale, scale_targets, unscale_outputs


class LLayerRegressor(RegressorMixin, BaseLLayer):
    """L-layer fully connected neural network regressor.

    The same network and solvers as :class:`LLayerClassifier`, with an
    identity output layer and the squared-error loss
    ``(1/m) sum_i 1/2 ||y_i - f(x_i)||^2``, or (``loss="poisson"``) an
    exp output layer and half the Poisson deviance
    ``(1/m) sum_i sum_k y log(y / f) - y + f``. Single- and multi-output
    targets; :meth:`score` is the coefficient of determination R².
    The targets are standardised inside the estimator (``normalize_y``), so
    ``y`` may come as loaded.

    Which settings to use on your own data (scaling, solver, layers, early
    stopping), with measured scores: the user guide's
    :ref:`Choosing settings <choosing-settings>`.

    The defaults are scikit-learn's ``MLPRegressor``'s (one hidden layer of
    100 units, adam at 1e-3 on mini-batches of ``min(200, n_samples)``, at
    most 200 epochs with ``tol=1e-4``, ``alpha=1e-4``); the course's settings
    are :data:`skdnn.COURSE_SETTINGS`. See the user guide's
    :ref:`choosing-settings`.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Number of units of each hidden layer.
    activation : str or list of str, default="relu"
        Hidden-layer activation, one for all or one per hidden layer:
        ``"relu"``, ``"leaky_relu"``, ``"tanh"``, ``"sigmoid"``, ``"identity"``,
        ``"elu"``, ``"selu"``, ``"gelu"`` (tanh approximation), ``"silu"``,
        ``"softplus"``, or any other entry of :data:`skdnn.engine.ACTIVATIONS`
        but the output-only ``"softmax"`` and ``"exp"``.
    init : {"small", "xavier", "he", "glorot_uniform", "zeros", "random"}, default="glorot_uniform"
        Weight initialisation, see :class:`LLayerClassifier`.
    solver : {"gd", "momentum", "adam", "lbfgs"}, default="adam"
    learning_rate : float, default=0.001
    max_iter : int, default=200
        Number of epochs; for ``"lbfgs"``, iterations.
    max_fun : int, default=15000
        For ``"lbfgs"``: the most evaluations of the loss.
    batch_size : int, "auto" or None, default="auto"
        ``"auto"`` is ``min(200, n_samples)``; ``None`` is full batch; an int
        draws shuffled mini-batches.
    shuffle : bool, default=True
    decay_rate : float, default=0.0
        Inverse-time learning-rate decay per epoch.
    schedule : {"constant", "invscaling", "adaptive"}, default="constant"
        scikit-learn's learning-rate schedules, see :class:`LLayerClassifier`.
    power_t : float, default=0.5
        Exponent of ``schedule="invscaling"``.
    alpha : float, default=0.0001
        L2 penalty.
    dropout : float or list of float, default=0.0
        Inverted-dropout rate of the hidden layers.
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=False
        Nesterov's look-ahead step for ``solver="momentum"``.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
    tol : float or None, default=0.0001
        ``None`` runs exactly ``max_iter`` epochs.
    n_iter_no_change : int or np.inf, default=10
        Patience, counted as in scikit-learn, see :class:`LLayerClassifier`.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (or score the ``X_val``
        given to :meth:`fit`), stop when its R² (or ``scoring``) stops
        improving, and keep the best model.
    validation_fraction : float, default=0.1
    loss : {"squared_error", "poisson"}, default="squared_error"
        ``"poisson"`` (for counts and rates: ``y`` must be non-negative)
        predicts ``exp`` of the last layer's pre-activation, so always
        positive.
    normalize_y : bool, default=True
        Train on standardised targets and map the predictions back, so that
        a target as loaded (diabetes' 25 to 346, prices, counts) trains as
        well as a scaled one: ``predict`` returns
        ``y_offset_ + y_scale_ * output``. The offset and scale are each
        output's mean and standard deviation (weighted by ``sample_weight``,
        as the loss is), taken at the first ``fit`` or ``partial_fit`` and
        kept by ``warm_start`` and further ``partial_fit`` calls. With
        ``loss="poisson"`` the targets are only divided by their mean
        (offset 0), so that they stay non-negative. ``loss_curve_``,
        ``best_loss_`` and ``validation_loss_curve_`` are then losses on the
        standardised scale (for a single-output squared error, multiply by
        ``y_scale_**2`` for the target's units); ``validation_scores_`` (R²)
        is the same on both scales. ``False`` trains on ``y`` as given (the
        behaviour of model files saved before this parameter existed).
    warm_start : bool, default=False
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0
        ``1`` prints ``Cost after iteration i: c`` every 100 epochs and a
        progress line (time spent, time left) about every 10 seconds; ``2``
        prints every epoch with its time. See :ref:`progress` for callbacks.
    decay_interval : int, default=1
        Epochs per step of ``decay_rate``'s decay, see :class:`LLayerClassifier`.
    scoring : str, callable or None, default=None
        The validation score of each epoch: ``None`` is R² (:meth:`score`),
        ``"loss"`` the validation loss negated, or a scikit-learn scorer name
        or callable; see :class:`LLayerClassifier`.
    batch_norm : bool or list of bool, default=False
        Batch normalisation of the hidden layers, one setting for all or one
        per hidden layer; see :class:`LLayerClassifier` and the user guide's
        :ref:`batch-norm`.
    batch_norm_momentum : float, default=0.9
        Weight of the old value in the running averages of the batch
        statistics (PyTorch's ``momentum=0.1``).

    Attributes
    ----------
    parameters_ : dict
        Course-layout parameters ``{"W1", "b1", ...}`` (``gamma{l}``,
        ``beta{l}`` for a batch-normalised layer).
    running_stats_ : dict
        The running statistics of the batch-normalised layers, see
        :class:`LLayerClassifier`.
    coefs_ : list of ndarray
        Weights in scikit-learn's layout (views of ``parameters_``; folded
        with the running statistics for a batch-normalised layer).
    intercepts_ : list of ndarray
        Biases in scikit-learn's layout.
    loss_curve_ : list of float
        Training cost at every epoch.
    best_loss_ : float
    validation_scores_ : list of float or None
    validation_loss_curve_ : list of float or None
        Validation loss at every epoch with ``early_stopping`` or ``X_val``.
    best_validation_score_ : float or None
    n_iter_ : int
    t_ : int
    n_layers_ : int
    n_outputs_ : int
    out_activation_ : str
        ``"identity"``, or ``"exp"`` for ``loss="poisson"``.
    y_offset_ : ndarray of shape (`n_outputs_`,)
        In the network's array library, device and dtype, as ``parameters_``.
        With ``normalize_y``: what is added to the network's output (the
        targets' mean; 0 with ``loss="poisson"``). Absent otherwise.
    y_scale_ : ndarray of shape (`n_outputs_`,)
        With ``normalize_y``: what the network's output is multiplied by (the
        targets' standard deviation; their mean with ``loss="poisson"``).
        Absent otherwise.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    LLayerClassifier : The classifier, with all parameters explained.

    Examples
    --------
    >>> import numpy as np
    >>> from skdnn import LLayerRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, (200, 2))
    >>> y = X[:, 0] ** 2 + X[:, 1]
    >>> reg = LLayerRegressor((16,), solver="lbfgs", max_iter=200, random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.95
    True
    """

    _parameter_constraints = {**BaseLLayer._parameter_constraints,
                              "loss": [StrOptions({"squared_error", "poisson"})],
                              "normalize_y": ["boolean"]}

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", init="glorot_uniform", *,
                 solver="adam", learning_rate=0.001, max_iter=200, max_fun=15000,
                 batch_size="auto", shuffle=True, decay_rate=0.0, schedule="constant",
                 power_t=0.5, alpha=0.0001, dropout=0.0, momentum=0.9, nesterovs_momentum=False,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, tol=0.0001,
                 n_iter_no_change=10, early_stopping=False, validation_fraction=0.1,
                 loss="squared_error", normalize_y=True, warm_start=False, random_state=None,
                 verbose=0, decay_interval=1, scoring=None, batch_norm=False,
                 batch_norm_momentum=0.9):
        super().__init__(
            hidden_layer_sizes, activation, init, solver=solver, learning_rate=learning_rate,
            max_iter=max_iter, max_fun=max_fun, batch_size=batch_size, shuffle=shuffle,
            decay_rate=decay_rate, schedule=schedule, power_t=power_t,
            alpha=alpha, dropout=dropout, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, tol=tol, n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            warm_start=warm_start, random_state=random_state, verbose=verbose,
            decay_interval=decay_interval, scoring=scoring, batch_norm=batch_norm,
            batch_norm_momentum=batch_norm_momentum)
        self.loss = loss
        self.normalize_y = normalize_y

    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit the network to ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
        X_val, y_val, sample_weight_val : array-like, default=None
            A validation set of your own, scored every epoch (gradient
            solvers only) into ``validation_loss_curve_`` and
            ``validation_scores_``; with ``early_stopping`` it replaces the
            held-out split. See :meth:`LLayerClassifier.fit`.

        Returns
        -------
        self : LLayerRegressor

        Notes
        -----
        A fit is all or nothing: when it raises, the estimator is left as it
        was before it. Ctrl-C is the exception: training stops at the end of
        the running epoch, a ``UserWarning`` says "Training interrupted by
        user.", and the model of the epochs completed is kept (with
        ``early_stopping``, the best one), as a fit with that ``max_iter``
        would have left it. See the user guide, "Failures and Ctrl-C".
        """
        return self._fit(X, y, sample_weight,
                         validation_data=(X_val, y_val, sample_weight_val))

    @available_if(stochastic_solver)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``X``, ``y``, continuing from the current model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : LLayerRegressor
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _encode_targets(self, y, first_call, classes=None, warm_start=False):
        y = np.asarray(y)
        if first_call:
            self._y_ndim = y.ndim
        else:
            if y.ndim != self._y_ndim:
                raise ValueError(f"y has {y.ndim} dimensions but the model was fit on "
                                 f"{self._y_ndim}.")
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' needs a non-negative y (counts or rates); "
                             f"y has {np.sum(y < 0)} negative value(s).")
        return y.reshape(y.shape[0], -1), self._out_activation()

    def _scale_targets(self, Y, sample_weight, first_call):
        """The training targets: standardised with ``normalize_y``, the scale fixed at the
        first call."""
        if first_call:
            for name in ("y_offset_", "y_scale_"):
                vars(self).pop(name, None)
            if self.normalize_y:
                self.y_offset_, self.y_scale_ = fit_target_scale(
                    Y, sample_weight, centre=self.loss != "poisson")
        elif self.normalize_y != hasattr(self, "y_scale_"):
            raise ValueError(f"normalize_y={self.normalize_y} differs from the setting this "
                             "model was fit with: refit with warm_start=False (partial_fit "
                             "cannot change it either).")
        if not self.normalize_y:
            return Y
        return scale_targets(Y, to_host(self.y_offset_), to_host(self.y_scale_))

    def _unscale(self, outputs):
        """The network's outputs in the target's units."""
        if not hasattr(self, "y_scale_"):
            return outputs
        return unscale_outputs(outputs, self.y_offset_, self.y_scale_)

    def _out_activation(self):
        # The engine pairs each loss with its output activation.
        return engine.LOSSES[self.loss].output_activation

    def _score_outputs(self, outputs, y, sample_weight=None):
        outputs = self._unscale(outputs)
        return r2_score(y, outputs.ravel() if self._y_ndim == 1 else outputs,
                        sample_weight=sample_weight)

    def predict(self, X):
        """Predict with the network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        Y = self._unscale(self._forward(X, "predict"))
        return engine.get_namespace(Y).reshape(Y, (-1,)) if self._y_ndim == 1 else Y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # --- the targets' fitted state, for model files (see skdnn._model_files.schema) ---

    # _y_ndim is set from y by _encode_targets, the scale by _scale_targets.
    _fitted_schema = {**BaseLLayer._fitted_schema, "_y_ndim": Fitted(Choice(1, 2)),
                      "y_offset_": Fitted(PerOutput(), move=move_array),
                      "y_scale_": Fitted(PerOutput(positive=True), move=move_array)}

    def _check_fitted_targets(self):
        expected = self._out_activation()
        if self.out_activation_ != expected or (self._y_ndim == 1 and self.n_outputs_ != 1):
            raise ValueError(f"a regressor of {self._y_ndim}-D targets and loss={self.loss!r} "
                             f"has {expected} outputs (one for 1-D targets), not "
                             f"{self.n_outputs_} {self.out_activation_}")
        if self.normalize_y != hasattr(self, "y_offset_") or \
                self.normalize_y != hasattr(self, "y_scale_"):
            raise ValueError(f"a regressor with normalize_y={self.normalize_y} has "
                             f"{'both' if self.normalize_y else 'neither'} y_offset_ and "
                             "y_scale_")
