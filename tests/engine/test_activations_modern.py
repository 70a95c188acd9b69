"""The smooth activations: ``"elu"``, ``"selu"``, ``"gelu"``, ``"silu"``, ``"softplus"``.

Each is checked against its formula written literally, its backward step
against centred differences of its forward one, at saturating inputs (no
``RuntimeWarning``, the right limits), with the engine's buffers, and in the
estimators: one activation for all layers or one per layer, model files and
the array API (the gradient check of whole networks is in
:mod:`test_gradient_check`, ONNX in :mod:`test_onnx`).
"""

import warnings

import numpy as np
import pytest
from tests.helpers.array_api import ADAM, NAMESPACES, SMALL, assert_same_fit, assert_same_outputs
from tests.helpers.array_api import fit_pair, multiclass
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning

from skdnn import LLayerClassifier, LLayerRegressor
from skdnn._estimators.base import HIDDEN_ACTIVATIONS
from skdnn.engine import ACTIVATIONS, get_namespace, gradient_check, initialize_network
from skdnn.engine.activations import SELU_ALPHA, SELU_SCALE, Activation
from skdnn.model_io import load_model, save_model

MODERN = ["elu", "selu", "gelu", "silu", "softplus"]


def _literal(name, z):
    """The textbook formula, computed naively (for moderate ``z`` only)."""
    if name == "elu":
        return np.where(z > 0, z, np.exp(z) - 1)
    if name == "selu":
        return SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * (np.exp(z) - 1))
    if name == "gelu":  # the tanh approximation (PyTorch's approximate="tanh")
        return 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3)))
    if name == "silu":
        return z / (1 + np.exp(-z))
    if name == "softplus":
        return np.log(1 + np.exp(z))
    raise ValueError(name)


# Each activation's limits: (value at -big, slope at -big, value / Z at +big, slope at +big).
LIMITS = {"elu": (-1.0, 0.0, 1.0, 1.0),
          "selu": (-SELU_SCALE * SELU_ALPHA, 0.0, SELU_SCALE, SELU_SCALE),
          "gelu": (0.0, 0.0, 1.0, 1.0),
          "silu": (0.0, 0.0, 1.0, 1.0),
          "softplus": (0.0, 0.0, 1.0, 1.0)}


def _moderate_z():
    # An even number of points: none at 0, where selu's derivative jumps.
    z = np.linspace(-6, 6, 240).reshape(1, -1)
    assert np.abs(z).min() > 1e-3
    return z


def test_the_estimators_accept_them():
    assert set(MODERN) <= set(HIDDEN_ACTIVATIONS)


