"""scikit-learn's own estimator checks, in full, for every skdnn estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdnn import LLayerClassifier, LLayerRegressor


@parametrize_with_checks([LLayerClassifier(random_state=0), LLayerRegressor(random_state=0)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
