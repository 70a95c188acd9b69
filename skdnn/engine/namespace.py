"""The array library the engine computes with: the namespace of its inputs.

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

__all__ = ["WithoutBuffers", "get_namespace", "is_numpy", "take_rows", "to_numpy"]


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


def is_numpy(xp):
    """Whether ``xp`` is NumPy (the namespace with buffers and ``np.errstate``)."""
    return xp is np


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
    if xp is np:
        return A[index]
    import array_api_compat

    return xp.take(A, xp.asarray(index, device=array_api_compat.device(A)), axis=0)


def to_numpy(array):
    """``array`` as a NumPy array, copied from its device if it has to be.

    Parameters
    ----------
    array : array of any array API library

    Returns
    -------
    ndarray
    """
    if isinstance(array, np.ndarray) or _is_sparse(array):
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