@pytest.mark.parametrize("name", MODERN)
def test_forward_is_the_formula(name):
    z = _moderate_z()
    assert_allclose(ACTIVATIONS[name].forward(z), _literal(name, z), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", MODERN)
def test_backward_is_the_derivative(name):
    z, h = _moderate_z(), 1e-6
    forward = ACTIVATIONS[name].forward
    numeric = (forward(z + h) - forward(z - h)) / (2 * h)
    dA = np.random.RandomState(0).randn(*z.shape)
    assert_allclose(ACTIVATIONS[name].backward(dA, z), dA * numeric, rtol=1e-7, atol=1e-9)


def test_gelu_is_the_tanh_approximation_of_the_erf_form():
    # The documented choice: within 5e-4 of x * Phi(x), PyTorch's approximate="tanh".
    special = pytest.importorskip("scipy.special")
    z = np.linspace(-8, 8, 2001)
    exact = 0.5 * z * (1 + special.erf(z / np.sqrt(2)))
    gap = np.abs(ACTIVATIONS["gelu"].forward(z) - exact).max()
    assert 1e-4 < gap < 5e-4
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.gelu(torch.from_numpy(z), approximate="tanh").numpy()
    assert_allclose(ACTIVATIONS["gelu"].forward(z), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype, big", [(np.float64, 1e300), (np.float32, 1e38)],
                         ids=["float64", "float32"])
@pytest.mark.parametrize("name", MODERN)
def test_saturating_inputs_give_the_limits_without_warnings(name, dtype, big):
    Z = np.array([[-big, -1e4, 1e4, big]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A = ACTIVATIONS[name].forward(Z)
        dZ = ACTIVATIONS[name].backward(np.ones_like(Z), Z)
    assert A.dtype == dtype and dZ.dtype == dtype
    low, low_slope, high_ratio, high_slope = LIMITS[name]
    assert_allclose(A[0, :2], low, atol=1e-30)
    assert_allclose(dZ[0, :2], low_slope, atol=1e-30)
    assert_allclose(A[0, 2:] / Z[0, 2:], high_ratio, rtol=1e-6)
    assert_allclose(dZ[0, 2:], high_slope, rtol=1e-6)


@pytest.mark.parametrize("name", MODERN)
def test_buffers(name):
    # The training loop computes A into a buffer and dZ over dA: same numbers.
    Z = np.random.RandomState(1).randn(3, 5) * 3
    activation = ACTIVATIONS[name]
    A_out = np.empty_like(Z)
    assert activation.forward(Z, out=A_out) is A_out
    assert_array_equal(A_out, activation.forward(Z))
    dA = np.random.RandomState(2).randn(3, 5)
    expected = activation.backward(dA, Z)
    assert activation.backward(dA, Z, out=dA) is dA
    assert_array_equal(dA, expected)


@pytest.mark.parametrize("name", MODERN)
def test_gradient_check_through_two_layers(name):
    rng = np.random.RandomState(3)
    X = rng.randn(3, 7) * 2
    parameters = initialize_network([3, 4, 3, 1], "he", rng)
    Y = rng.randint(0, 2, (1, 7)).astype(float)
    assert gradient_check(X, Y, parameters, [name, name, "sigmoid"]) < 1e-7


def _moons():
    return make_moons(120, noise=0.2, random_state=0)


@pytest.mark.parametrize("activation", [*MODERN, ["gelu", "elu"], ["softplus", "selu"],
                                        ["silu", "relu"]])
def test_classifier_learns_with_them(activation):
    X, y = _moons()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = LLayerClassifier((8, 8), activation=activation, solver="adam",
                               learning_rate=0.02, max_iter=300, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.85


def test_the_list_is_applied_layer_by_layer():
    X, y = _moons()
    acts = ["gelu", "selu"]
    clf = LLayerClassifier((5, 4), activation=acts, solver="adam", learning_rate=0.02,
                           max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    A = X.T
    for l, name in enumerate(acts, start=1):
        A = _literal(name, clf.parameters_[f"W{l}"] @ A + clf.parameters_[f"b{l}"])
    Z = clf.parameters_["W3"] @ A + clf.parameters_["b3"]
    assert_allclose(clf.predict_proba(X)[:, 1], 1 / (1 + np.exp(-Z[0])), rtol=1e-10)


@pytest.mark.parametrize("name", MODERN)
def test_model_file_round_trip(name, tmp_path):
    X, y = _moons()
    rng = np.random.RandomState(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = LLayerClassifier((6, 4), activation=[name, "tanh"], solver="adam",
                               learning_rate=0.02, max_iter=20, random_state=0).fit(X, y)
        reg = LLayerRegressor((6,), activation=name, solver="adam", learning_rate=0.01,
                              max_iter=20, random_state=0).fit(X, X[:, 0] + rng.randn(120))
    for est, method in [(clf, "predict_proba"), (reg, "predict")]:
        path = tmp_path / f"{type(est).__name__}.safetensors"
        save_model(est, path)
        loaded = load_model(path)
        assert loaded.get_params()["activation"] == est.activation
        assert_array_equal(getattr(loaded, method)(X), getattr(est, method)(X))


@pytest.fixture(params=NAMESPACES, ids=repr)
def ns(request):
    """The namespace under test, loaded (skipped where its library is missing)."""
    return request.param.load()


@pytest.mark.parametrize("name", MODERN)
def test_array_api_fit_equals_numpy(name, ns):
    estimator = LLayerClassifier(**SMALL, **ADAM, activation=name)
    reference, fitted, X, y, X_ns, y_ns = fit_pair(estimator, multiclass, False, ns)
    assert_same_fit(reference, fitted, ns)
    assert_same_outputs(reference, fitted, X, y, X_ns, y_ns, ns)


def _mish(Z, out=None):
    xp = get_namespace(Z)
    softplus = xp.maximum(Z, 0.0) + xp.log1p(xp.exp(-xp.abs(Z)))
    return xp.multiply(Z, xp.tanh(softplus), out=out)


def _mish_backward(dA, Z, out=None):
    xp = get_namespace(dA, Z)
    t = xp.tanh(xp.maximum(Z, 0.0) + xp.log1p(xp.exp(-xp.abs(Z))))
    sigmoid = ACTIVATIONS["sigmoid"].forward(Z)
    return xp.multiply(dA, t + Z * (1.0 - t * t) * sigmoid, out=out)


def test_an_activation_of_ones_own_is_one_table_entry(monkeypatch, tmp_path):
    # The user guide's example ("Adding an activation of your own"), step by step.
    X, y = _moons()
    clf = LLayerClassifier((5,), activation="mish", solver="adam", learning_rate=0.02,
                           max_iter=20, random_state=0)
    with pytest.raises(ValueError, match="Unknown activation 'mish'"):
        clf.fit(X, y)
    assert not hasattr(clf, "parameters_")  # refused before any fitted state
    monkeypatch.setitem(ACTIVATIONS, "mish", Activation(_mish, _mish_backward))
    rng = np.random.RandomState(0)
    assert gradient_check(rng.randn(3, 6), rng.randint(0, 2, (1, 6)),
                          initialize_network([3, 4, 1], "he", rng), ["mish", "sigmoid"]) < 1e-7
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    save_model(clf, tmp_path / "mish.safetensors")
    assert_array_equal(load_model(tmp_path / "mish.safetensors").predict_proba(X),
                       clf.predict_proba(X))
    pytest.importorskip("skl2onnx")
    import skdnn.onnx  # noqa: F401
    from skl2onnx import to_onnx

    with pytest.raises(ValueError, match=r"No ONNX operator for the activations \['mish'\]"):
        to_onnx(clf, X[:1].astype(np.float32))
    # Without the entry, the file names an activation this session does not know.
    monkeypatch.delitem(ACTIVATIONS, "mish")
    with pytest.raises(ValueError, match="mish"):
        load_model(tmp_path / "mish.safetensors")
