"""
=================================================
The published cat vs non-cat table, reproduced
=================================================

The L-layer network of the deep-learning course was published with a table:
two models trained on 209 cat and non-cat images, their cost every 100
iterations, and their train and test accuracies. This example trains both
models with :class:`skdnn.LLayerClassifier` and prints skdnn's figures beside
the published ones:

* the two-layer model ``(12288, 7, 1)``, ``hidden_layer_sizes=(7,)`` and
  ``init="small"`` (weights ``randn * 0.01``);
* the four-layer model ``(12288, 20, 7, 5, 1)``, the estimator's defaults
  (``init="xavier"``, weights ``randn / sqrt(fan_in)``).

Both use full-batch gradient descent, learning rate 0.0075, 2500 iterations
and ``random_state=1``, the seed of the course.

The cat images are not shipped with skdnn: set the environment variable
``SKDNN_DATA`` to the folder holding ``train_catvnoncat.h5`` and
``test_catvnoncat.h5``. Without them this example says so and stops.
"""

# %%
# Load the images
# ---------------
# :func:`skdnn.datasets.load_catvnoncat` flattens each 64 x 64 x 3 image to
# 12288 values and divides them by 255, as the course does.
import sys

import matplotlib.pyplot as plt

from skdnn import COURSE_SETTINGS, LLayerClassifier
from skdnn.datasets import get_data_home, load_catvnoncat
from skdnn.plotting import LossCurveDisplay, MisclassifiedImagesDisplay

try:
    train, test = load_catvnoncat("train"), load_catvnoncat("test")
except FileNotFoundError:
    print(f"The cat vs non-cat images are not in {get_data_home()}.")
    print("To run this example, set the environment variable SKDNN_DATA to the folder "
          "holding train_catvnoncat.h5 and test_catvnoncat.h5, e.g.\n"
          "    SKDNN_DATA=/path/to/datasets python examples/plot_cat_table.py")
    sys.exit(0)

X_train, y_train, X_test, y_test = train.data, train.target, test.data, test.target
print(f"{X_train.shape[0]} training and {X_test.shape[0]} test images, "
      f"{X_train.shape[1]} features each")

# %%
# Train the two published models
# ------------------------------
# ``loss_curve_`` holds the cost of every iteration (computed before that
# iteration's step, as the course records it), so ``loss_curve_[::100]`` is
# the course's ``costs`` list.
PUBLISHED = {
    "2 layers (7,)": {
        "costs": [0.693049735659989, 0.6464320953428849, 0.6325140647912677,
                  0.6015024920354665, 0.5601966311605747],
        "train": 1.0, "test": 0.72,
    },
    "4 layers (20, 7, 5)": {
        "costs": [0.7717493284237686, 0.6720534400822914, 0.6482632048575212,
                  0.6115068816101356, 0.5670473268366111],
        "train": 0.9856459330143539, "test": 0.8,
    },
}
# The course's settings are one mapping, skdnn.COURSE_SETTINGS (the estimators'
# own defaults are scikit-learn's MLPClassifier's): layers (20, 7, 5),
# full-batch gradient descent at 0.0075, 2500 iterations, no penalty.
MODELS = {
    "2 layers (7,)": LLayerClassifier(**{**COURSE_SETTINGS, "hidden_layer_sizes": (7,),
                                         "init": "small"}, random_state=1),
    "4 layers (20, 7, 5)": LLayerClassifier(**COURSE_SETTINGS, random_state=1),
}

for name, clf in MODELS.items():
    clf.fit(X_train, y_train)
    published = PUBLISHED[name]
    print(f"\n{name}: {clf!r}")
    print(f"{'iteration':>9}  {'skdnn cost':>20}  {'published cost':>20}  {'difference':>10}")
    for i, (ours, theirs) in enumerate(zip(clf.loss_curve_[:401:100], published["costs"])):
        print(f"{100 * i:>9}  {ours!r:>20}  {theirs!r:>20}  {abs(ours - theirs):10.1e}")
    train_acc, test_acc = float(clf.score(X_train, y_train)), float(clf.score(X_test, y_test))
    print(f"train accuracy {train_acc!r} (published {published['train']!r}), "
          f"test accuracy {test_acc!r} (published {published['test']!r})")

# %%
# The loss curves
# ---------------
# :class:`skdnn.plotting.LossCurveDisplay` draws ``loss_curve_``. The
# four-layer network starts higher (its larger initial weights make confident
# guesses from the first iteration). The two-layer network ends with the lower
# training cost, fitting all its training images, yet it is the four-layer one
# that does better on the test images: 0.8 against 0.72. Each display adds
# its curve to the axes and to the one legend beside it; the constrained
# layout makes room for that legend in the figure.
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
for name, clf in MODELS.items():
    LossCurveDisplay.from_estimator(clf, ax=ax, name=name)

# %%
# The test images the four-layer model gets wrong
# -----------------------------------------------
# 10 of the 50 test images are misclassified. The course's analysis points at
# unusual poses, backgrounds of a similar colour, lighting and scale.

# sphinx_gallery_thumbnail_number = 2
clf = MODELS["4 layers (20, 7, 5)"]
wrong = MisclassifiedImagesDisplay.from_estimator(clf, X_test, y_test, image_shape=(64, 64, 3),
                                                  display_labels=test.target_names)
print(f"\n{len(wrong.indices)} misclassified test images, rows {wrong.indices.tolist()}")
plt.show()
