"""
===============================
XOR: the smallest hidden layer
===============================

XOR is the classic function that no linear model can learn: its four points
cannot be split by one line. One hidden layer of two sigmoid units is enough,
the exercise that ends the course's L-layer material. Here
:class:`skdnn.LLayerClassifier` learns it, prints its predictions and draws the
decision boundary: two lines, one per hidden unit, that together cut the plane
into the XOR pattern.
"""

# %%
# The four points
# ---------------
import matplotlib.pyplot as plt
import numpy as np

from skdnn import LLayerClassifier

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = np.array([0, 1, 1, 0])

# %%
# A two-layer sigmoid network
# ---------------------------
# Two sigmoid hidden units and a sigmoid output, full-batch gradient descent.
# Four points are easy to fit, so the learning rate can be large; the small
# uniform initialisation (``"glorot_uniform"``) keeps the units from saturating
# at the start.
clf = LLayerClassifier(hidden_layer_sizes=(2,), activation="sigmoid", init="glorot_uniform",
                       solver="gd", learning_rate=1.0, max_iter=5000, tol=None, alpha=0.0,
                       random_state=0)
clf.fit(X, y)

print("x1 x2 | XOR | predicted | P(1)")
for (x1, x2), target, pred, proba in zip(X, y, clf.predict(X), clf.predict_proba(X)[:, 1]):
    print(f" {x1:.0f}  {x2:.0f} |  {target}  |     {pred}     | {proba:.4f}")
print(f"accuracy {clf.score(X, y)}, final cost {clf.loss_curve_[-1]:.5f} "
      f"after {clf.n_iter_} iterations")

# %%
# Two units are just enough, so not every start works
# ---------------------------------------------------
# With two hidden units some initialisations end in a local minimum where one
# point is left at probability 0.5. Four units have room to spare.
for sizes in [(2,), (4,)]:
    solved = [LLayerClassifier(hidden_layer_sizes=sizes, activation="sigmoid",
                               init="glorot_uniform", solver="gd", learning_rate=1.0,
                               max_iter=5000, tol=None, alpha=0.0, random_state=seed).fit(X, y).score(X, y) == 1.0
              for seed in range(5)]
    print(f"hidden_layer_sizes={sizes}: XOR learnt from {sum(solved)} of 5 seeds")

# %%
# The decision boundary
# ---------------------
# The probability of class 1 over the plane; the black line is P = 0.5.
xx, yy = np.meshgrid(np.linspace(-0.5, 1.5, 201), np.linspace(-0.5, 1.5, 201))
grid = np.column_stack([xx.ravel(), yy.ravel()])
proba = clf.predict_proba(grid)[:, 1].reshape(xx.shape)

fig, ax = plt.subplots(figsize=(5, 4.5))
contour = ax.contourf(xx, yy, proba, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.8)
ax.contour(xx, yy, proba, levels=[0.5], colors="black", linewidths=2)
ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="black", s=200, vmin=0, vmax=1)
for (x1, x2), target in zip(X, y):
    ax.annotate(str(target), (x1, x2), xytext=(12, 12), textcoords="offset points", fontsize=14)
fig.colorbar(contour, ax=ax, label="P(XOR = 1)")
ax.set(xlabel="$x_1$", ylabel="$x_2$", title="XOR learnt by a 2-2-1 sigmoid network")
fig.tight_layout()
plt.show()
