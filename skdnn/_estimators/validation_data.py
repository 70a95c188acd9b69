"""Validation data passed to ``fit`` (``X_val``, ``y_val``): checked, encoded, scored.

As ``HistGradientBoostingClassifier.fit`` takes them in scikit-learn 1.9:
``X_val`` goes through the checks of ``X`` without resetting them (feature
count and names, NaN), ``y_val`` through the training targets' encoder (a
classifier refuses labels it was not trained on), and ``sample_weight_val``
weighs the validation loss and score. Unlike HistGradientBoosting, validation
data without ``early_stopping`` are not an error: their curves are recorded.

The validation score of an epoch follows ``scoring``: ``None`` is the
estimator's ``score`` (accuracy, R²), ``"loss"`` the validation loss
negated (higher is better, as for every score), anything else a
scikit-learn scorer (:func:`sklearn.metrics.check_scoring`).
"""

from typing import Any, NamedTuple

import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import check_scoring
from sklearn.utils.validation import (_check_sample_weight, _check_y, check_consistent_length,
                                      validate_data)

from .array_api import namespace_and_device, to_device, to_host

__all__ = ["Validation", "check_validation_data", "validation_score"]


class Validation(NamedTuple):
    """The rows an epoch is scored on: held out by ``early_stopping`` or given to fit.

    Attributes
    ----------
    X : {ndarray, sparse matrix} of shape (n_val, n_features)
        Validated, in scikit-learn's layout.
    Y : ndarray of shape (n_val, n_outputs)
        The encoded targets, on the host.
    y : ndarray
        The targets as given, on the host.
    sample_weight : ndarray of shape (n_val,) or None
    """

    X: Any
    Y: Any
    y: Any
    sample_weight: Any = None


def check_validation_data(estimator, X, X_val, y_val, sample_weight_val):
    """``X_val``, ``y_val`` and ``sample_weight_val`` checked and encoded; ``None`` if absent.

    Called once ``X`` and ``y`` are validated and encoded (the feature count,
    names and label encoder are the training data's).

    Parameters
    ----------
    estimator : BaseLLayer
    X : {ndarray, sparse matrix}
        The validated training inputs (their dtype is ``X_val``'s).
    X_val, y_val, sample_weight_val : array-like or None
        As given to ``fit``.

    Returns
    -------
    validation : Validation or None
    """
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError("sample_weight_val is provided, but X_val and y_val were not.")
        return None
    if y_val is None:
        raise ValueError("X_val is provided, but y_val was not provided.")
    if X_val is None:
        raise ValueError("y_val is provided, but X_val was not provided.")
    if estimator.solver == "lbfgs":
        raise ValueError("X_val is scored every epoch of a gradient solver; solver='lbfgs' "
                         "does not take it (as it ignores early_stopping): use another "
                         "solver, or score the fitted model on X_val.")
    xp, device, on_numpy = namespace_and_device(X)
    if not on_numpy:  # scored where the model is, as the held-out rows are
        X_val = to_device(X_val, xp, device)
    try:
        X_val = validate_data(estimator, X_val, reset=False, accept_sparse=["csr", "csc"],
                              dtype=X.dtype)
    except ValueError as exc:
        raise ValueError(f"X_val: {exc}") from exc
    y_val = to_host(_check_y(y_val, multi_output=True, y_numeric=not is_classifier(estimator)))
    check_consistent_length(X_val, y_val)
    try:
        Y_val, _ = estimator._encode_targets(y_val, first_call=False)
    except ValueError as exc:
        raise ValueError(f"y_val: {exc}") from exc
    if sample_weight_val is not None:
        sample_weight_val = to_host(_check_sample_weight(sample_weight_val, X_val,
                                                         dtype=np.float64))
        if np.any(sample_weight_val < 0) or not sample_weight_val.any():
            raise ValueError("sample_weight_val must be non-negative, not all zero.")
    return Validation(X_val, Y_val, y_val, sample_weight_val)


def validation_score(estimator, outputs, loss, validation):
    """One epoch's validation score by ``estimator.scoring``; higher is better.

    Parameters
    ----------
    estimator : BaseLLayer
        Being fitted: its current parameters give ``outputs``.
    outputs : ndarray of shape (n_val, n_outputs)
        The network's outputs on ``validation.X``, on the host.
    loss : float
        The validation loss of ``outputs``.
    validation : Validation

    Returns
    -------
    score : float
    """
    scoring = estimator.scoring
    if scoring == "loss":
        return -loss
    if scoring is None:
        return float(estimator._score_outputs(outputs, validation.y, validation.sample_weight))
    scorer = check_scoring(estimator, scoring)
    if validation.sample_weight is None:
        return float(scorer(estimator, validation.X, validation.y))
    return float(scorer(estimator, validation.X, validation.y,
                        sample_weight=validation.sample_weight))
