"""The published table of ../shared/ENGINE.md, reproduced four ways.

The course functions (``two_layer_model``, ``L_layer_model``) on the course
layout, and the estimator (``LLayerClassifier``) on scikit-learn's layout,
must give the published costs at iterations 0-400 to 1e-9 and the published
accuracies. Skips without the cat images.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skdnn import COURSE_SETTINGS, LLayerClassifier
from skdnn.engine import L_layer_model, predict, two_layer_model

TWO_LAYER_COSTS = [0.693049735659989, 0.6464320953428849, 0.6325140647912677,
                   0.6015024920354665, 0.5601966311605747]
FOUR_LAYER_COSTS = [0.7717493284237686, 0.6720534400822914, 0.6482632048575212,
                    0.6115068816101356, 0.5670473268366111]
TABLE = {
    "two_layer": dict(costs=TWO_LAYER_COSTS, train=1.0, test=0.72),
    "four_layer": dict(costs=FOUR_LAYER_COSTS, train=0.9856459330143539, test=0.8),
}
ESTIMATORS = {
    "two_layer": dict(hidden_layer_sizes=(7,), init="small"),
    "four_layer": dict(),
}


@pytest.fixture(scope="module")
def course_results(cat_data):
    X_train, y_train, X_test, y_test = cat_data
    X, Y = X_train.T, y_train.reshape(1, -1)
    results = {}
    for name, model, dims in (("two_layer", two_layer_model, (12288, 7, 1)),
                              ("four_layer", L_layer_model, [12288, 20, 7, 5, 1])):
        parameters, costs = model(X, Y, dims, learning_rate=0.0075, num_iterations=2500)
        results[name] = dict(
            costs=costs, parameters=parameters,
            train=np.mean(predict(X, parameters) == Y),
            test=np.mean(predict(X_test.T, parameters) == y_test.reshape(1, -1)))
    return results


@pytest.fixture(scope="module")
def estimator_results(cat_data):
    X_train, y_train, X_test, y_test = cat_data
    results = {}
    for name, params in ESTIMATORS.items():
        clf = LLayerClassifier(**{**COURSE_SETTINGS, **params}, random_state=1)
        clf.fit(X_train, y_train)
        results[name] = dict(costs=clf.loss_curve_[::100], estimator=clf,
                             train=clf.score(X_train, y_train), test=clf.score(X_test, y_test))
    return results


@pytest.mark.parametrize("name", TABLE)
def test_course_functions_reproduce_the_table(course_results, name):
    got, published = course_results[name], TABLE[name]
    assert_allclose(got["costs"][:5], published["costs"], rtol=0, atol=1e-9)
    # The published accuracies are 206/209 and 40/50, printed by a float sum
    # whose last digit differs from a mean's.
    assert got["train"] == pytest.approx(published["train"], rel=1e-14)
    assert got["test"] == pytest.approx(published["test"], rel=1e-14)


@pytest.mark.parametrize("name", TABLE)
def test_estimator_reproduces_the_table(estimator_results, name):
    got, published = estimator_results[name], TABLE[name]
    assert len(got["estimator"].loss_curve_) == 2500
    assert_allclose(got["costs"][:5], published["costs"], rtol=0, atol=1e-9)
    # The published accuracies are 206/209 and 40/50, printed by a float sum
    # whose last digit differs from a mean's.
    assert got["train"] == pytest.approx(published["train"], rel=1e-14)
    assert got["test"] == pytest.approx(published["test"], rel=1e-14)


@pytest.mark.parametrize("name", TABLE)
def test_estimator_is_the_course_model(course_results, estimator_results, name):
    """Same data, same seed: the estimator's parameters are the course's."""
    clf = estimator_results[name]["estimator"]
    assert_allclose(clf.loss_curve_[::100], course_results[name]["costs"], rtol=1e-12)
    for key, value in course_results[name]["parameters"].items():
        assert_allclose(clf.parameters_[key], value, rtol=1e-10, atol=1e-13, err_msg=key)
