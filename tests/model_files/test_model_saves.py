"""save_model never destroys the file it replaces; load_model costs about one model of memory."""

import errno
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from tests.helpers.model_files import X, assert_same_predictions, fitted
from tests.helpers.training import course

import skdnn.model_io
from skdnn import LLayerRegressor, ModelFileError, load_model, save_model

TESTS = Path(__file__).parent
ROOT = TESTS.parents[1]


@pytest.fixture
def good_file(tmp_path):
    """A folder holding one good model file, its bytes and the estimator it holds."""
    original, _ = fitted("binary")
    path = tmp_path / "model.safetensors"
    save_model(original, path)
    return path, path.read_bytes(), original


def assert_untouched(good_file):
    path, content, original = good_file
    assert path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary file
    assert_same_predictions(load_model(path), original, X)


def test_a_refused_save_leaves_the_old_file(good_file):
    path, _, original = good_file
    refused = fitted("multiclass")[0].set_params(hidden_layer_sizes=(9,))
    with pytest.raises(ValueError, match="cannot be saved"):
        save_model(refused, path)
    assert_untouched(good_file)


def test_a_saved_file_has_the_mode_of_a_new_file_or_of_the_file_it_replaces(good_file):
    path, _, original = good_file
    (path.parent / "plain").write_bytes(b"")
    assert path.stat().st_mode == (path.parent / "plain").stat().st_mode
    os.chmod(path, 0o640)
    save_model(original, path)
    assert path.stat().st_mode & 0o777 == 0o640


def half_written_then(error):
    def save_file(tensors, filename, metadata=None):
        Path(filename).write_bytes(b"\x08" + bytes(100))
        raise error
    return save_file


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   KeyboardInterrupt()])
def test_a_failed_write_leaves_the_old_file(error, good_file, monkeypatch):
    monkeypatch.setattr(safetensors.numpy, "save_file", half_written_then(error))
    with pytest.raises(type(error)):
        save_model(fitted("multiclass")[0], good_file[0])
    assert_untouched(good_file)


def test_a_file_that_does_not_read_back_replaces_nothing(good_file, monkeypatch):
    write = safetensors.numpy.save_file

    def damaged(tensors, filename, metadata=None):
        write(tensors, filename, metadata=metadata)
        with open(filename, "r+b") as f:
            f.seek(-1, os.SEEK_END)
            f.write(b"\x7f")

    monkeypatch.setattr(safetensors.numpy, "save_file", damaged)
    with pytest.raises(ModelFileError, match="does not read back.*checksum"):
        save_model(fitted("multiclass")[0], good_file[0])
    assert_untouched(good_file)


def test_an_interrupted_rename_leaves_the_old_file(good_file, monkeypatch):
    def interrupted(source, destination):
        raise KeyboardInterrupt

    monkeypatch.setattr(skdnn.model_io.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_model(fitted("multiclass")[0], good_file[0])
    monkeypatch.undo()
    assert_untouched(good_file)


# A child process saves another model over the file and is killed with
# SIGKILL: at a chosen moment of the save (it kills itself there), or after a
# delay while it saves over and over.
KILLED_SAVE = """
import os, signal, sys
import safetensors.numpy
import skdnn.model_io as model_io
from tests.helpers.model_files import fitted

path, moment = sys.argv[1], sys.argv[2]
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
write = safetensors.numpy.save_file
def write_half(tensors, filename, metadata=None):
    write(tensors, filename, metadata=metadata)
    os.truncate(filename, os.path.getsize(filename) // 2)
    die()
read = model_io._read
def die_reading_back(temporary, source):
    if temporary != path:
        die()
    return read(temporary, source)
if moment == "temporary file created":
    safetensors.numpy.save_file = die
elif moment == "half written":
    safetensors.numpy.save_file = write_half
elif moment == "reading back":
    model_io._read = die_reading_back
elif moment == "before the rename":
    model_io.os.replace = die
other = fitted("multiclass")[0]
print("saving", flush=True)
while True:
    model_io.save_model(other, path)
"""


def killed_save(path, moment, delay=None):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)]),
           "OPENBLAS_NUM_THREADS": "1"}
    child = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(path), moment],
                             stdout=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        if delay is not None:
            assert child.stdout.readline() == b"saving\n"
            time.sleep(delay)
            child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    finally:
        child.kill()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize("moment", ["temporary file created", "half written", "reading back",
                                    "before the rename"])
def test_a_killed_save_leaves_the_old_file(moment, good_file):
    path, content, original = good_file
    killed_save(path, moment)
    assert path.read_bytes() == content
    assert_same_predictions(load_model(path), original, X)


