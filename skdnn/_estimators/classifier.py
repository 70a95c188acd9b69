"""LLayerClassifier: the course's L-layer network as a scikit-learn classifier."""

import warnings
import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import accuracy_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from .. import engine
from .array_api import to_host
from .base import BaseLLayer
from .labels import (check_labels, check_partial_fit_classes, class_sample_weights,
                     decode_labels, new_binarizer)
from .._reporting.sklearn_names import stochastic_solver
from .._model_files.kinds import Binarizer, Labels
from .._model_files.entries import Fitted
from .._reporting.warnings import user_stacklevel


class LLayerClassifier(ClassifierMixin, BaseLLayer):
    """L-layer fully connected neural network classifier.

    The network of the deep-learning course: ReLU hidden layers, a sigmoid
    output unit and binary cross-entropy for two classes. With more than two
    classes the output is a softmax and the loss categorical cross-entropy;
    with a 2-D indicator ``y`` (multilabel) there is one sigmoid per label.

    The defaults are scikit-learn's ``MLPClassifier``'s, so that it can stand
    where ``MLPClassifier()`` stood on your data: one hidden layer of 100
    units, adam at 1e-3 on mini-batches of ``min(200, n_samples)``, at most
    200 epochs with ``tol=1e-4``, ``alpha=1e-4``, Glorot-uniform weights. The
    course's four-layer model is :data:`skdnn.COURSE_SETTINGS`:
    ``LLayerClassifier(**COURSE_SETTINGS, random_state=1)`` trains exactly as
    :func:`skdnn.engine.L_layer_model` does. Which settings to use on your
    own data (scaling, solver, layers, early stopping), with measured
    scores: the user guide's :ref:`Choosing settings <choosing-settings>`.

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
        Weight initialisation: ``randn * 0.01``, ``randn / sqrt(fan_in)``,
        ``randn * sqrt(2 / fan_in)``, or uniform in
        ``±sqrt(6 / (fan_in + fan_out))``; course 2's ``"zeros"`` (all units
        of a layer stay identical and cannot learn: ``fit`` warns) and
        ``"random"`` (``randn * 10``, too large). Drawn layer by layer from
        ``check_random_state(random_state)``; biases start at zero.
    solver : {"gd", "momentum", "adam", "lbfgs"}, default="adam"
        ``"gd"`` is the course's gradient descent; ``"lbfgs"`` runs
        ``scipy.optimize.minimize`` on the full batch.
    learning_rate : float, default=0.001
        Step size of the gradient solvers (unused by ``"lbfgs"``); the
        course's is 0.0075.
    max_iter : int, default=200
        Number of epochs (passes over the data); for ``"lbfgs"``, iterations.
    max_fun : int, default=15000
        For ``"lbfgs"`` only: the most evaluations of the loss (SciPy's
        ``maxfun``), as in scikit-learn's ``MLPClassifier``.
    batch_size : int, "auto" or None, default="auto"
        ``"auto"`` is ``min(200, n_samples)``, as in scikit-learn. ``None``
        trains on all samples at each step (the course); an int draws
        shuffled mini-batches of that size every epoch.
    shuffle : bool, default=True
        Whether mini-batches are drawn in a new order each epoch.
    decay_rate : float, default=0.0
        Inverse-time decay: epoch ``k`` uses
        ``learning_rate / (1 + decay_rate * k)`` (in steps of
        ``decay_interval`` epochs).
    schedule : {"constant", "invscaling", "adaptive"}, default="constant"
        scikit-learn's learning-rate schedules (its ``learning_rate``
        parameter), for every gradient solver, applied on top of
        ``decay_rate``: ``"invscaling"`` divides the step size by
        ``(t_ + 1) ** power_t``, ``t_`` the training samples seen before the
        epoch; ``"adaptive"`` divides it by 5 each time the loss (or the
        validation score) has not improved by ``tol`` (0 when ``None``) for
        more than ``n_iter_no_change`` epochs, and stops the fit once it is
        at most 1e-6 (with ``tol`` or ``early_stopping`` set).
    power_t : float, default=0.5
        Exponent of ``schedule="invscaling"``.
    alpha : float, default=0.0001
        L2 penalty, ``alpha / (2 * n_samples) * sum of squared weights``.
    dropout : float or list of float, default=0.0
        Inverted-dropout rate of the hidden layers, one for all or one per
        hidden layer; 0 is off. Never applied when predicting.
    momentum : float, default=0.9
        Beta of ``solver="momentum"``.
    nesterovs_momentum : bool, default=False
        Nesterov's look-ahead step for ``solver="momentum"``; off by default
        because the course's momentum is plain (scikit-learn's default is on).
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Settings of ``solver="adam"``.
    tol : float or None, default=0.0001
        ``None`` runs exactly ``max_iter`` epochs, as the course does. A float
        stops once the training loss (or, with ``early_stopping``, the
        validation score) has not improved by ``tol`` for
        ``n_iter_no_change`` consecutive epochs, and warns
        (``ConvergenceWarning``) when ``max_iter`` comes first. For ``"lbfgs"``, SciPy's
        ``gtol`` (``None``: SciPy's own stopping criteria).
    n_iter_no_change : int or np.inf, default=10
        Patience of ``tol``, ``early_stopping`` and ``schedule="adaptive"``:
        as in scikit-learn, the fit stops (or the adaptive step size drops)
        at the first epoch after ``n_iter_no_change`` epochs without
        improvement, that is after ``n_iter_no_change + 1`` of them.
        ``np.inf`` never stops.
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` of the training data
        (or score the ``X_val`` given to :meth:`fit` instead), stop when its
        accuracy (or ``scoring``) stops improving, and keep the best model.
    validation_fraction : float, default=0.1
        Share of the training data held out by ``early_stopping``.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, as in scikit-learn.
    warm_start : bool, default=False
        Continue from the previous fit instead of initialising anew.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout and the validation split.
        The same seed and data give a bit-identical model.
    verbose : int, default=0
        ``1`` prints the course's ``Cost after iteration i: c`` every 100
        epochs and, during a long fit, a line with the epoch, the cost, the
        time spent and an estimate of the time left, about every 10 seconds;
        ``2`` prints every epoch with its time. For a progress bar, scores per
        epoch or stopping on a condition, see ``set_callbacks`` and the user
        guide's :ref:`progress`.
    decay_interval : int, default=1
        Epochs per step of ``decay_rate``'s decay: epoch ``k`` uses
        ``learning_rate / (1 + decay_rate * floor(k / decay_interval))``,
        course 2's staircase ``schedule_lr_decay`` (``time_interval``).
    scoring : str, callable or None, default=None
        The validation score of each epoch (``validation_scores_``, what
        ``early_stopping`` maximises): ``None`` is accuracy (:meth:`score`);
        ``"loss"`` the validation loss negated, so that higher is better; any
        other scikit-learn scorer name or a callable
        ``scorer(estimator, X, y)``. A callable cannot be saved in a model file.
    batch_norm : bool or list of bool, default=False
        Batch normalisation (course 2, week 3) of the hidden layers, one
        setting for all or one per hidden layer. A normalised layer computes
        ``Z = W A_prev``, normalises each unit over the mini-batch, then
        scales it by ``gamma`` and shifts it by ``beta`` (which takes the
        place of the bias) before the activation. Training uses each batch's
        statistics (weighted by ``sample_weight``), prediction their running
        averages (``running_stats_``). ``alpha`` does not penalise ``gamma``
        and ``beta``. See the user guide's :ref:`batch-norm`.
    batch_norm_momentum : float, default=0.9
        Weight of the old value in the running averages of the batch
        statistics, ``running = m * running + (1 - m) * batch``: PyTorch's
        ``momentum=0.1``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel, ``arange(n_labels)``).
    parameters_ : dict
        The course-layout parameters ``{"W1": (n_1, n_features), "b1": (n_1, 1), ...}``;
        a batch-normalised layer has ``gamma{l}`` and ``beta{l}`` instead of ``b{l}``.
    running_stats_ : dict
        The running mean and variance of each batch-normalised layer,
        ``{"running_mean1": (n_1, 1), "running_var1": (n_1, 1), ...}``;
        empty without ``batch_norm``.
    coefs_ : list of ndarray
        ``coefs_[i]`` has shape (n_units_i, n_units_{i+1}): scikit-learn's
        layout, views of ``parameters_``. For a batch-normalised layer, the
        weights with the running statistics folded in (what ``predict``
        computes; :func:`skdnn.engine.fold_batch_norm`).
    intercepts_ : list of ndarray
        ``intercepts_[i]`` has shape (n_units_{i+1},); folded likewise.
    loss_curve_ : list of float
        The training cost at every epoch, before that epoch's last step.
    best_loss_ : float
        The lowest value of ``loss_curve_``.
    validation_scores_ : list of float or None
        Validation score (``scoring``) at every epoch with ``early_stopping``
        or ``X_val``; ``None`` without either.
    validation_loss_curve_ : list of float or None
        Validation loss (without the L2 penalty; weighted by
        ``sample_weight_val`` only) at every epoch with ``early_stopping``
        or ``X_val``.
    best_validation_score_ : float or None
        The best of ``validation_scores_``.
    n_iter_ : int
        Number of epochs run.
    t_ : int
        Number of training samples seen.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        ``"sigmoid"`` (binary, multilabel) or ``"softmax"`` (multiclass).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    LLayerRegressor : The same network with an identity output for regression.
    skdnn.engine.L_layer_model : The course function this estimator generalises.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from skdnn import LLayerClassifier
    >>> X, y = make_moons(200, noise=0.1, random_state=0)
    >>> clf = LLayerClassifier(hidden_layer_sizes=(16,), solver="adam",
    ...                        learning_rate=0.01, max_iter=300, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    """

    _parameter_constraints = {**BaseLLayer._parameter_constraints,
                              "class_weight": [dict, StrOptions({"balanced"}), None]}

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", init="glorot_uniform", *,
                 solver="adam", learning_rate=0.001, max_iter=200, max_fun=15000,
                 batch_size="auto", shuffle=True, decay_rate=0.0, schedule="constant",
                 power_t=0.5, alpha=0.0001, dropout=0.0, momentum=0.9, nesterovs_momentum=False,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, tol=0.0001,
                 n_iter_no_change=10, early_stopping=False, validation_fraction=0.1,
                 class_weight=None, warm_start=False, random_state=None, verbose=0,
                 decay_interval=1, scoring=None, batch_norm=False,
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
        self.class_weight = class_weight

    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit the network to ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels of any type, or a 2-D indicator matrix (multilabel).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            A validation set of your own, as ``HistGradientBoostingClassifier``
            takes it; needs ``y_val``. Scored every epoch (gradient solvers
            only; ``"lbfgs"`` refuses it) into ``validation_loss_curve_`` and
            ``validation_scores_``, with or without ``early_stopping``; with
            it, it replaces the held-out split. Its labels must be among
            the training ones. In a ``Pipeline``, pass
            ``transform_input=["X_val"]`` and request it with
            ``set_fit_request`` (metadata routing).
        y_val : array-like of shape (n_val,) or (n_val, n_labels), default=None
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation loss and score.

        Returns
        -------
        self : LLayerClassifier

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
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``X``, ``y``, continuing from the current model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        classes : array-like of shape (n_classes,), default=None
            All the classes that ``y`` can take; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : LLayerClassifier
        """
        classes = check_partial_fit_classes(classes, y, getattr(self, "classes_", None))
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _encode_targets(self, y, first_call, classes=None, warm_start=False):
        if getattr(y, "ndim", 1) == 2 and y.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected; "
                          "it was raveled.", DataConversionWarning, stacklevel=user_stacklevel())
            y = y.ravel()
        check_classification_targets(y)
        multilabel = type_of_target(y) == "multilabel-indicator"
        if first_call:
            self._label_binarizer = new_binarizer(y, classes, multilabel, type(self).__name__)
            self.classes_ = self._label_binarizer.classes_
        check_labels(y, self._label_binarizer, multilabel, warm_start)
        return self._label_binarizer.transform(y), self._out_activation()

    def _out_activation(self):
        # The output rule: one softmax over the classes, or one sigmoid per
        # label (a single one for two classes).
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "sigmoid"

    def _weigh_samples(self, y, sample_weight, incremental):
        return class_sample_weights(self.class_weight, self.classes_, y, sample_weight,
                                    incremental)

    def _score_outputs(self, outputs, y, sample_weight=None):
        # accuracy_score's own form, without its target checks: held-out scoring
        # runs every epoch, and those checks (type_of_target) change the global
        # warning filters for a moment, which a fit in another thread would see.
        correct = np.asarray(self._labels(outputs)) == np.asarray(y)
        correct = correct if correct.ndim == 1 else correct.all(axis=1)  # subset accuracy
        return float(np.average(correct, weights=sample_weight))

    def _labels(self, outputs):
        return decode_labels(outputs, self._label_binarizer)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            For two classes, columns ``[P(classes_[0]), P(classes_[1])]``; for
            multilabel, the probability of each label.
        """
        return self._probabilities(X, "predict_proba")

    def _probabilities(self, X, method):
        P = self._forward(X, method)
        if self._label_binarizer.y_type_ == "binary":
            return engine.get_namespace(P).concat([1 - P, P], axis=1)
        return P

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (``-inf`` where it is exactly 0).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        P = self._probabilities(X, "predict_log_proba")
        with np.errstate(divide="ignore"):
            return engine.get_namespace(P).log(P)

    def predict(self, X):
        """Predict classes (1 where the output probability is above 0.5 for two classes).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        return self._labels(self._forward(X, "predict"))

    def score(self, X, y, sample_weight=None):
        """Accuracy on ``X`` and ``y`` (subset accuracy for multilabel).

        Under array API dispatch the labels are compared on the host: a
        library's default float (float32 for PyTorch) would round the mean.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        return float(accuracy_score(to_host(y), to_host(self.predict(X)),
                                    sample_weight=to_host(sample_weight)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # --- the targets' fitted state, for model files (see skdnn._model_files.schema) ---

    # Set from y by _encode_targets.
    _fitted_schema = {**BaseLLayer._fitted_schema, "classes_": Fitted(Labels()),
                      "_label_binarizer": Fitted(Binarizer())}

    def _check_fitted_targets(self):
        y_type = self._label_binarizer.y_type_
        out_activation = self._out_activation()
        n_outputs = 1 if y_type == "binary" else len(self.classes_)
        if (self.out_activation_, self.n_outputs_) != (out_activation, n_outputs):
            raise ValueError(f"a {y_type} classifier with {len(self.classes_)} classes has "
                             f"{n_outputs} {out_activation} outputs, not {self.n_outputs_} "
                             f"{self.out_activation_}")
