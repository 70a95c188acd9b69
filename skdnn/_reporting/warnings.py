"""Warnings that point at the user's line, not at skdnn's."""

import os
import sys

# The skdnn package, of which this module is in the sub-package _reporting.
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
# ``sklearn.callback.with_callbacks`` wraps skdnn's fits: its frame is part of the
# fit call, not the caller's line.
_CALLBACK_WRAPPER = "callback_managed_method"


def user_stacklevel():
    """The ``stacklevel`` for :func:`warnings.warn` that names the caller's frame.

    Counts the frames from the caller of this function up to the first one
    outside the skdnn package (and its callback wrapper), so a warning raised
    deep inside ``fit`` is attributed to the user's ``fit(...)`` line (or to
    the scikit-learn meta-estimator that called it), however ``fit`` was reached.

    Returns
    -------
    stacklevel : int
    """
    frame = sys._getframe(1)
    level = 1
    while frame is not None and (
            os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE)
            or frame.f_code.co_name == _CALLBACK_WRAPPER):
        frame = frame.f_back
        level += 1
    return level
