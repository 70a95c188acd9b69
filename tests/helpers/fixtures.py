"""Fixtures shared by the tests of fits that callbacks, Ctrl-C or mini-batches interrupt.

Import them into a test module (``from tests.helpers.fixtures import data,
quiet_convergence``): the autouse one then applies to that module only.
"""

import warnings

import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

N_SAMPLES = 120
"""int: the rows of :func:`data`."""


@pytest.fixture(scope="module")
def data():
    """120 standardised rows of a 5-feature binary classification problem."""
    X, y = make_classification(N_SAMPLES, 5, n_informative=3, random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(autouse=True)
def quiet_convergence():
    """A few epochs seldom converge; the warning is not what these tests are about."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield
