"""Save fitted skdnn estimators to safetensors files and load them back, safely.

A model file is a `safetensors <https://huggingface.co/docs/safetensors>`_
file: the arrays (weights ``W1``, ``b1``, ... in the course layout, training
curves, optimiser state, random generator key, numeric labels) as tensors, and
everything else as JSON strings in its metadata, with a SHA-256 of all of it.
safetensors' parser is made for files from strangers: a bounded header, and
every tensor's offsets checked against the bytes present before anything is
allocated. This module knows the file format only; each estimator exports and
rebuilds its own fitted state (``skdnn._model_files.schema``).
"""

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import tempfile
import warnings
from contextlib import suppress

import numpy as np
import safetensors
import safetensors.numpy
from sklearn.utils.validation import check_is_fitted

from ._estimators import schedules
from ._estimators.classifier import LLayerClassifier
from ._model_files.hyperparameters import decode_hyperparameters, encode_hyperparameter
from ._model_files.reading import HeaderError, copy_up_to, parse_json, read_header
from ._estimators.regressor import LLayerRegressor

__all__ = ["FORMAT_VERSION", "MAX_HEADER_BYTES", "ModelFileError", "load_model", "save_model"]

FORMAT_VERSION = 1
"""int: version of the file layout that :func:`save_model` writes."""

MAX_HEADER_BYTES = 16 * 2**20
"""int: the largest safetensors header (tensor list and JSON metadata) a model file may have."""

_FORMAT_NAME = "skdnn-model"
_ESTIMATORS = {"LLayerClassifier": LLayerClassifier, "LLayerRegressor": LLayerRegressor}
_METADATA_KEYS = {"format", "format_version", "skdnn_version", "estimator", "hyperparameters",
                  "fitted_state", "sha256"}
# The parser reads this much of any failure: enough to say what is wrong, never a huge value.
_MAX_DETAIL = 300
_UNREADABLE = (safetensors.SafetensorError, ValueError, TypeError, KeyError, OverflowError)
# The longest file name where a folder's limit is unknown (os.pathconf's PC_NAME_MAX).
_DEFAULT_NAME_MAX = 255


class ModelFileError(ValueError):
    """A file is not a valid skdnn model file; the message names the file and the problem.

    Raised by :func:`load_model` for any such file (random bytes, truncated,
    damaged, crafted, written by a newer skdnn), and by :func:`save_model`
    when the file it wrote does not read back.
    """


