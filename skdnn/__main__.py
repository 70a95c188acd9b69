"""``python -m skdnn``: train the course's L-layer network and report its accuracy.

Uses the cat vs non-cat images when ``SKDNN_DATA`` (or ``~/skdnn_data``)
holds them, and otherwise scikit-learn's digits, saying which it used and
where it looked for the images.
"""

import argparse
import sys

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from . import COURSE_SETTINGS, LLayerClassifier, __version__
from .datasets import get_data_home, load_catvnoncat


def load_demo_data():
    """Return ``(name, learning_rate, X_train, X_test, y_train, y_test)`` for the demo.

    The cat images use the course's learning rate, 0.0075; the digits, ten
    classes of 64 pixels, need a larger step to learn in 2500 iterations.
    """
    try:
        X_train, y_train = load_catvnoncat("train", return_X_y=True)
        X_test, y_test = load_catvnoncat("test", return_X_y=True)
        return (f"cat vs non-cat images from {get_data_home()}", 0.0075, X_train, X_test,
                y_train, y_test)
    except FileNotFoundError as exc:
        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25,
                                                            random_state=0, stratify=y)
        return (f"scikit-learn's digits, because the cat images were not found ({exc})",
                0.1, X_train, X_test, y_train, y_test)


def main(argv=None):
    """Run the demo; returns the process exit code.

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments (``sys.argv[1:]`` when None); only ``--help`` and
        ``--version``.
    """
    parser = argparse.ArgumentParser(
        prog="python -m skdnn",
        description="Train the course's L-layer network (layers 20, 7, 5, gradient descent, "
                    "2500 iterations) and print its train and test accuracy. Uses the cat vs "
                    "non-cat images from $SKDNN_DATA (else ~/skdnn_data), or scikit-learn's "
                    "digits when they are not there. The network is "
                    "LLayerClassifier(**skdnn.COURSE_SETTINGS), not the estimators' defaults.")
    parser.add_argument("--version", action="version", version=f"skdnn {__version__}")
    parser.parse_args(argv)
    name, learning_rate, X_train, X_test, y_train, y_test = load_demo_data()
    print(f"Data: {name}")
    print(f"{X_train.shape[0]} training and {X_test.shape[0]} test examples, "
          f"{X_train.shape[1]} features")
    clf = LLayerClassifier(**{**COURSE_SETTINGS, "learning_rate": learning_rate}, random_state=1,
                           verbose=1)
    print(f"Training {clf!r}: layers {[X_train.shape[1], *clf.hidden_layer_sizes]} + output, "
          f"{clf.max_iter} iterations of gradient descent, learning rate {learning_rate}")
    clf.fit(X_train, y_train)
    print(f"Train accuracy: {clf.score(X_train, y_train)}")
    print(f"Test accuracy: {clf.score(X_test, y_test)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
