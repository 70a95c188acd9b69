"""
===========================================
Deploying a model with ONNX and onnxruntime
===========================================

`ONNX <https://onnx.ai>`_ is a file format for models that runtimes in many
languages and on many devices execute without Python or scikit-learn.
:mod:`skdnn.onnx` teaches `skl2onnx <https://onnx.ai/sklearn-onnx/>`_ to convert
skdnn's estimators: after ``import skdnn.onnx``, ``skl2onnx.to_onnx`` converts
an :class:`~skdnn.LLayerClassifier` or :class:`~skdnn.LLayerRegressor`, alone
or inside a :class:`~sklearn.pipeline.Pipeline`.

This example fits a pipeline that scales the 64 pixels of the digits and
classifies them, converts it to ONNX, saves the file, runs it with
onnxruntime as a deployed service would, and compares its outputs with
skdnn's. It needs the ``onnx`` extra: ``pip install skdnn[onnx]``.
"""

# %%
# Fit a pipeline
# --------------
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import skdnn.onnx  # noqa: F401  (registers skdnn's converters with skl2onnx)
from skdnn import LLayerClassifier, LLayerRegressor

X, y = load_digits(return_X_y=True)
# ONNX graphs usually run in float32: fitting in float32 makes skdnn compute
# in the same precision, so the two can be compared closely.
X = X.astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
pipe = Pipeline([
    ("scale", StandardScaler()),
    ("net", LLayerClassifier((32, 16), solver="adam", learning_rate=0.01, max_iter=100,
                             random_state=0)),
]).fit(X_train, y_train)
print(f"test accuracy: {pipe.score(X_test, y_test):.3f}")

# %%
# Convert and save
# ----------------
# ``X_train[:1]`` tells skl2onnx the input's type and number of features.
# ``zipmap=False`` returns the probabilities as one array rather than one
# dictionary per sample.
onx = to_onnx(pipe, X_train[:1], options={"zipmap": False})
folder = tempfile.TemporaryDirectory()
path = Path(folder.name) / "digits.onnx"
path.write_bytes(onx.SerializeToString())
print(f"saved {path.name}: {path.stat().st_size} bytes, "
      f"{len(onx.graph.node)} nodes: {sorted({node.op_type for node in onx.graph.node})}")

# %%
# Run it with onnxruntime
# -----------------------
# The deployed side needs only onnxruntime and the file.
session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
print("inputs:", [(i.name, i.type, i.shape) for i in session.get_inputs()])
print("outputs:", [(o.name, o.type, o.shape) for o in session.get_outputs()])
labels, probabilities = session.run(None, {session.get_inputs()[0].name: X_test})

# %%
# Compare with skdnn
# ------------------
# The labels are the same; the probabilities agree to float32 rounding.
same_labels = np.array_equal(labels, pipe.predict(X_test))
max_gap = np.abs(probabilities - pipe.predict_proba(X_test)).max()
print(f"identical labels: {same_labels}, largest probability difference: {max_gap:.1e}")
assert same_labels and max_gap < 1e-5

# %%
# A regressor, in float64
# -----------------------
# Converting with a float64 sample gives a float64 graph, which agrees with
# skdnn's float64 predictions to about 1e-15. A regressor's ONNX output has
# shape (n_samples, n_outputs), as for scikit-learn's regressors.
X64 = X.astype(np.float64)
reg = Pipeline([("scale", StandardScaler()),
                ("net", LLayerRegressor((16,), activation="tanh", solver="lbfgs",
                                        max_iter=100, random_state=0))])
reg.fit(X64, y.astype(np.float64))
session = ort.InferenceSession(to_onnx(reg, X64[:1]).SerializeToString(),
                               providers=["CPUExecutionProvider"])
(predictions,) = session.run(None, {session.get_inputs()[0].name: X64})
gap = np.abs(predictions.ravel() - reg.predict(X64)).max()
print(f"regressor output {predictions.shape} {predictions.dtype}, largest difference {gap:.1e}")

folder.cleanup()
