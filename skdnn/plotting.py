"""Plots of fitted skdnn estimators, in scikit-learn's Display style.

Each display is built with ``from_estimator`` (or from precomputed values),
draws with ``plot`` (which returns the display), and keeps the matplotlib
objects it drew as attributes: ``figure_``, ``ax_`` and the artists.

matplotlib is imported only when something is drawn, so ``import skdnn`` and
``import skdnn.plotting`` work without it.
"""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, column_or_1d

__all__ = ["LossCurveDisplay", "MisclassifiedImagesDisplay"]


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError('skdnn plots need matplotlib, which could not be imported; install '
                          'it with: pip install "skdnn[plot]"') from exc
    return plt


# The twin axes of the validation scores is found again by this label, so that every
# display drawn on the same axes puts its scores on one shared right-hand scale.
_VALIDATION_AXES_LABEL = "skdnn validation score"
# Room between the x axis's decorations and the legend, in inches.
_LEGEND_PAD = 0.1


class LossCurveDisplay:
    """Training cost at every iteration, with the held-out cost and score when known.

    The course's plot of the cost, titled with the learning rate. With
    ``early_stopping`` the cost on the held-out data is drawn dashed beside
    the training cost, and the validation score of every epoch dotted on a
    second y axis on the right. Each display draws its curves in one colour,
    so that several displays (several models) can share an axes: the legend,
    placed below the axes so that it never hides a curve and leaves the axes
    the figure's width, lists the curves of all of them.

    Parameters
    ----------
    loss_curve : array-like of shape (n_iter,)
        Training cost per iteration, e.g. ``estimator.loss_curve_``.
    validation_scores : array-like of shape (n_iter,), default=None
        Held-out score per iteration, e.g. ``estimator.validation_scores_``.
    learning_rate : float, default=None
        Shown in the title, ``"Learning rate = 0.0075"``; no title when None.
    estimator_name : str, default=None
        Shown in the legend.
    validation_loss_curve : array-like of shape (n_iter,), default=None
        Held-out cost per iteration, e.g. ``estimator.validation_loss_curve_``.

    Attributes
    ----------
    line_ : matplotlib.lines.Line2D
        The training-cost curve.
    validation_loss_line_ : matplotlib.lines.Line2D or None
        The held-out cost curve, dashed, on ``ax_``.
    validation_line_ : matplotlib.lines.Line2D or None
        The validation-score curve, dotted, on ``validation_ax_``.
    ax_ : matplotlib.axes.Axes
        Axes of the costs.
    validation_ax_ : matplotlib.axes.Axes or None
        Right-hand axes of the validation scores, sharing the x axis; the
        displays drawn on one ``ax_`` share it.
    figure_ : matplotlib.figure.Figure
        Figure holding the axes.

    See Also
    --------
    MisclassifiedImagesDisplay : The images a classifier got wrong.

    Notes
    -----
    The legend lies outside the axes, below them. A figure made by the
    display uses matplotlib's constrained layout, which makes room for it;
    on a figure of your own, use ``layout="constrained"`` or save with
    ``bbox_inches="tight"`` so that it is not cut off.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from skdnn import LLayerClassifier
    >>> from skdnn.plotting import LossCurveDisplay
    >>> X, y = make_moons(100, noise=0.1, random_state=0)
    >>> clf = LLayerClassifier((8,), max_iter=100, random_state=0).fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(clf)  # doctest: +SKIP
    """

    def __init__(self, loss_curve, validation_scores=None, learning_rate=None,
                 estimator_name=None, validation_loss_curve=None):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.learning_rate = learning_rate
        self.estimator_name = estimator_name
        self.validation_loss_curve = validation_loss_curve

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the curves, and a legend of every curve on the axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure when None. Curves already there,
            from other displays or your own labelled lines, stay in the legend.
        name : str, default=None
            Legend name of the estimator; ``estimator_name`` when None.
        **kwargs : dict
            Passed to ``ax.plot`` for the training-cost line; its colour is
            the colour of the held-out curves too.

        Returns
        -------
        display : LossCurveDisplay
            ``self``, with the attributes set.
        """
        plt = _import_pyplot()
        if ax is None:
            _, ax = plt.subplots(layout="constrained")
        name = self.estimator_name if name is None else name
        cost = np.asarray(self.loss_curve, dtype=float)
        (self.line_,) = ax.plot(np.arange(len(cost)), cost,
                                **{"label": _label(name, "training cost"), **kwargs})
        color = self.line_.get_color()
        self.validation_loss_line_ = None
        if self.validation_loss_curve is not None:
            held_out = np.asarray(self.validation_loss_curve, dtype=float)
            (self.validation_loss_line_,) = ax.plot(
                np.arange(len(held_out)), held_out, color=color, linestyle="--",
                label=_label(name, "validation cost"))
        ax.set_xlabel("Iteration")
        ax.set_ylabel("Cost")
        if self.learning_rate is not None:
            ax.set_title(f"Learning rate = {self.learning_rate}")
        self.validation_ax_ = self.validation_line_ = None
        if self.validation_scores is not None:
            scores = np.asarray(self.validation_scores, dtype=float)
            self.validation_ax_ = _validation_axes(ax, create=True)
            (self.validation_line_,) = self.validation_ax_.plot(
                np.arange(len(scores)), scores, color=color, linestyle=":",
                label=_label(name, "validation score"))
        _legend_below(ax, _validation_axes(ax), named=name is not None)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, **kwargs):
        """Plot the loss curves of a fitted estimator.

        Parameters
        ----------
        estimator : LLayerClassifier, LLayerRegressor or Pipeline
            A fitted estimator with ``loss_curve_`` (and ``validation_scores_``
            and ``validation_loss_curve_`` when it was fitted with
            ``early_stopping`` or ``X_val``), or a fitted pipeline that ends with one.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure when None.
        name : str, default=None
            Legend name; the estimator's class name when None.
        **kwargs : dict
            Passed to ``ax.plot`` for the training-cost line.

        Returns
        -------
        display : LossCurveDisplay
        """
        if isinstance(estimator, Pipeline):
            # As scikit-learn's displays take a pipeline: the curves are its network's.
            estimator = estimator[-1]
        check_is_fitted(estimator)
        learning_rate = getattr(estimator, "learning_rate", None)
        if getattr(estimator, "solver", None) == "lbfgs" or not isinstance(learning_rate, Real):
            # L-BFGS chooses its own steps: a learning rate in the title would mislead.
            learning_rate = None
        display = cls(estimator.loss_curve_, getattr(estimator, "validation_scores_", None),
                      learning_rate, type(estimator).__name__ if name is None else name,
                      getattr(estimator, "validation_loss_curve_", None))
        return display.plot(ax=ax, **kwargs)


def _label(name, curve):
    """Legend label of ``curve``, e.g. ``"net validation cost"``, or ``"Validation cost"``."""
    return curve.capitalize() if name is None else f"{name} {curve}"


def _validation_axes(ax, create=False):
    """The right-hand axes of validation scores twinned with ``ax``, made if ``create``."""
    # Axes made with sharex share the x axis too; a twin also lies exactly over ``ax``.
    for other in ax.figure.axes:
        if (other is not ax and other.get_label() == _VALIDATION_AXES_LABEL
                and ax.get_shared_x_axes().joined(ax, other)
                and other.get_position().bounds == ax.get_position().bounds):
            return other
    if not create:
        return None
    validation_ax = ax.twinx()
    validation_ax.set_label(_VALIDATION_AXES_LABEL)
    validation_ax.set_ylabel("Validation score")
    return validation_ax


def _legend_below(ax, validation_ax, named):
    """Put one legend of every labelled line of ``ax`` and its twin below both.

    Outside the axes no curve can be under the legend, and below them it
    takes the figure's height rather than half its width: the axes keep the
    figure's width. The offset clears the x tick labels and the x label,
    measured now: their height does not depend on where the axes end up in
    the figure.
    """
    from matplotlib.transforms import ScaledTranslation

    handles, labels = ax.get_legend_handles_labels()
    if validation_ax is not None:
        more_handles, more_labels = validation_ax.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    if not named and len(handles) < 2:
        return
    figure = ax.figure
    bottom = min(ax.bbox.y0, ax.xaxis.get_tightbbox().y0)
    below = ScaledTranslation(0, (bottom - ax.bbox.y0) / figure.dpi - _LEGEND_PAD,
                              figure.dpi_scale_trans)
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0),
              bbox_transform=ax.transAxes + below, borderaxespad=0,
              ncols=2 if len(handles) > 1 else 1, fontsize="small")


class MisclassifiedImagesDisplay:
    """Images a classifier got wrong, each titled with its prediction and the truth.

    The course's ``print_mislabeled_images`` as a display: one subplot per
    image, titled ``"Prediction: cat\\nTruth: non-cat"``.

    Parameters
    ----------
    images : array-like of shape (n_images, height, width) or (n_images, height, width, channels)
        The misclassified images, in any form ``imshow`` takes (floats in
        [0, 1] or uint8 for RGB).
    y_true : array-like of shape (n_images,)
        Their true labels, as shown (class names).
    y_pred : array-like of shape (n_images,)
        The predicted labels, as shown.
    indices : array-like of shape (n_images,), default=None
        Rows of the data the images come from.

    Attributes
    ----------
    ax_ : ndarray of matplotlib.axes.Axes of shape (n_images,)
        One axes per image.
    images_ : list of matplotlib.image.AxesImage
        The drawn images.
    figure_ : matplotlib.figure.Figure
        Figure holding the axes.

    See Also
    --------
    LossCurveDisplay : The training cost of an estimator.

    Examples
    --------
    >>> from skdnn import LLayerClassifier
    >>> from skdnn.datasets import load_catvnoncat
    >>> from skdnn.plotting import MisclassifiedImagesDisplay
    >>> train, test = load_catvnoncat("train"), load_catvnoncat("test")  # doctest: +SKIP
    >>> clf = LLayerClassifier(random_state=1).fit(train.data, train.target)  # doctest: +SKIP
    >>> MisclassifiedImagesDisplay.from_estimator(  # doctest: +SKIP
    ...     clf, test.data, test.target, images=test.images,
    ...     display_labels=test.target_names)
    """

    def __init__(self, images, y_true, y_pred, indices=None):
        self.images = images
        self.y_true = y_true
        self.y_pred = y_pred
        self.indices = indices

    def plot(self, ax=None, *, n_cols=5, **kwargs):
        """Draw the images.

        Parameters
        ----------
        ax : array-like of matplotlib.axes.Axes, default=None
            At least one axes per image (extra ones are blanked); a new figure
            with exactly one axes per image when None.
        n_cols : int, default=5
            Images per row of a new figure.
        **kwargs : dict
            Passed to ``imshow``.

        Returns
        -------
        display : MisclassifiedImagesDisplay
            ``self``, with the attributes set.
        """
        plt = _import_pyplot()
        images = np.asarray(self.images)
        n_images = len(images)
        if len(self.y_true) != n_images or len(self.y_pred) != n_images:
            raise ValueError(f"{n_images} images but {len(self.y_true)} true and "
                             f"{len(self.y_pred)} predicted labels.")
        if ax is None:
            n_cols = max(1, min(n_images, n_cols))
            n_rows = -(-n_images // n_cols)
            figure = plt.figure(figsize=(2.2 * n_cols, 2.6 * max(n_rows, 1)))
            axes = [figure.add_subplot(n_rows, n_cols, i + 1) for i in range(n_images)]
        else:
            axes = list(np.ravel(ax))
            if len(axes) < n_images:
                raise ValueError(f"ax has {len(axes)} axes for {n_images} images.")
            figure = axes[0].figure if axes else plt.figure()
        self.images_ = []
        for axes_i, image, truth, prediction in zip(axes, images, self.y_true, self.y_pred):
            if image.ndim == 3 and image.shape[-1] == 1:
                image = image[..., 0]
            self.images_.append(axes_i.imshow(
                image, **{"cmap": "gray" if image.ndim == 2 else None, **kwargs}))
            axes_i.set_title(f"Prediction: {prediction}\nTruth: {truth}", fontsize="small")
        for axes_i in axes:
            axes_i.set_axis_off()
        if n_images == 0:
            figure.suptitle("No misclassified images")
        self.ax_ = np.array(axes[:n_images], dtype=object)
        self.figure_ = figure
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y, *, image_shape=None, images=None, max_images=10,
                       display_labels=None, ax=None, n_cols=5, **kwargs):
        """Show the images of ``X`` that a fitted classifier misclassifies.

        Parameters
        ----------
        estimator : classifier
            Fitted, with one label per sample (not multilabel).
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input of ``estimator``; each row is an image flattened, unless
            ``images`` is given.
        y : array-like of shape (n_samples,)
            True labels.
        image_shape : tuple of int, default=None
            Shape of one image, e.g. ``(64, 64, 3)``, to reshape the rows of
            ``X``. When None and ``images`` is None, a row of ``3 s**2``
            values is read as an ``s x s`` RGB image (the cat images: 12288 =
            64 x 64 x 3) and one of ``s**2`` values as grey.
        images : array-like of shape (n_samples, ...), default=None
            The images themselves (e.g. the raw uint8 ``images`` of
            :func:`skdnn.datasets.load_catvnoncat`), row for row with ``X``.
        max_images : int or None, default=10
            Show at most this many, the first ones in the order of ``X``.
        display_labels : array-like of shape (n_classes,), default=None
            Name of each class of ``estimator.classes_``, in that order (e.g.
            ``["non-cat", "cat"]``); the labels themselves when None.
        ax : array-like of matplotlib.axes.Axes, default=None
            See :meth:`plot`.
        n_cols : int, default=5
            Images per row of a new figure.
        **kwargs : dict
            Passed to ``imshow``.

        Returns
        -------
        display : MisclassifiedImagesDisplay
        """
        if not is_classifier(estimator):
            raise ValueError(f"{type(estimator).__name__} is not a classifier: only "
                             "classifiers misclassify.")
        check_is_fitted(estimator)
        if np.ndim(y) == 2 and np.shape(y)[1] > 1:
            raise ValueError("MisclassifiedImagesDisplay needs one label per image; "
                             f"y has shape {np.shape(y)} (multilabel or multi-output).")
        y = column_or_1d(y)
        if max_images is not None and (not isinstance(max_images, Integral) or max_images < 1):
            raise ValueError(f"max_images must be a positive integer or None, got {max_images!r}.")
        y_pred = np.asarray(estimator.predict(X))
        wrong = np.flatnonzero(y_pred != y)[:max_images]
        shown = _images_of_rows(X, wrong, image_shape, images)
        names = dict(zip(estimator.classes_.tolist(), estimator.classes_.tolist()))
        if display_labels is not None:
            if len(display_labels) != len(estimator.classes_):
                raise ValueError(f"display_labels has {len(display_labels)} names for "
                                 f"{len(estimator.classes_)} classes {estimator.classes_}.")
            names = dict(zip(estimator.classes_.tolist(), list(display_labels)))
        truth = [names.get(label, label) for label in y[wrong].tolist()]
        prediction = [names.get(label, label) for label in y_pred[wrong].tolist()]
        display = cls(shown, truth, prediction, indices=wrong)
        return display.plot(ax=ax, n_cols=n_cols, **kwargs)


def _images_of_rows(X, rows, image_shape, images):
    """The images of ``rows``: from ``images``, else the rows of ``X`` reshaped."""
    n_samples, n_features = X.shape
    if images is not None:
        images = np.asarray(images)
        if len(images) != n_samples:
            raise ValueError(f"images has {len(images)} images for {n_samples} rows of X.")
        return images[rows]
    flat = X[rows].toarray() if sparse.issparse(X) else np.asarray(X)[rows]
    if image_shape is None:
        side_rgb, side_grey = round((n_features / 3) ** 0.5), round(n_features ** 0.5)
        if 3 * side_rgb ** 2 == n_features:
            image_shape = (side_rgb, side_rgb, 3)
        elif side_grey ** 2 == n_features:
            image_shape = (side_grey, side_grey)
        else:
            raise ValueError(f"Cannot tell the image shape of rows of {n_features} values: "
                             "pass image_shape, e.g. (64, 64, 3), or the images.")
    if int(np.prod(image_shape)) != n_features:
        raise ValueError(f"image_shape {tuple(image_shape)} holds {int(np.prod(image_shape))} "
                         f"values but the rows of X have {n_features}.")
    return flat.reshape(len(flat), *image_shape)
