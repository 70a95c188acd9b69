"""Write the model files of ``tests/model_files/test_model_files_from_before.py``.

They were written by skdnn at commit 62620db, the last one before batch
normalisation (``batch_norm``, ``batch_norm_momentum`` and ``running_stats_``
did not exist), from the repository root::

    PYTHONPATH=$PWD python -m tests.model_files.data.make_files 62620db

Each model comes with the predictions that version made (``.npy``), which
the current version must reproduce bit for bit after loading.
"""

import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def data():
    """The rows every model is trained and predicted on."""
    rng = np.random.RandomState(0)
    X = rng.randn(80, 5)
    y_class = np.digitize(X[:, 0] + 0.5 * X[:, 1], [-0.5, 0.5])
    y_reg = np.c_[X[:, 0] - X[:, 1], X[:, 2] * X[:, 3]]
    return X, y_class, y_reg


def main(rev):
    from benchmarks.compare import load_other  # needs git and this repository's history

    old = load_other(rev=rev)
    X, y_class, y_reg = data()
    models = {
        "classifier_adam": old.LLayerClassifier((6, 4), solver="adam", learning_rate=0.01,
                                                batch_size=16, max_iter=20, random_state=0)
        .fit(X, y_class),
        "regressor_lbfgs": old.LLayerRegressor((5,), solver="lbfgs", max_iter=30,
                                               random_state=0).fit(X, y_reg),
    }
    for name, model in models.items():
        old.save_model(model, HERE / f"{name}_{rev}.safetensors")
        np.save(HERE / f"{name}_{rev}_predict.npy", model.predict(X))


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short fits: the ConvergenceWarning is expected
        main(sys.argv[1])
