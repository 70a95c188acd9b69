"""
=============================================
Ten classes: handwritten digits with softmax
=============================================

With more than two classes :class:`skdnn.LLayerClassifier` replaces the
course's single sigmoid unit by a softmax output layer, one unit per class,
trained on categorical cross-entropy. Nothing else changes: the gradient at
the output is still ``AL - Y``, with ``Y`` the one-hot labels.

This example trains it on scikit-learn's 8 x 8 handwritten digits with the
Adam solver and mini-batches of 64 images, then prints the test accuracy and
the per-class report and draws the confusion matrix.
"""

# %%
# The data
# --------
# 1797 images of 64 pixels with values 0 to 16; dividing by 16 puts them in
# [0, 1], as dividing by 255 does for the cat images.
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay, classification_report
from sklearn.model_selection import train_test_split

from skdnn import LLayerClassifier

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                    random_state=0)
print(f"{X_train.shape[0]} training and {X_test.shape[0]} test images, "
      f"{X.shape[1]} pixels, {len(set(y))} classes")

# %%
# Train with Adam on mini-batches
# -------------------------------
# One iteration (``max_iter`` counts them) is one epoch: a pass over the
# training set in shuffled mini-batches of ``batch_size`` images, one Adam step
# per batch. ``"he"`` initialisation suits ReLU layers.
clf = LLayerClassifier(hidden_layer_sizes=(64, 32), init="he", solver="adam",
                       learning_rate=0.001, batch_size=64, max_iter=60, alpha=0.1,
                       random_state=0)
clf.fit(X_train, y_train)

print(f"output layer: {clf.out_activation_} with {clf.n_outputs_} units")
print(f"{clf.n_iter_} epochs, {clf.t_} samples seen; mean cost {clf.loss_curve_[0]:.4f} "
      f"in the first epoch, {clf.loss_curve_[-1]:.4f} in the last")
print(f"train accuracy {clf.score(X_train, y_train):.4f}")
print(f"test accuracy  {clf.score(X_test, y_test):.4f}")

# %%
# Per-class results
# -----------------
# ``predict_proba`` returns one column per class; each row sums to 1.
proba = clf.predict_proba(X_test)
print(f"predict_proba: shape {proba.shape}, rows sum to 1: "
      f"{bool(abs(proba.sum(axis=1) - 1).max() < 1e-12)}")
print(classification_report(y_test, clf.predict(X_test), digits=3))

# %%
# The confusion matrix
# --------------------
fig, (ax_loss, ax_cm) = plt.subplots(1, 2, figsize=(11, 4.5))
ax_loss.plot(clf.loss_curve_)
ax_loss.set(xlabel="epoch", ylabel="cost (cross-entropy + L2)", yscale="log",
            title="Training cost")
ConfusionMatrixDisplay.from_estimator(clf, X_test, y_test, ax=ax_cm, colorbar=False)
ax_cm.set_title(f"Test set, accuracy {clf.score(X_test, y_test):.3f}")
fig.tight_layout()
plt.show()
