"""Batch norm when the rows do not divide into batches: ``python -m benchmarks.batch_norm_leftover``.

The gallery example's network (``examples/plot_batch_norm.py``: ten hidden
ReLU layers of 32 units, ``solver="gd"``, ``learning_rate=0.1``, batches of
64, 20 epochs) with ``batch_norm=True`` on training sets of the digits whose
size leaves 0, 1, 3 or 6 rows over after the full batches. A step
normalised by the statistics of a handful of rows can undo an epoch's
training (held-out accuracies of 0.02 to 0.40 with a last batch of 3 rows,
before the rows left over joined the last full batch; see
:func:`skdnn.engine.mini_batches`). Each line gives the held-out accuracy
for three seeds: with the rule, they stay where the evenly divided set is.
"""

import argparse
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skdnn import LLayerClassifier

TRAINING_SIZES = (1344, 1345, 1347, 1350)  # 21 batches of 64, then 0, 1, 3 or 6 rows
SEEDS = (0, 1, 2)


def held_out_accuracies(n_train, seeds=SEEDS):
    """Held-out accuracy of the example's batch-normalised network, one per seed."""
    X, y = load_digits(return_X_y=True)
    order = np.random.RandomState(0).permutation(len(X))
    train, held_out = order[:n_train], order[1400:]
    scaler = StandardScaler().fit(X[train])
    scores = []
    for seed in seeds:
        clf = LLayerClassifier((32,) * 10, solver="gd", learning_rate=0.1, init="xavier",
                               batch_size=64, max_iter=20, tol=None, alpha=0.0,
                               batch_norm=True, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter on purpose
            clf.fit(scaler.transform(X[train]), y[train])
        scores.append(clf.score(scaler.transform(X[held_out]), y[held_out]))
    return scores


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batch_norm_leftover",
                                     description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    for n_train in TRAINING_SIZES:
        scores = ", ".join(f"{s:.3f}" for s in held_out_accuracies(n_train))
        print(f"{n_train} training rows ({n_train % 64} left over after batches of 64): "
              f"held-out accuracy {scores}")


if __name__ == "__main__":
    main()
