"""
Choosing settings: the defaults, adam, L-BFGS and MLPClassifier side by side
============================================================================

The table of the user guide's "Choosing settings" page, printed by
``python examples/plot_choosing_settings.py``.

Fits skdnn with its defaults (``MLPClassifier``'s: adam at 1e-3 on
mini-batches of 200, one layer of 100 units), with the course's settings
(``skdnn.COURSE_SETTINGS``: full-batch gradient descent, layers (20, 7, 5)),
with adam on the course's layers, with early stopping, with L-BFGS, and
scikit-learn's ``MLPClassifier``/``MLPRegressor`` with their defaults, on
three of scikit-learn's data sets. skdnn's regressors standardise y themselves
(``normalize_y``, on by default); but for the defaults and the course's settings
they also get ``TransformedTargetRegressor``. Every model sees standardised X; each score is on a
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

from skdnn import COURSE_SETTINGS, LLayerClassifier, LLayerRegressor

# skdnn's defaults are MLPClassifier's (adam at 1e-3 on mini-batches of 200,
# one layer of 100 units, 200 epochs, tol=1e-4, alpha=1e-4); the course's
# settings are one mapping away.
COURSE = dict(COURSE_SETTINGS, random_state=0)
COURSE_LAYERS_ADAM = dict(hidden_layer_sizes=COURSE_SETTINGS["hidden_layer_sizes"],
                          random_state=0)
EARLY = dict(early_stopping=True, random_state=0)
LBFGS = dict(solver="lbfgs", random_state=0)
SETTINGS = {"skdnn defaults": {"random_state": 0}, "course settings": COURSE,
            "course layers, adam": COURSE_LAYERS_ADAM, "skdnn early stopping": EARLY,
            "skdnn lbfgs": LBFGS}
RAW_TARGET = {"skdnn defaults", "course settings"}

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
    # The defaults and the course's settings get the raw target: normalize_y
    # (on by default) standardises it inside the estimator.
    models = {name: LLayerRegressor(**params) if name in RAW_TARGET
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