def save_model(estimator, path):
    """Save a fitted estimator to a model file, atomically.

    The file holds the format version, the skdnn version, the class name, the
    hyperparameters, the weights, the labels, the fitted scalars and curves,
    the optimiser's state and the random generator's state: the loaded
    estimator predicts bit-identically, and ``partial_fit`` or a warm-start
    ``fit`` go on bit for bit as the saved one would have.

    The estimator is checked first, with the checks :func:`load_model` makes;
    the file is written to a temporary file in the destination's folder, read
    back through :func:`load_model`, and only then moved over ``path``
    (``os.replace``). A save that fails or is interrupted leaves a previous
    file at ``path`` unchanged, and no temporary file after an exception (a
    process killed outright may leave a ``.NAME.*.tmp`` file behind).

    Parameters
    ----------
    estimator : LLayerClassifier or LLayerRegressor
        A fitted estimator; not a subclass or a pipeline (use joblib there).
    path : str, bytes, path-like or writable binary file object
        Where to write; an existing file is replaced. A bytes path is decoded
        with :func:`os.fsdecode`, as :func:`open` does. A file object receives
        the bytes once they have been verified in a temporary file.

    Raises
    ------
    TypeError
        When ``estimator`` is not an ``LLayerClassifier`` or ``LLayerRegressor``,
        or ``path`` is neither a path nor an object with a ``write`` method.
    OSError
        When the file cannot be written (a missing folder, no permission, a
        full disk); the error names ``path``, and a previous file there is
        left unchanged.
    sklearn.exceptions.NotFittedError
        When ``estimator`` is not fitted.
    ValueError
        When a hyperparameter has a type the file cannot hold, or the fitted
        state is inconsistent (e.g. ``hidden_layer_sizes`` set after fitting).

    Warns
    -----
    UserWarning
        When ``random_state`` is a ``numpy.random.RandomState`` instance, which
        cannot be stored: ``random_state=None`` is saved instead (predictions
        and resumed training are unaffected; a new ``fit`` is not seeded).

    See Also
    --------
    load_model : Read the file back.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skdnn import LLayerClassifier, load_model, save_model
    >>> X, y = make_classification(50, 4, random_state=0)
    >>> clf = LLayerClassifier((5,), max_iter=20, random_state=0).fit(X, y)
    >>> save_model(clf, "model.safetensors")  # doctest: +SKIP
    >>> (load_model("model.safetensors").predict(X) == clf.predict(X)).all()  # doctest: +SKIP
    True
    """
    from . import __version__

    name = type(estimator).__name__
    if _ESTIMATORS.get(name) is not type(estimator):
        raise TypeError(f"save_model saves LLayerClassifier and LLayerRegressor estimators, "
                        f"got {type(estimator).__module__}.{type(estimator).__qualname__}.")
    path = _path_or_file(path, "save_model", "write")
    check_is_fitted(estimator)
    params = estimator.get_params(deep=False)
    if isinstance(params.get("random_state"), np.random.RandomState):
        warnings.warn("random_state is a RandomState instance, which a model file cannot hold: "
                      "random_state=None is saved instead.", UserWarning, stacklevel=2)
        params["random_state"] = None
    hyperparameters = json.dumps({key: encode_hyperparameter(value, key)
                                  for key, value in params.items()}, allow_nan=False)
    state, arrays = estimator._export_fitted_state()
    fitted_state = json.dumps(state, allow_nan=False)
    try:
        # What the file will hold, checked as load_model will check it.
        type(estimator)._from_fitted_state(decode_hyperparameters(json.loads(hyperparameters)),
                                           json.loads(fitted_state), arrays)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} cannot be saved, its fitted state is inconsistent: "
                         f"{str(exc)[:_MAX_DETAIL]}") from exc
    # safetensors stores C-contiguous little-endian data; the digest is of those bytes.
    tensors = {key: np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
               for key, a in arrays.items()}
    metadata = {"format": _FORMAT_NAME, "format_version": str(FORMAT_VERSION),
                "skdnn_version": __version__, "estimator": name,
                "hyperparameters": hyperparameters, "fitted_state": fitted_state}
    metadata["sha256"] = _digest(metadata, tensors)
    if isinstance(path, str):
        _write_atomically(path, tensors, metadata)
        return
    with tempfile.TemporaryDirectory(prefix="skdnn-") as folder:
        temporary = os.path.join(folder, "model.safetensors")
        _write_atomically(temporary, tensors, metadata)
        with open(temporary, "rb") as f:
            shutil.copyfileobj(f, path)


def load_model(path):
    """Load an estimator saved by :func:`save_model`, checking everything first.

    Nothing in the file is executed or unpickled, and nothing is allocated
    before the file is known to hold it: the safetensors header (at most
    :data:`MAX_HEADER_BYTES`) is read and checked (each key once, tensor dtypes
    that NumPy holds, integers within int64, finite floats), then parsed by
    the ``safetensors`` library, which checks every tensor's offsets and
    length against the file's size; the
    tensors are then read, and the SHA-256 of metadata and tensors compared
    with the stored one (it detects accidental damage; it is not a signature:
    anyone can write a valid file). Then the estimator type
    (``LLayerClassifier`` or ``LLayerRegressor`` only), the hyperparameter
    names and values, and every fitted attribute (types, ranges, shapes
    against the layer sizes, one float dtype, finiteness, labels against the
    output layer, optimiser state) are checked, and the estimator is built
    from the file's arrays, without a random initialisation: peak memory is
    about the model's size.

    Parameters
    ----------
    path : str, bytes, path-like or readable binary file object
        A file written by :func:`save_model`. A bytes path is decoded with
        :func:`os.fsdecode`, as :func:`open` does. From a file object, the
        header is read and checked first, then the tensor data it declares,
        and nothing after it, is copied to a temporary file.

    Returns
    -------
    estimator : LLayerClassifier or LLayerRegressor
        The fitted estimator.

    Raises
    ------
    TypeError
        When ``path`` is neither a path nor an object with a ``read`` method,
        or a file object reads text instead of bytes.
    FileNotFoundError
        When ``path`` does not exist (other ``OSError`` when it cannot be read).
    ModelFileError
        A ``ValueError``, when the file is not an skdnn model file, is damaged
        or inconsistent, or was written by a newer skdnn (format version above
        :data:`FORMAT_VERSION`); the message names the file and the problem in
        a few hundred characters.

    See Also
    --------
    save_model : Write the file.
    """
    path = _path_or_file(path, "load_model", "read")
    if isinstance(path, str):
        return _read(path, _source(path))
    name = getattr(path, "name", None)
    source = _source(name) if isinstance(name, (str, os.PathLike)) else f"<{type(path).__name__}>"
    with tempfile.TemporaryDirectory(prefix="skdnn-") as folder:
        temporary = os.path.join(folder, "model.safetensors")
        with open(temporary, "wb") as f:
            _copy_model_bytes(path, f, source)
        return _read(temporary, source)


