"""Crafted model files and streams: odd dtypes, repeated keys, huge numbers, endless streams."""

import io
import json
import os

import numpy as np
import pytest
from tests.helpers.model_files import (Y_MULTICLASS, X, assert_same_predictions, fitted,
                                join_file, read_file, retyped, rewrite, split_file,
                                with_repeated_key)

from skdnn import LLayerClassifier, ModelFileError, load_model, save_model

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    """The bytes of a saved adam model (it has moments, a curve, a random key)."""
    path = tmp_path_factory.mktemp("model") / "model.safetensors"
    save_model(fitted("multiclass")[0], path)
    return path.read_bytes()


def refused(content, tmp_path, message):
    path = tmp_path / "crafted.safetensors"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message) as raised:
        load_model(path)
    assert repr(str(path)) in str(raised.value) and len(str(raised.value)) < 600


# --- tensor dtypes that NumPy lacks ---

def with_extra_tensor(content, dtype, bits):
    text, data = split_file(content)
    header = json.loads(text)
    header["extra"] = {"dtype": dtype, "shape": [64 // bits], "data_offsets": [len(data),
                                                                             len(data) + 8]}
    return join_file(header, data + bytes(8))


@pytest.mark.parametrize("dtype, bits", [("F8_E5M2", 8), ("F8_E4M3", 8), ("F8_E8M0", 8),
                                         ("F4", 4), ("BF16", 16)])
@pytest.mark.parametrize("tensor", ["W1", "loss_curve_", "_random_state.key",
                                    "_optimizer.first_moments.W2", "an extra tensor"])
def test_a_tensor_of_a_dtype_numpy_lacks_is_refused(tensor, dtype, bits, model_bytes, tmp_path):
    content = with_extra_tensor(model_bytes, dtype, bits) if tensor == "an extra tensor" \
        else retyped(model_bytes, tensor, dtype, bits)
    refused(content, tmp_path, f"has dtype '{dtype}'; a model file's tensors have one of")


# --- a key twice ---

@pytest.mark.parametrize("key, value, inside", [
    ("W1", None, None),  # the tensor's own entry, twice
    ("estimator", "LLayerRegressor", "__metadata__"),
    ("__metadata__", {"format": "skdnn-model"}, None)])
def test_a_key_twice_in_the_header_is_refused(key, value, inside, model_bytes, tmp_path):
    if value is None:
        value = json.loads(split_file(model_bytes)[0])[key]
    refused(with_repeated_key(model_bytes, key, value, inside), tmp_path,
            f"the key '{key}' appears twice")


# --- every number bounded when the file is read ---

def numbers(hyper, state):
    """(where, key) of every number at the top of the hyperparameters and fitted state."""
    for where, values in [("hyper", hyper), ("state", state)]:
        for key, value in values.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                yield where, key
    for key, value in (state.get("_optimizer") or {}).items():
        if isinstance(value, (int, float)):
            yield "_optimizer", key


ADAPTIVE = {"hidden_layer_sizes": (4,), "solver": "adam", "schedule": "adaptive",
            "batch_size": 20, "max_iter": 5, "random_state": 0}
INVSCALING = {**ADAPTIVE, "solver": "gd", "schedule": "invscaling", "decay_rate": 0.1}
BATCH_NORM = {**ADAPTIVE, "batch_norm": True}  # batch_norm_momentum: one more number


@pytest.mark.parametrize("settings", [ADAPTIVE, INVSCALING, BATCH_NORM])
@pytest.mark.parametrize("value", [10**400, 2**63, 2**63 - 1, 2**53, 2**53 - 1, 1e308])
def test_every_number_is_refused_or_trains_without_overflow(settings, value, tmp_path):
    path = tmp_path / "model.safetensors"
    save_model(LLayerClassifier(**settings).fit(X, Y_MULTICLASS), path)
    metadata, _ = read_file(path)
    original = path.read_bytes()
    places = list(numbers(json.loads(metadata["hyperparameters"]),
                          json.loads(metadata["fitted_state"])))
    assert {("hyper", "learning_rate"), ("hyper", "power_t"), ("state", "n_iter_"),
            ("state", "t_"), ("state", "_learning_rate_divisions")} <= set(places)
    assert (("_optimizer", "t") in places) == (settings["solver"] == "adam")
    assert ("hyper", "batch_norm_momentum") in places
    for where, key in places:
        path.write_bytes(original)

        def change(metadata, hyper, state, tensors, where=where, key=key):
            {"hyper": hyper, "state": state,
             "_optimizer": state["_optimizer"]}[where][key] = value

        rewrite(path, change)
        try:
            model = load_model(path)
        except ModelFileError:  # refused when read: fine, whatever the check
            continue
        assert not (isinstance(value, int) and value >= 2**63), key  # beyond int64: refused
        try:
            with np.errstate(all="ignore"):
                model.partial_fit(X, Y_MULTICLASS)
        except ValueError:  # a clear error (e.g. the training diverged) is fine
            pass


