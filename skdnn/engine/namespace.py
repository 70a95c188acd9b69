"""Where arrays live: their library (the namespace), their device, and moves between them.

This module is the one place that knows about array libraries and devices;
the engine's formulas and the estimators ask it, and nothing else imports
``array_api_compat``.

Every engine function asks :func:`get_namespace` for ``xp``, the module of its
arrays, and writes its formula with ``xp.exp``, ``xp.matmul`` and so on. For
NumPy arrays (and SciPy sparse matrices) ``xp`` is :mod:`numpy` itself, so the
NumPy engine runs exactly the operations it always ran. For any other library
that follows the array API standard (PyTorch, CuPy, ``array_api_strict``, ...)
``xp`` is that library's namespace from ``array_api_compat``.

Only NumPy computes into given buffers (``out=``, see
:class:`~skdnn.engine.Workspace`); the training loop passes buffers only for
NumPy arrays. So that a formula is written once, the other namespaces are
handed out through :class:`WithoutBuffers`, which accepts ``out=None`` as
NumPy does.
"""

import functools

import numpy as np

__all__ = ["WithoutBuffers", "convert_state", "device", "get_namespace", "is_numpy", "move_like",
           "numpy_dtype", "take_rows", "to_device", "to_numpy"]


class WithoutBuffers:
    """An array API namespace whose functions accept NumPy's ``out=None``.

    Parameters
    ----------
    xp : module
        The namespace (from ``array_api_compat``).
    """

    def __init__(self, xp):
        self._xp = xp
        self.__name__ = xp.__name__

    def __getattr__(self, name):
        attribute = getattr(self._xp, name)
        if not callable(attribute) or isinstance(attribute, type):
            return attribute

        @functools.wraps(attribute)
        def call(*args, out=None, **kwargs):
            if out is not None:
                raise TypeError(f"{self.__name__}.{name} computes into no buffer: only "
                                "NumPy takes out=.")
            return attribute(*args, **kwargs)

        setattr(self, name, call)  # found once, then an attribute
        return call


def _is_sparse(a):
    # SciPy's sparse matrices compute with NumPy (the engine imports no SciPy).
    return type(a).__module__.startswith("scipy.sparse")


_NOT_COUNTED = (np.ndarray, np.generic, int, float, list, tuple)


@functools.cache
def _without_buffers(xp):
    return WithoutBuffers(xp)


def get_namespace(*arrays):
    """The namespace of ``arrays``: :mod:`numpy`, or another library's.

    Parameters
    ----------
    *arrays : arrays, sparse matrices, scalars, lists or None
        Sparse matrices, scalars, lists, ``None`` and objects that are no
        array API arrays (a DataFrame) count as NumPy.

    Returns
    -------
    xp : module or WithoutBuffers
        :mod:`numpy` when every array is a NumPy array (or there are none);
        otherwise the arrays' common array API namespace.

    Raises
    ------
    TypeError
        When the arrays come from different libraries.
    """
    for a in arrays:  # the common case first, and fast: it runs at every operation
        if not (a is None or isinstance(a, _NOT_COUNTED)):
            break
    else:
        return np
    import array_api_compat  # only needed beyond NumPy

    others = [a for a in arrays if a is not None and not isinstance(a, _NOT_COUNTED)
              and not _is_sparse(a) and array_api_compat.is_array_api_obj(a)]
    if not others:
        return np

    return _without_buffers(array_api_compat.array_namespace(*others))


def _library(xp):
    # "torch" for array_api_compat.torch, also as scikit-learn vendors it
    # (sklearn.externals.array_api_compat.torch); "numpy" for NumPy itself.
    return getattr(xp, "__name__", "").rpartition("array_api_compat.")[2]


def is_numpy(xp):
    """Whether ``xp`` is NumPy (the namespace with buffers and ``np.errstate``).

    Parameters
    ----------
    xp : module
        A namespace: this module's :func:`get_namespace`, or scikit-learn's
        (which may be its copy of ``array_api_compat``'s wrapper of NumPy).

    Returns
    -------
    bool
    """
    return xp is np or _library(xp) == "numpy"