def _path_or_file(path, function, method):
    """``path`` as a str, or the file object it is; a TypeError for anything else."""
    if isinstance(path, (str, bytes, os.PathLike)):
        return os.fsdecode(path)
    if callable(getattr(path, method, None)):
        return path
    raise TypeError(f"{function}'s path must be a str, bytes or os.PathLike file name, or a "
                    f"binary file object with a {method}() method, got "
                    f"{type(path).__name__}.")


def _copy_model_bytes(stream, out, source):
    """Copy the model file at the start of ``stream`` to ``out``, and not a byte more."""
    try:
        raw, _, data_bytes = read_header(stream, MAX_HEADER_BYTES)
    except HeaderError as exc:
        _fail(source, exc)
    out.write(raw)
    copied = copy_up_to(stream, out, data_bytes)
    if copied < data_bytes:
        _fail(source, f"it ends {copied} bytes into the {data_bytes} bytes of tensor data "
                      "its header declares (truncated)")


# --- the file ---

def _source(name):
    text = repr(os.fspath(name))
    return text if len(text) <= 200 else text[:97] + "..." + text[-100:]


def _fail(source, detail):
    detail = str(detail)
    if len(detail) > _MAX_DETAIL:
        detail = detail[:_MAX_DETAIL] + "..."
    raise ModelFileError(f"{source} is not a valid skdnn model file: {detail}.")


def _digest(metadata, tensors):
    """SHA-256 of the metadata (but its ``sha256``) and the tensors, each length-prefixed."""
    digest = hashlib.sha256()

    def add(data):
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)

    for key in sorted(set(metadata) - {"sha256"}):
        add(key.encode())
        add(metadata[key].encode())
    for name in sorted(tensors):
        array = tensors[name]
        add(name.encode())
        add(f"{array.dtype.name}{array.shape}".encode())
        add(array.reshape(-1).view(np.uint8))
    return digest.hexdigest()


def _temporary_name(folder, name):
    """``.NAME.RANDOM.tmp``, NAME shortened to keep within the folder's name length limit."""
    suffix = f".{secrets.token_hex(6)}.tmp"
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, ValueError, OSError):  # no pathconf (Windows), or unknown
        limit = _DEFAULT_NAME_MAX
    if not isinstance(limit, int) or limit <= 0:  # -1: no limit
        limit = _DEFAULT_NAME_MAX
    while name and len(os.fsencode(f".{name}{suffix}")) > limit:
        name = name[:-1]
    return f".{name}{suffix}"


def _os_error(exc, path):
    """The OSError that a SafetensorError from writing ``path`` stands for."""
    found = re.search(r"os error (\d+)", str(exc))
    if found:
        code = int(found.group(1))
        return OSError(code, os.strerror(code), path)
    return OSError(errno.EIO, f"safetensors could not write the file "
                              f"({str(exc)[:_MAX_DETAIL]})", path)


