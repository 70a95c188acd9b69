"""
=====================================================
Choosing the layers with GridSearchCV in a Pipeline
=====================================================

:class:`skdnn.LLayerClassifier` is an ordinary scikit-learn estimator, so it
goes into a :class:`~sklearn.pipeline.Pipeline` and its hyperparameters can be
searched by :class:`~sklearn.model_selection.GridSearchCV` like any other.

Here a pipeline standardises the 30 features of the breast cancer data set
(neural networks train badly on features of very different scales), then a
network classifies the tumours. The grid compares network shapes, from a single
hidden unit to the course's three hidden layers, together with the L2 penalty
``alpha``; five-fold cross-validation runs on two processes (``n_jobs=2``).
"""

# %%
# The data and the pipeline
# -------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import LLayerClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                    random_state=0)
print(f"{X_train.shape[0]} training and {X_test.shape[0]} test tumours, "
      f"{X.shape[1]} features")

pipe = Pipeline([
    ("scale", StandardScaler()),
    ("net", LLayerClassifier(solver="adam", learning_rate=0.01, max_iter=200,
                             random_state=0)),
])

# %%
# The grid search
# ---------------
# Parameters of a pipeline step are named ``<step>__<parameter>``.
param_grid = {
    "net__hidden_layer_sizes": [(1,), (8,), (32,), (20, 7, 5)],
    "net__alpha": [0.0, 1.0],
}
search = GridSearchCV(pipe, param_grid, cv=StratifiedKFold(5, shuffle=True, random_state=0),
                      n_jobs=2, return_train_score=True)
search.fit(X_train, y_train)

print(f"best parameters: {search.best_params_}")
print(f"best cross-validated accuracy: {search.best_score_:.4f}")
print(f"test accuracy of the refitted best pipeline: {search.score(X_test, y_test):.4f}")

# %%
# All the cross-validation results
# --------------------------------
results = pd.DataFrame(search.cv_results_)
table = results[["param_net__hidden_layer_sizes", "param_net__alpha", "mean_train_score",
                 "mean_test_score", "std_test_score", "rank_test_score", "mean_fit_time"]]
table = table.rename(columns=lambda c: c.replace("param_net__", "")).sort_values(
    "rank_test_score")
with pd.option_context("display.width", 120, "display.precision", 4):
    print(table.to_string(index=False))

# %%
# Training against validation accuracy
# ------------------------------------
# Bars are the mean validation accuracy over the five folds, black marks the
# mean training accuracy: the gap between the two is how much a network
# overfits. On this small, easy data set every shape does well, and the L2
# penalty ``alpha`` mostly helps the larger networks.
fig, ax = plt.subplots(figsize=(7, 4))
labels = [str(s) for s in param_grid["net__hidden_layer_sizes"]]
positions = np.arange(len(labels))
for offset, alpha in [(-0.2, 0.0), (0.2, 1.0)]:
    rows = results[results["param_net__alpha"] == alpha]
    ax.bar(positions + offset, rows["mean_test_score"], width=0.4,
           yerr=rows["std_test_score"], label=f"validation, alpha={alpha}")
    ax.scatter(positions + offset, rows["mean_train_score"], color="black", zorder=3,
               marker="_", s=300, label="training" if alpha == 0.0 else None)
ax.set(xticks=positions, xticklabels=labels, xlabel="hidden_layer_sizes",
       ylabel="accuracy (5-fold CV)", ylim=(0.9, 1.005))
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=3, fontsize="small")
fig.tight_layout()
plt.show()
