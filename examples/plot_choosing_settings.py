"""
Choosing settings: the defaults, adam, L-BFGS and MLPClassifier side by side
============================================================================

The table of the user guide's "Choosing settings" page, printed by
``python examples/plot_choosing_settings.py``.

Fits skdnn with its defaults (the course's full-batch gradient descent), with
adam on mini-batches (on the default layers, on ``MLPClassifier``'s single
layer of 100 units, with and without early stopping), with L-BFGS, and
scikit-learn's ``MLPClassifier``/``MLPRegressor`` with their defaults, on
three of scikit-learn's data sets; skdnn's regressors standardise y themselves
(``normalize_y``), and but for the defaults also get it scaled by
``TransformedTargetRegressor``. Every model sees standardised X; each score is on a
held-out quarter of the data. It prints the table as reStructuredText;
``docs/user_guide/settings_table.rst`` is its output, and a test checks that
the two agree (within 0.005, the BLAS's rounding).
"""

import warnings

from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import LLayerClassifier, LLayerRegressor

ADAM = dict(solver="adam", learning_rate=1e-3, batch_size=200, max_iter=200, random_state=0)
WIDE = dict(ADAM, hidden_layer_sizes=(100,))  # MLPClassifier's network
EARLY = dict(WIDE, early_stopping=True, tol=1e-4)
LBFGS = dict(solver="lbfgs", max_iter=200, tol=1e-4, random_state=0)
SETTINGS = {"skdnn defaults": {"random_state": 0}, "skdnn adam": ADAM,
            "skdnn adam (100,)": WIDE, "skdnn adam (100,), early stopping": EARLY,
            "skdnn lbfgs": LBFGS}

DATASETS = {"breast cancer": (load_breast_cancer, "classifier"),
            "digits": (load_digits, "classifier"),
            "diabetes": (load_diabetes, "regressor")}


def scaled_y(regressor):
    return TransformedTargetRegressor(regressor, transformer=StandardScaler())


def contenders(kind):
    """The models of one row, by column name."""
    if kind == "classifier":
        models = {name: LLayerClassifier(**params) for name, params in SETTINGS.items()}
        return {**models, "MLPClassifier defaults": MLPClassifier(random_state=0)}
    # The defaults get the raw target: normalize_y (on by default) standardises it.
    models = {name: LLayerRegressor(**params) if name == "skdnn defaults"
              else scaled_y(LLayerRegressor(**params)) for name, params in SETTINGS.items()}
    return {**models, "MLPRegressor defaults": MLPRegressor(random_state=0)}


def scores():
    """``{data set: {column: held-out score}}`` (accuracy, or R² for diabetes)."""
    table = {}
    for name, (load, kind) in DATASETS.items():
        X, y = load(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25,
                                                            random_state=0)
        row = {}
        for column, model in contenders(kind).items():
            with warnings.catch_warnings():
                # Failed defaults are the point of the table, not noise.
                warnings.simplefilter("ignore", ConvergenceWarning)
                pipeline = make_pipeline(StandardScaler(), model).fit(X_train, y_train)
            row[column] = pipeline.score(X_test, y_test)
        table[name] = row
    return table


def to_rst(table):
    """The table as a reStructuredText list-table."""
    columns = [c.replace("Classifier", "") for c in next(iter(table.values()))]
    lines = [".. list-table::", "   :header-rows: 1", "",
             "   * - data set (score)", *[f"     - {c}" for c in columns]]
    for name, row in table.items():
        metric = "R²" if DATASETS[name][1] == "regressor" else "accuracy"
        lines += [f"   * - {name} ({metric})", *[f"     - {score:.3f}" for score in row.values()]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(to_rst(scores()), end="")
