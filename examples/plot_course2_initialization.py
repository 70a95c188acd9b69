"""
==================================================
Course 2, Initialization: zeros, random and He
==================================================

The first notebook of "Improving Deep Neural Networks" trains one three-layer
network, ``[2, 10, 5, 1]``, on two circles three times, changing only how the
weights start. Here :class:`skdnn.LLayerClassifier` runs the three models with
the notebook's settings (learning rate 0.01, 15000 full-batch iterations,
weights drawn with seed 3) and draws their decision boundaries:

- ``init="zeros"``: every unit of a layer computes the same thing and gets the
  same gradient, so the network never breaks the symmetry (``fit`` says so in
  a warning); it predicts one class everywhere, accuracy 0.5.
- ``init="random"``: ``randn * 10`` saturates the sigmoid (the first cost is
  infinite in the notebook); it learns slowly, 0.83 on the training set.
- ``init="he"``: ``randn * sqrt(2 / n_in)``, made for ReLU layers: 0.9933 on
  the training set and 0.96 on the test set, as the notebook prints.

See the user guide's "Course 2 in skdnn" for the notebook's own functions.
"""

# %%
# The notebook's data
# -------------------
# ``load_dataset`` in the notebook's ``init_utils.py``: seed 1 for the 300
# training points, seed 2 for the 100 test points.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_circles
from sklearn.exceptions import ConvergenceWarning

from skdnn import LLayerClassifier

np.random.seed(1)
X_train, y_train = make_circles(n_samples=300, noise=0.05)
np.random.seed(2)
X_test, y_test = make_circles(n_samples=100, noise=0.05)

# %%
# Three initialisations, one network
# ----------------------------------
models = {}
for init in ["zeros", "random", "he"]:
    clf = LLayerClassifier(hidden_layer_sizes=(10, 5), init=init, learning_rate=0.01,
                           max_iter=15000, random_state=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X_train, y_train)
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):
            print(f"init={init!r} warns: {w.message}")
    models[init] = clf
    print(f"init={init!r}: train accuracy {clf.score(X_train, y_train):.4f}, "
          f"test accuracy {clf.score(X_test, y_test):.4f}, final cost {clf.loss_:.4f}")

# %%
# The decision boundaries
# -----------------------
# The notebook's ``plot_decision_boundary``: predictions over the plane, the
# training points on top.
xx, yy = np.meshgrid(np.arange(-1.5, 1.5, 0.01), np.arange(-1.5, 1.5, 0.01))
grid = np.column_stack([xx.ravel(), yy.ravel()])
fig, axes = plt.subplots(1, 3, figsize=(12, 4), sharey=True)
titles = {"zeros": "Zeros initialization", "random": "Large random initialization",
          "he": "He initialization"}
for ax, (init, clf) in zip(axes, models.items()):
    ax.contourf(xx, yy, clf.predict(grid).reshape(xx.shape), cmap=plt.cm.Spectral)
    ax.scatter(X_train[:, 0], X_train[:, 1], c=y_train, cmap=plt.cm.Spectral, s=12,
               edgecolors="k", linewidths=0.3)
    ax.set_title(f"{titles[init]}\ntrain {clf.score(X_train, y_train):.4f}")
    ax.set_xlabel("x1")
axes[0].set_ylabel("x2")
fig.tight_layout()
plt.show()