def test_a_save_killed_at_any_time_leaves_a_whole_file(good_file):
    path, _, original = good_file
    other, _ = fitted("multiclass")
    for delay in [0.005, 0.05]:
        killed_save(path, "any time", delay)
        loaded = load_model(path)  # the old model, or the new one: never a broken file
        assert_same_predictions(loaded, other if loaded.n_layers_ == 4 else original, X)


MEASURED_LOAD = """
import json, resource, sys, tracemalloc
from skdnn import load_model
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
model = load_model(sys.argv[1])
traced = tracemalloc.get_traced_memory()[1]
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"traced": traced, "rss": (after - before) * 1024}))
"""


# One epoch of a wide network: the subject is memory at loading, so the
# end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_loading_an_80_mb_model_costs_about_one_model(tmp_path):
    pytest.importorskip("resource")
    rng = np.random.RandomState(0)
    data = rng.normal(size=(20, 1000))
    model = LLayerRegressor(**course((10_000,), max_iter=1, random_state=0)).fit(data, data[:, 0])
    path = tmp_path / "big.safetensors"
    save_model(model, path)
    size = path.stat().st_size
    assert size > 80e6
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", MEASURED_LOAD, str(path)], env=env,
                         capture_output=True, check=True, timeout=120).stdout
    measured = json.loads(out)
    # The weights themselves, a little for the checks; not a second copy.
    assert measured["traced"] < 1.2 * size, measured
    assert measured["rss"] < 1.3 * size, measured


def test_a_bad_file_object_is_named_in_the_error():
    with pytest.raises(ModelFileError, match="<BytesIO> is not a valid skdnn model file"):
        load_model(io.BytesIO(b"\x10" + bytes(30)))


# --- paths ---

@pytest.mark.parametrize("call", [lambda est, folder: load_model(None),
                                  lambda est, folder: load_model(3.5),
                                  lambda est, folder: save_model(est, 3.5),
                                  lambda est, folder: save_model(est, None)])
def test_a_path_of_another_type_raises_type_error_naming_the_argument(call, tmp_path):
    with pytest.raises(TypeError, match="(load|save)_model's path must be a str, bytes or "
                                        "os.PathLike file name, or a binary file object"):
        call(fitted("binary")[0], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_bytes_path_is_a_file_name_as_for_open(tmp_path):
    original, _ = fitted("binary")
    path = os.fsencode(tmp_path / "model.safetensors")
    save_model(original, path)
    assert_same_predictions(load_model(path), original, X)
    assert_same_predictions(load_model(os.fsdecode(path)), original, X)


@pytest.mark.parametrize("name", ["m" * 238, "m" * 255, "é" * 127 + "m"])  # 238 to 255 bytes
def test_a_name_up_to_the_folders_limit_saves(name, tmp_path):
    original, _ = fitted("binary")
    save_model(original, tmp_path / name)
    save_model(original, tmp_path / name)  # and replaces
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert_same_predictions(load_model(tmp_path / name), original, X)


def test_the_temporary_name_keeps_within_the_folders_limit(tmp_path, monkeypatch):
    names, write = [], safetensors.numpy.save_file

    def recording(tensors, filename, metadata=None):
        names.append(os.path.basename(filename))
        write(tensors, filename, metadata=metadata)

    monkeypatch.setattr(skdnn.model_io.os, "pathconf", lambda folder, name: 40)
    monkeypatch.setattr(safetensors.numpy, "save_file", recording)
    save_model(fitted("binary")[0], tmp_path / ("m" * 30))
    assert len(names[0]) == 40 and names[0].startswith(".mmm") and names[0].endswith(".tmp")


def test_a_full_disk_is_an_os_error_and_leaves_the_old_file(good_file, monkeypatch):
    def full_disk(tensors, filename, metadata=None):  # as safetensors reports it
        Path(filename).write_bytes(b"\x08" + bytes(100))
        raise safetensors.SafetensorError(
            "Error while serializing: I/O error: No space left on device (os error 28) at "
            f'path "{filename}"')

    monkeypatch.setattr(safetensors.numpy, "save_file", full_disk)
    with pytest.raises(OSError) as raised:
        save_model(fitted("multiclass")[0], good_file[0])
    assert raised.value.errno == errno.ENOSPC
    assert raised.value.filename == str(good_file[0])
    monkeypatch.undo()
    assert_untouched(good_file)


def test_a_missing_folder_is_reported_with_the_files_name(tmp_path):
    path = tmp_path / "absent" / "model.safetensors"
    with pytest.raises(FileNotFoundError) as raised:
        save_model(fitted("binary")[0], path)
    assert raised.value.filename == str(path)
    assert ".tmp" not in str(raised.value)
