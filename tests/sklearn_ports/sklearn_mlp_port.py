"""scikit-learn's MLP test data and settings, in skdnn's names, for the ported tests.

The module-level data of sklearn/neural_network/tests/test_mlp.py (1.9), and
:func:`sk`, which translates an ``MLPClassifier`` or ``MLPRegressor`` call
into skdnn's parameters with scikit-learn's defaults kept: 100 hidden units,
``alpha=1e-4``, mini-batches of ``min(200, n)``, ``max_iter=200``,
``tol=1e-4``, Glorot-uniform weights. ``solver="sgd"`` is ``"gd"`` with
``momentum=0``, otherwise ``"momentum"`` with Nesterov's step and the step
size ``learning_rate_init / (1 - momentum)``, which takes scikit-learn's
steps in the course's form of momentum (checked in
test_sklearn_optimizers_ported.py); ``learning_rate_init`` is
``learning_rate``, a schedule name is ``schedule``, ``"logistic"`` is
``"sigmoid"``. Where the original has no ``random_state`` (NumPy's global
seed), ``random_state=0``.
"""

from sklearn.datasets import load_digits, load_iris, make_regression
from sklearn.preprocessing import MinMaxScaler, scale

ACTIVATION_TYPES = ["identity", "logistic", "tanh", "relu"]

X_digits, y_digits = load_digits(n_class=3, return_X_y=True)
X_digits_multi = MinMaxScaler().fit_transform(X_digits[:200])
y_digits_multi = y_digits[:200]
X_digits, y_digits = load_digits(n_class=2, return_X_y=True)
X_digits_binary = MinMaxScaler().fit_transform(X_digits[:200])
y_digits_binary = y_digits[:200]
classification_datasets = [(X_digits_multi, y_digits_multi),
                           (X_digits_binary, y_digits_binary)]
X_reg, y_reg = make_regression(n_samples=200, n_features=10, bias=20.0, noise=100.0,
                               random_state=7)
y_reg = scale(y_reg)
regression_datasets = [(X_reg, y_reg)]
X_iris, y_iris = load_iris(return_X_y=True)


def sk(solver="adam", learning_rate_init=1e-3, momentum=0.9, learning_rate="constant",
       activation="relu", **params):
    """skdnn's settings for ``MLPClassifier(solver=..., ...)``, scikit-learn's defaults kept.

    Parameters
    ----------
    solver, learning_rate_init, momentum, learning_rate, activation
        scikit-learn's parameters of these names, with its defaults.
    **params
        Any other parameter, in skdnn's names; overrides the translation.

    Returns
    -------
    settings : dict
        Keyword arguments of ``LLayerClassifier`` or ``LLayerRegressor``.
    """
    settings = {"hidden_layer_sizes": (100,), "alpha": 1e-4, "batch_size": 200,
                "max_iter": 200, "tol": 1e-4, "init": "glorot_uniform", "random_state": 0,
                "schedule": learning_rate,
                "activation": "sigmoid" if activation == "logistic" else activation}
    if solver == "sgd" and momentum == 0:
        settings.update(solver="gd", learning_rate=learning_rate_init)
    elif solver == "sgd":
        settings.update(solver="momentum", momentum=momentum, nesterovs_momentum=True,
                        learning_rate=learning_rate_init / (1 - momentum))
    else:
        settings.update(solver=solver, learning_rate=learning_rate_init)
    return {**settings, **params}
