"""Data sets: the cat vs non-cat images of the course.

The HDF5 files are not shipped with skdnn. They are looked up in
``data_home``, else the ``SKDNN_DATA`` environment variable, else
``~/skdnn_data``.
"""

import os
from pathlib import Path

import h5py
import numpy as np
from sklearn.utils import Bunch

__all__ = ["get_data_home", "load_catvnoncat"]

_FILES = {"train": ("train_catvnoncat.h5", "train_set_x", "train_set_y"),
          "test": ("test_catvnoncat.h5", "test_set_x", "test_set_y")}

DESCR = """Cat vs non-cat images
---------------------

The teaching data set of the L-layer network: 64 x 64 RGB images labelled
cat (1) or non-cat (0). 209 training and 50 test images.

``data`` holds each image flattened to 12288 values (row by row, channels
last) and divided by 255; ``images`` holds the raw uint8 images of shape
(n, 64, 64, 3); ``target`` the labels; ``target_names`` is
``["non-cat", "cat"]``.
"""


def get_data_home(data_home=None):
    """Folder where the skdnn data sets are looked up.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Returned as is when given; otherwise ``$SKDNN_DATA``, else
        ``~/skdnn_data``.

    Returns
    -------
    data_home : pathlib.Path
    """
    if data_home is None:
        data_home = os.environ.get("SKDNN_DATA") or Path.home() / "skdnn_data"
    return Path(data_home).expanduser()


def load_catvnoncat(subset="train", data_home=None, return_X_y=False):
    """Load the cat vs non-cat images.

    Parameters
    ----------
    subset : {"train", "test"}, default="train"
        Which file to read: 209 training or 50 test images.
    data_home : str or path-like, default=None
        Folder holding ``train_catvnoncat.h5`` and ``test_catvnoncat.h5``;
        see :func:`get_data_home`.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n, 12288) float64 in [0, 1], ``images`` (n, 64, 64, 3)
        uint8, ``target`` (n,) int64, ``target_names``, ``DESCR``.
    (data, target) : tuple
        With ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        When the file is not in the data folder (the message says where it
        was looked for and how to point skdnn at it).
    ValueError
        When the file is not the expected HDF5 layout.

    Examples
    --------
    >>> from skdnn.datasets import load_catvnoncat
    >>> X, y = load_catvnoncat("train", return_X_y=True)  # doctest: +SKIP
    >>> X.shape
    (209, 12288)
    """
    if subset not in _FILES:
        raise ValueError(f"subset must be 'train' or 'test', got {subset!r}.")
    filename, x_key, y_key = _FILES[subset]
    path = get_data_home(data_home) / filename
    if not path.is_file():
        raise FileNotFoundError(
            f"Cat vs non-cat file not found: {path}. Put train_catvnoncat.h5 and "
            "test_catvnoncat.h5 in one folder and pass it as data_home, or set the "
            "SKDNN_DATA environment variable to it.")
    try:
        with h5py.File(path, "r") as f:
            images = np.asarray(f[x_key][()])
            target = np.asarray(f[y_key][()]).astype(np.int64).ravel()
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in f["list_classes"][()]]
    except (OSError, KeyError) as exc:
        raise ValueError(f"{path} is not a valid cat vs non-cat file (expected HDF5 with keys "
                         f"{x_key!r}, {y_key!r}, 'list_classes'): {exc}") from exc
    if images.ndim != 4 or images.shape[1:] != (64, 64, 3) or len(target) != len(images):
        raise ValueError(f"{path}: expected {x_key} of shape (n, 64, 64, 3) and {y_key} of "
                         f"shape (n,), got {images.shape} and {target.shape}.")
    data = images.reshape(len(images), -1) / 255.0
    if return_X_y:
        return data, target
    return Bunch(data=data, images=images, target=target, target_names=np.array(names),
                 DESCR=DESCR)