@pytest.mark.parametrize("key, value", [("n_iter_", 10**400), ("t_", 10**400),
                                        ("_learning_rate_divisions", 2**53 - 1)])
def test_huge_counters_are_refused_when_read(key, value, tmp_path):
    path = tmp_path / "model.safetensors"
    save_model(LLayerClassifier(**ADAPTIVE).fit(X, Y_MULTICLASS), path)
    rewrite(path, lambda metadata, hyper, state, tensors: state.update({key: value}))
    with pytest.raises(ModelFileError, match="outside int64|overflow the step size"):
        load_model(path)


# --- streams: the header first, then only the bytes it declares ---

class CountingStream(io.RawIOBase):
    """A stream of ``content`` then endless zeros, that fails if read far past ``limit``."""

    def __init__(self, content, limit):
        self.content, self.limit, self.position = content, limit, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.position > self.limit:
            raise AssertionError(f"read {self.position} bytes, past {self.limit}")
        chunk = self.content[self.position:self.position + len(buffer)]
        chunk += bytes(len(buffer) - len(chunk))
        buffer[:len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)


def test_an_endless_stream_of_zeros_fails_at_once():
    stream = CountingStream(b"", limit=2**20)
    with pytest.raises(ModelFileError, match="header is not valid safetensors JSON"):
        load_model(stream)
    assert stream.position <= 8
    if os.path.exists("/dev/zero"):
        with open("/dev/zero", "rb") as f, pytest.raises(ModelFileError):
            load_model(f)


def test_an_invalid_header_is_not_read_to_the_end():
    stream = CountingStream(join_file("[" * 100, b""), limit=2**20)  # then endless zeros
    with pytest.raises(ModelFileError, match="not valid safetensors JSON"):
        load_model(stream)
    assert stream.position == 108


def test_a_stream_is_read_up_to_the_end_of_its_model(tmp_path):
    first, _ = fitted("binary")
    second, _ = fitted("string labels")
    buffer = io.BytesIO()
    save_model(first, buffer)
    end_of_first = buffer.tell()
    save_model(second, buffer)
    buffer.write(b"and whatever follows")
    buffer.seek(0)
    assert_same_predictions(load_model(buffer), first, X)
    assert buffer.tell() == end_of_first
    assert_same_predictions(load_model(buffer), second, X)
    stream = CountingStream(buffer.getvalue()[:end_of_first], limit=end_of_first + 2**20)
    assert_same_predictions(load_model(stream), first, X)  # then endless zeros, never read


def test_a_truncated_stream_is_refused(model_bytes):
    with pytest.raises(ModelFileError, match="<BytesIO> .* ends .* bytes into the"):
        load_model(io.BytesIO(model_bytes[:-1]))
    with pytest.raises(ModelFileError, match="ends 10 bytes into its"):
        load_model(io.BytesIO(model_bytes[:18]))


def test_a_text_stream_raises_type_error(model_bytes):
    with pytest.raises(TypeError, match="open the file with 'rb'"):
        load_model(io.StringIO("x" * 100))


def test_a_float_too_large_for_a_float_is_refused(tmp_path):
    path = tmp_path / "model.safetensors"
    save_model(fitted("binary")[0], path)
    rewrite(path, lambda metadata, hyper, state, tensors: metadata.update(
        hyperparameters=metadata["hyperparameters"].replace('"tol": null', '"tol": 1e400')))
    with pytest.raises(ModelFileError, match="the number '1e400' is beyond a float's range"):
        load_model(path)