def device(array):
    """The device of ``array``: ``"cpu"`` for NumPy arrays and sparse matrices.

    Parameters
    ----------
    array : array of any array API library, or sparse matrix

    Returns
    -------
    device : str or the library's device object
    """
    if is_numpy(get_namespace(array)):
        return "cpu"
    import array_api_compat

    return array_api_compat.device(array)


def to_device(array, xp, device):
    """``array`` in namespace ``xp`` on ``device``; unchanged if it is there already.

    Parameters
    ----------
    array : array of any array API library, sparse matrix or None
        ``None`` stays ``None``; a sparse matrix stays itself for NumPy.
    xp : module
        The target namespace (NumPy, or an ``array_api_compat`` namespace).
    device : device
        The target device, as ``xp`` names it.

    Returns
    -------
    array : array of ``xp``
    """
    if array is None:
        return None
    if is_numpy(xp):
        return to_numpy(array)
    import array_api_compat

    source = get_namespace(array)
    if not is_numpy(source) and _library(source) == _library(xp):
        if array_api_compat.device(array) == device:
            return array
        return array_api_compat.to_device(array, device)
    # Between libraries, through the host: NumPy's arrays every library reads
    # (PyTorch only those without negative strides).
    host = to_numpy(array)
    if any(stride < 0 for stride in host.strides):
        host = np.ascontiguousarray(host)
    return xp.asarray(host, device=device)


def move_like(array, reference):
    """A NumPy ``array`` moved to the namespace and device of ``reference``.

    Parameters
    ----------
    array : ndarray
    reference : array of any array API library

    Returns
    -------
    array : array of the namespace of ``reference``
    """
    xp = get_namespace(reference)
    if is_numpy(xp):
        return array
    return xp.asarray(array, device=device(reference))


def numpy_dtype(array):
    """The NumPy dtype of ``array``'s floats, whatever its library.

    Parameters
    ----------
    array : array of float32 or float64, of any array API library

    Returns
    -------
    numpy.dtype
    """
    xp = get_namespace(array)
    if is_numpy(xp):
        return array.dtype
    return np.dtype(np.float32 if array.dtype == xp.float32 else np.float64)


def convert_state(optimizer, convert):
    """Apply ``convert`` to each per-parameter array of an optimiser's state, in place.

    Moving a model to another device or dtype is moving its parameters and
    this state (velocities, moments); the counters stay as they are.

    Parameters
    ----------
    optimizer : object or None
        One of :data:`skdnn.engine.OPTIMIZERS`: the dicts among its
        ``state_names`` are converted. ``None`` (no optimiser yet) is left.
    convert : callable
        Takes one array, returns it converted.
    """
    for state_name in getattr(optimizer, "state_names", ()):
        state = getattr(optimizer, state_name)
        if isinstance(state, dict):
            state.update({name: convert(array) for name, array in state.items()})


def take_rows(A, index):
    """Rows ``index`` of ``A``, where ``A`` lives.

    Parameters
    ----------
    A : array or sparse matrix of shape (n, ...)
    index : ndarray of int
        Row numbers, a NumPy array (they move to ``A``'s device).

    Returns
    -------
    rows : array of the namespace of ``A``
    """
    xp = get_namespace(A)
    if is_numpy(xp):
        return A[index]
    return xp.take(A, move_like(index, A), axis=0)


def to_numpy(array):
    """``array`` as a NumPy array, copied from its device if it has to be.

    Parameters
    ----------
    array : array of any array API library, sparse matrix or None
        A sparse matrix or ``None`` is returned as it is.

    Returns
    -------
    ndarray
    """
    if array is None or isinstance(array, np.ndarray) or _is_sparse(array):
        return array
    import array_api_compat

    if array_api_compat.is_torch_array(array):
        return array.detach().cpu().numpy()
    if array_api_compat.is_cupy_array(array):
        return array.get()
    try:
        return np.asarray(array)
    except (TypeError, RuntimeError, ValueError):
        # array_api_strict's other devices refuse __array__; its CPU copy does not.
        xp = array_api_compat.array_namespace(array)
        return np.asarray(xp.asarray(array, device=getattr(xp, "Device", lambda d: None)(
            "CPU_DEVICE")))