def _write_atomically(path, tensors, metadata):
    folder, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(folder, _temporary_name(folder, name))
    try:
        # O_EXCL: never an existing file; mode 0o666 lets the umask decide, as for open().
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:  # a missing folder, no permission: name the file asked for
        raise OSError(exc.errno, exc.strerror, path) from None
    try:
        # safetensors writes files readable by their owner only; a model file gets
        # the mode of the file it replaces, or that of a new file.
        mode = os.stat(path if os.path.isfile(path) else temporary).st_mode
        try:
            safetensors.numpy.save_file(tensors, temporary, metadata=metadata)
        except safetensors.SafetensorError as exc:  # a full disk, an I/O error
            raise _os_error(exc, path) from exc
        os.chmod(temporary, stat.S_IMODE(mode))
        with open(temporary, "rb+") as f:
            os.fsync(f.fileno())
        try:
            _read(temporary, _source(path))
        except ModelFileError as exc:
            raise ModelFileError(f"the file written for {_source(path)} does not read back, "
                                 f"so nothing was replaced: {str(exc)[:_MAX_DETAIL]}") from exc
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.remove(temporary)
        raise
    with suppress(OSError):  # the rename itself, durable where folders can be synced
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _read(path, source):
    """The estimator in the model file at ``path``; failures name ``source``."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        _fail(source, "it is not a regular file")
    with open(path, "rb") as f:
        try:
            read_header(f, MAX_HEADER_BYTES, os.fstat(f.fileno()).st_size)
        except HeaderError as exc:
            _fail(source, exc)
    try:
        with safetensors.safe_open(path, framework="numpy", backend="pread") as f:
            metadata = f.metadata()
            _check_metadata(metadata, source)
            tensors = {name: f.get_tensor(name) for name in f.keys()}
    except ModelFileError:
        raise
    except _UNREADABLE as exc:
        _fail(source, f"safetensors cannot read it ({type(exc).__name__}: {exc})")
    if metadata["sha256"] != _digest(metadata, tensors):
        _fail(source, "its SHA-256 checksum does not match its content: the file is damaged")
    try:
        cls = _ESTIMATORS[metadata["estimator"]]
        params = decode_hyperparameters(parse_json(metadata["hyperparameters"]))
        state = parse_json(metadata["fitted_state"])
        estimator = cls._from_fitted_state(params, state, tensors)
    except (ValueError, TypeError) as exc:
        _fail(source, exc)
    except (OverflowError, RecursionError) as exc:
        _fail(source, f"its metadata cannot be decoded ({type(exc).__name__})")
    try:  # the step size of the next epoch, from the file's settings and counters
        schedules.epoch_learning_rate(
            estimator.learning_rate, estimator.decay_rate, estimator.schedule,
            estimator.power_t, estimator.n_iter_, estimator.t_,
            estimator._learning_rate_divisions)
    except (OverflowError, ZeroDivisionError) as exc:
        _fail(source, f"its learning-rate settings and counters overflow the step size of "
                      f"the next epoch ({exc})")
    return estimator


def _check_metadata(metadata, source):
    if not isinstance(metadata, dict) or metadata.get("format") != _FORMAT_NAME:
        _fail(source, f"its metadata has no 'format' equal to {_FORMAT_NAME!r}, so it was not "
                      "written by skdnn.save_model")
    version = metadata.get("format_version")
    if not isinstance(version, str) or not version.isdecimal() or len(version) > 6 \
            or int(version) < 1:
        _fail(source, "its format_version is not a positive integer")
    if int(version) > FORMAT_VERSION:
        raise ModelFileError(
            f"The skdnn model file {source} has format version {int(version)}: it was written "
            f"by a newer skdnn ({str(metadata.get('skdnn_version'))[:20]!r}), and this skdnn "
            f"reads format versions up to {FORMAT_VERSION}; upgrade skdnn to load it.")
    if set(metadata) != _METADATA_KEYS:
        _fail(source, f"its metadata must have exactly the keys {sorted(_METADATA_KEYS)}")
    if metadata["estimator"] not in _ESTIMATORS:
        _fail(source, f"unknown estimator type {metadata['estimator'][:40]!r}; skdnn model "
                      f"files hold one of {sorted(_ESTIMATORS)}")
