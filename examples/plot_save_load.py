"""
==================================
Saving and loading a model safely
==================================

A pickle file (what :mod:`joblib` writes) can run arbitrary code when it is
loaded, so it should only be loaded from a source you trust. skdnn's own
format is safe to share: :func:`skdnn.save_model` writes an HDF5 file of
numbers and strings only (hyperparameters as JSON, weights, labels, training
state), and :func:`skdnn.load_model` reads it back with h5py, checks every
value, and never unpickles or executes anything.

This example saves a fitted classifier to a temporary folder, loads it back,
shows that the loaded model predicts exactly the same probabilities, looks
inside the file, and shows what happens with a file that is not a model.
"""

# %%
# Fit a classifier
# ----------------
import tempfile
from pathlib import Path

import h5py
import joblib
import numpy as np
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import LLayerClassifier, load_model, save_model

X, y = load_iris(return_X_y=True)
X = StandardScaler().fit_transform(X)
clf = LLayerClassifier(hidden_layer_sizes=(16, 8), solver="adam", learning_rate=0.01,
                       max_iter=300, random_state=0).fit(X, y)
print(f"fitted {clf!r}: training accuracy {clf.score(X, y):.3f}")

# %%
# Save it, load it, compare
# -------------------------
# The loaded estimator is a new ``LLayerClassifier`` with the same
# hyperparameters and fitted attributes: its predictions are bit-identical.
folder = tempfile.TemporaryDirectory()
path = Path(folder.name) / "iris_model.h5"
save_model(clf, path)
print(f"saved to {path.name}: {path.stat().st_size} bytes")

loaded = load_model(path)
print(f"loaded {loaded!r}")
same_proba = np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))
same_labels = np.array_equal(loaded.predict(X), clf.predict(X))
print(f"identical probabilities: {same_proba}, identical predictions: {same_labels}")
print(f"classes {loaded.classes_}, {loaded.n_iter_} iterations, "
      f"last cost {loaded.loss_curve_[-1]:.6f} (original {clf.loss_curve_[-1]:.6f})")

# %%
# Inside the file
# ---------------
# Plain HDF5: any HDF5 tool can list it, and nothing in it is code.
with h5py.File(path, "r") as f:
    print("attributes:", sorted(f.attrs))
    f.visititems(lambda name, obj: print(f"  {name}: {obj.shape} {obj.dtype}")
                 if isinstance(obj, h5py.Dataset) else None)

# %%
# A file that is not a model is refused
# -------------------------------------
# :func:`~skdnn.load_model` raises ``ValueError`` naming the file and the
# problem; it never gets as far as building an estimator.
bogus = Path(folder.name) / "not_a_model.h5"
with h5py.File(bogus, "w") as f:
    f.create_dataset("parameters", data=np.arange(3))
try:
    load_model(bogus)
except ValueError as exc:
    print(f"ValueError: {exc}")

# %%
# Pipelines: joblib, from trusted sources only
# --------------------------------------------
# The model format holds one ``LLayerClassifier`` or ``LLayerRegressor``. A
# whole :class:`~sklearn.pipeline.Pipeline` is saved with joblib, like any
# scikit-learn object; load such files only if you trust where they come from.
X_raw, _ = load_iris(return_X_y=True)
pipe = make_pipeline(StandardScaler(), LLayerClassifier((16, 8), solver="adam",
                                                        learning_rate=0.01, max_iter=300,
                                                        random_state=0)).fit(X_raw, y)
joblib.dump(pipe, Path(folder.name) / "pipeline.joblib")
pipe_loaded = joblib.load(Path(folder.name) / "pipeline.joblib")
print("pipeline reloaded with joblib, identical predictions:",
      np.array_equal(pipe_loaded.predict(X_raw), pipe.predict(X_raw)))

folder.cleanup()
