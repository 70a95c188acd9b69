"""Shared fixtures: the cat images, when SKDNN_DATA (or ~/skdnn_data) holds them.

SciPy reads SCIPY_ARRAY_API when it is first imported, and scikit-learn's
array API dispatch needs it: it is set here, before any test imports either.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest  # noqa: E402

from skdnn.datasets import load_catvnoncat  # noqa: E402


@pytest.fixture(scope="session")
def cat_data():
    """``(X_train, y_train, X_test, y_test)`` in scikit-learn layout, or skip."""
    try:
        X_train, y_train = load_catvnoncat("train", return_X_y=True)
        X_test, y_test = load_catvnoncat("test", return_X_y=True)
    except FileNotFoundError as exc:
        pytest.skip(f"cat images not available: {exc}")
    return X_train, y_train, X_test, y_test
