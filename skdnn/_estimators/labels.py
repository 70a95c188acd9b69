"""The classifier's labels: encoded for the network, weighed by class, decoded from it.

scikit-learn's ``LabelBinarizer`` does the encoding (one column per class, a
single column for two classes, the label matrix itself for multilabel
targets); these functions hold the rules around it, so that
:class:`~skdnn.LLayerClassifier` only calls them.
"""

from numbers import Real

import numpy as np
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.multiclass import type_of_target

from .. import engine
from .array_api import to_device, to_host


def new_binarizer(y, classes, multilabel, estimator_name):
    """A fitted ``LabelBinarizer`` for ``y`` (or ``classes``).

    Parameters
    ----------
    y : ndarray
        The targets of the first call.
    classes : array-like or None
        ``partial_fit``'s ``classes``.
    multilabel : bool
        Whether ``y`` is a multilabel indicator matrix.
    estimator_name : str
        For the error messages.

    Returns
    -------
    binarizer : LabelBinarizer
    """
    if multilabel:
        if classes is not None and not np.array_equal(np.asarray(classes),
                                                      np.arange(y.shape[1])):
            raise ValueError(f"For a multilabel y of {y.shape[1]} labels, classes must be "
                             f"range({y.shape[1]}) (the label columns), got {classes!r}.")
        binarizer = LabelBinarizer().fit(y)
    else:
        binarizer = LabelBinarizer().fit(y if classes is None else classes)
    if len(binarizer.classes_) < 2:
        raise ValueError(f"{estimator_name} needs samples of at least 2 classes, "
                         f"but the data contains only one class: {binarizer.classes_[0]}.")
    return binarizer


def check_partial_fit_classes(classes, y, fitted_classes):
    """The ``classes`` given to ``partial_fit``, on the host; a ValueError where they are wrong.

    Parameters
    ----------
    classes : array-like or None
        As given to ``partial_fit``.
    y : array-like
        This call's labels.
    fitted_classes : ndarray or None
        The ``classes_`` of the model so far; ``None`` on the first call.

    Returns
    -------
    classes : ndarray or None
    """
    classes = to_host(classes)  # labels live on the host, whatever X's library
    if fitted_classes is None and classes is None:
        if type_of_target(y) != "multilabel-indicator":
            raise ValueError("classes must be passed on the first call to partial_fit.")
    if (fitted_classes is not None and classes is not None
            and not np.array_equal(np.unique(classes), fitted_classes)):
        raise ValueError(f"classes={list(np.unique(classes))} differs from the classes of "
                         f"the first call to partial_fit, {list(fitted_classes)}; to start "
                         "over with other classes, fit or clone the estimator.")
    return classes


def check_labels(y, binarizer, multilabel, warm_start):
    """Raise ``ValueError`` when ``y`` does not fit the classes of ``binarizer``.

    Parameters
    ----------
    y : ndarray
    binarizer : LabelBinarizer
        The model's, fitted at its first call.
    multilabel : bool
        Whether ``y`` is a multilabel indicator matrix.
    warm_start : bool
        A ``fit`` that continues the model: ``y`` must have exactly its classes,
        as with ``MLPClassifier``.
    """
    classes = binarizer.classes_
    if multilabel != (binarizer.y_type_ == "multilabel-indicator"):
        raise ValueError(f"y is {'' if multilabel else 'not '}a multilabel indicator "
                         "matrix, unlike the y this model was fit on.")
    if multilabel:
        if y.shape[1] != len(classes):
            raise ValueError(f"y has {y.shape[1]} labels but the model has {len(classes)}.")
        return
    present = np.unique(y)
    if warm_start and not np.array_equal(present, classes):
        raise ValueError(f"warm_start can only be used where y has the same classes "
                         f"as in the previous call to fit: previously "
                         f"{classes.tolist()}, y has {present.tolist()}.")
    unseen = np.setdiff1d(present, classes)
    if len(unseen):
        raise ValueError(f"y has classes {unseen.tolist()} that are not in classes "
                         f"{classes.tolist()}.")


def class_sample_weights(class_weight, classes, y, sample_weight, incremental):
    """``sample_weight`` times the weight of each sample's class.

    Parameters
    ----------
    class_weight : dict, "balanced" or None
    classes : ndarray
        The model's classes.
    y : ndarray
    sample_weight : ndarray or None
    incremental : bool
        ``partial_fit``, which one batch does not tell the class frequencies.

    Returns
    -------
    weights : ndarray or None
    """
    if class_weight is None:
        return sample_weight
    if incremental and class_weight == "balanced":
        raise ValueError("class_weight='balanced' is not supported by partial_fit: "
                         "one batch does not tell the class frequencies. Pass a dict.")
    if isinstance(class_weight, dict):
        bad = {k: v for k, v in class_weight.items()
               if not (isinstance(v, Real) and np.isfinite(v) and v >= 0)}
        if bad or not any(class_weight.values()):
            raise ValueError("class_weight values must be finite, non-negative numbers, "
                             f"not all zero; got {class_weight!r}.")
    if isinstance(class_weight, dict) and np.ndim(y) == 1:
        # Per label, checked against all classes: a batch lacking some weighs as in fit.
        per_class = compute_class_weight(class_weight, classes=classes, y=y)
        weights = per_class[np.searchsorted(classes, y)]
    else:
        weights = compute_sample_weight(class_weight, np.asarray(y))
    weights = weights if sample_weight is None else weights * sample_weight
    if not weights.any():
        raise ValueError(f"class_weight={class_weight!r} gives every sample of y a "
                         "weight of zero.")
    return weights


def decode_labels(outputs, binarizer):
    """The labels the network's ``outputs`` predict, where the outputs live.

    Parameters
    ----------
    outputs : array of shape (n_samples, n_outputs)
    binarizer : LabelBinarizer

    Returns
    -------
    labels : array of shape (n_samples,) or (n_samples, n_labels)
    """
    xp = engine.get_namespace(outputs)
    if engine.is_numpy(xp):
        return binarizer.inverse_transform(outputs, threshold=0.5)
    # Outside NumPy: LabelBinarizer's decision, on the outputs' device.
    y_type, classes = binarizer.y_type_, binarizer.classes_
    if y_type == "multilabel-indicator":
        return xp.astype(outputs > 0.5, xp.int64)
    if y_type == "binary":
        index = xp.astype(outputs[:, 0] > 0.5, xp.int64)
    else:
        index = xp.argmax(outputs, axis=1)
    if classes.dtype.kind in "biuf":
        return xp.take(to_device(classes, xp, engine.device(outputs)), index, axis=0)
    return classes[to_host(index)]  # labels a device cannot hold stay NumPy's
