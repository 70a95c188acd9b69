"""scikit-learn's MLP spellings that skdnn names otherwise, and what partial_fit needs.

Free of the estimators' fitting: :mod:`skdnn._estimators.base` asks these when a value
is refused, and the estimators hide ``partial_fit`` by :func:`stochastic_solver`.
"""

SKLEARN_SPELLINGS = {
    ("solver", "sgd"): "skdnn's 'sgd' is solver='gd' (or solver='momentum' for momentum > 0)",
    ("activation", "logistic"): "skdnn calls the logistic function 'sigmoid'",
    **{("learning_rate", name): (f"skdnn's learning_rate is the step size (scikit-learn's "
                                 f"learning_rate_init); use schedule={name!r}")
       for name in ("constant", "invscaling", "adaptive")},
}
"""dict: ``(parameter, scikit-learn's value)`` to the hint naming skdnn's setting."""


def hint_for_sklearn_spelling(estimator):
    """The hint for the first parameter of ``estimator`` set to scikit-learn's spelling.

    Parameters
    ----------
    estimator : LLayerClassifier or LLayerRegressor

    Returns
    -------
    hint : str or None
        ``None`` when no parameter holds one of :data:`SKLEARN_SPELLINGS`.
    """
    for (name, value), hint in SKLEARN_SPELLINGS.items():
        setting = getattr(estimator, name)
        if isinstance(setting, str) and setting == value:
            return hint
    return None


def stochastic_solver(estimator):
    """``available_if`` condition of ``partial_fit``: not with ``solver="lbfgs"``.

    Parameters
    ----------
    estimator : LLayerClassifier or LLayerRegressor

    Returns
    -------
    bool
        Always True: other solvers have ``partial_fit``.

    Raises
    ------
    AttributeError
        With ``solver="lbfgs"``, as scikit-learn's MLP.
    """
    if estimator.solver == "lbfgs":
        raise AttributeError("partial_fit is only available for the stochastic solvers; "
                             "solver='lbfgs' minimises on the full data only.")
    return True
