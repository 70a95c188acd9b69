"""
==================================
Saving and loading a model safely
==================================

A pickle file (what :mod:`joblib` writes) can run arbitrary code when it is
loaded, so it should only be loaded from a source you trust. skdnn's own
format is safe to share: :func:`skdnn.save_model` writes a safetensors file
(the arrays as tensors, everything else as JSON metadata, with a SHA-256),
and :func:`skdnn.load_model` checks every value, never unpickles or executes
anything, and raises :class:`skdnn.ModelFileError` for any bad file.

This example saves a fitted classifier to a temporary folder, loads it back,
shows that the loaded model predicts exactly the same probabilities, looks
inside the file, resumes training exactly, and shows what happens with a
damaged file and with a file that is not a model.
"""

# %%
# Fit a classifier
# ----------------
import tempfile
from pathlib import Path

import joblib
import numpy as np
from safetensors import safe_open
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import LLayerClassifier, ModelFileError, load_model, save_model

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
path = Path(folder.name) / "iris_model.safetensors"
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
# Plain safetensors: the weights ``W1``, ``b1``, ... in the course layout, the
# training curve, the optimiser's moments and the generator's key are tensors
# (``safetensors.numpy.load_file`` or ``safetensors.torch.load_file`` read
# them); the rest is JSON in the metadata. Nothing in it is code.
with safe_open(path, framework="numpy") as f:
    for name in f.keys():
        tensor = f.get_slice(name)
        print(f"  {name}: {tuple(tensor.get_shape())} {tensor.get_dtype()}")
    print("metadata:", sorted(f.metadata()))

# %%
# Training resumes exactly
# ------------------------
# The optimiser's state and the random generator are in the file: a
# ``partial_fit`` of the loaded model takes the step the original takes.
clf.partial_fit(X, y)
loaded.partial_fit(X, y)
print("same weights after one more epoch:",
      all(np.array_equal(loaded.parameters_[k], clf.parameters_[k]) for k in clf.parameters_))

# %%
# Damaged and foreign files are refused
# -------------------------------------
# :func:`~skdnn.load_model` raises :class:`~skdnn.ModelFileError` (a
# ``ValueError``) naming the file and the problem; it never gets as far as
# building an estimator. One changed byte is caught by the checksum.
damaged = Path(folder.name) / "damaged.safetensors"
content = bytearray(path.read_bytes())
content[-3] ^= 1
damaged.write_bytes(bytes(content))
bogus = Path(folder.name) / "not_a_model.safetensors"
bogus.write_bytes(b"W1,b1\n0.5,0.1\n")
for bad in [damaged, bogus]:
    try:
        load_model(bad)
    except ModelFileError as exc:
        print(f"ModelFileError: {exc}")

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
