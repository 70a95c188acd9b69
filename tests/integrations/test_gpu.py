"""The array API checks on a GPU: PyTorch on CUDA, and CuPy where it is installed.

Each test skips, with the reason, where the library is missing or no CUDA
device is present: PyTorch's CUDA wheels report CUDA built even on a machine
without a GPU, so the test asks for an actual device. Training on the GPU is
meant to stay there, epoch after epoch; what a test can see is that every
fitted array and output lives on the GPU and equals the CPU NumPy fit to the
dtype's tolerance (see :mod:`array_api_helpers`).
"""

import warnings

import numpy as np
import pytest
import sklearn
from tests.helpers.array_api import (ADAM, CASES, SMALL, Namespace, adam_classifier, assert_same_fit,
                               assert_same_outputs, binary, fit_pair, multiclass)
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import check_array_api_input

from skdnn import LLayerClassifier, LLayerRegressor, engine
from skdnn.model_io import load_model, save_model
from tests.helpers.training import course

GPU_NAMESPACES = [
    Namespace("torch", "cuda", "float32"),
    Namespace("torch", "cuda", "float64"),
    Namespace("cupy", dtype_name="float32"),
    Namespace("cupy", dtype_name="float64"),
]


def skip_without_a_device(name):
    """Skip unless library ``name`` is installed and sees a CUDA device."""
    library = pytest.importorskip(name)
    if name == "torch":
        if not library.cuda.is_available():
            pytest.skip("no CUDA device (torch.cuda.is_available() is False)")
        return
    try:
        n_devices = library.cuda.runtime.getDeviceCount()
    except library.cuda.runtime.CUDARuntimeError as exc:
        pytest.skip(f"no CUDA device for CuPy: {exc}")
    if n_devices == 0:
        pytest.skip("no CUDA device for CuPy")


@pytest.fixture(params=GPU_NAMESPACES, ids=repr)
def gpu(request):
    """The GPU namespace under test, loaded; skipped where there is no GPU."""
    skip_without_a_device(request.param.name)
    return request.param.load()


@pytest.mark.parametrize("estimator, data, weighted", [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_fit_on_the_gpu_equals_numpy(estimator, data, weighted, gpu):
    reference, fitted, X, y, X_gpu, y_gpu = fit_pair(estimator, data, weighted, gpu)
    assert_same_fit(reference, fitted, gpu)
    assert_same_outputs(reference, fitted, X, y, X_gpu, y_gpu, gpu)


def test_partial_fit_on_the_gpu_equals_numpy(gpu):
    X, y = multiclass()
    X = gpu.host(X)
    reference, fitted = adam_classifier(), adam_classifier()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(3):
            reference.partial_fit(X, y, classes=np.unique(y))
            with sklearn.config_context(array_api_dispatch=True):
                fitted.partial_fit(gpu.put(X), gpu.put(y), classes=np.unique(y))
    assert_same_fit(reference, fitted, gpu)
    assert_same_outputs(reference, fitted, X, y, gpu.put(X), gpu.put(y), gpu)


def test_a_gpu_model_refuses_cpu_arrays(gpu):
    X, y = binary()
    cpu = Namespace(gpu.name if gpu.name == "torch" else "numpy", "cpu" if gpu.name == "torch"
                    else None, gpu.dtype_name).load()
    with sklearn.config_context(array_api_dispatch=True):
        model = LLayerClassifier(**course(**SMALL, learning_rate=0.1)).fit(gpu.put(X), gpu.put(y))
        with pytest.raises(ValueError, match="must use the same namespace"):
            model.predict(cpu.put(X))


def test_a_gpu_model_saves_and_loads_on_numpy(gpu, tmp_path):
    X, y = multiclass()
    X = gpu.host(X)
    with sklearn.config_context(array_api_dispatch=True):
        fitted = adam_classifier().fit(gpu.put(X), gpu.put(y))
        proba = fitted.predict_proba(gpu.put(X))
    save_model(fitted, tmp_path / "model.safetensors")
    loaded = load_model(tmp_path / "model.safetensors")
    for key, value in loaded.parameters_.items():
        assert isinstance(value, np.ndarray)
        assert_array_equal(value, engine.to_numpy(fitted.parameters_[key]), err_msg=key)
    gpu.assert_close(proba, loaded.predict_proba(X))


def test_same_random_state_same_parameters_on_the_gpu(gpu):
    X, y = binary()
    estimator = LLayerClassifier(**course(**SMALL, **ADAM, dropout=0.3))
    with sklearn.config_context(array_api_dispatch=True):
        first, second = (clone(estimator).fit(gpu.put(X), gpu.put(y)) for _ in range(2))
    for key in first.parameters_:
        assert_array_equal(engine.to_numpy(first.parameters_[key]),
                           engine.to_numpy(second.parameters_[key]), err_msg=key)


def test_train_epoch_on_the_gpu_equals_numpy(gpu):
    rng = np.random.RandomState(3)
    X, Y = gpu.host(rng.randn(4, 24)), gpu.host((rng.rand(1, 24) > 0.5).astype(float))
    parameters = engine.initialize_network([4, 5, 3, 1], "he", np.random.RandomState(0),
                                           gpu.dtype)
    parameters_gpu = {k: gpu.put(v) for k, v in parameters.items()}
    optimizer, optimizer_gpu = engine.Adam(0.01), engine.Adam(0.01)
    settings = {"batch_size": 8, "alpha": 0.1, "dropout": [0.2, 0.0]}
    activations = ["relu", "tanh", "sigmoid"]
    for epoch in range(3):
        cost = engine.train_epoch(X, Y, parameters, activations, optimizer,
                                  rng=np.random.RandomState(epoch), **settings)
        cost_gpu = engine.train_epoch(gpu.put(X), gpu.put(Y), parameters_gpu, activations,
                                      optimizer_gpu, rng=np.random.RandomState(epoch),
                                      **settings)
        assert cost_gpu == pytest.approx(cost, rel=gpu.tolerance["rtol"])
    for key, value in parameters_gpu.items():
        gpu.assert_lives_here(value)
        gpu.assert_close(value, parameters[key], err_msg=key)


@pytest.mark.parametrize("estimator", [LLayerClassifier(**course(**SMALL)),
                                       LLayerRegressor(**course(**SMALL))],
                         ids=["classifier", "regressor"])
def test_sklearn_check_array_api_input_on_the_gpu(estimator, gpu):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_array_api_input(type(estimator).__name__, estimator, gpu.name,
                              device_name=gpu.device_name, dtype_name=gpu.dtype_name,
                              check_values=True, check_sample_weight=True)
