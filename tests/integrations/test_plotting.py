"""skdnn.plotting: what is drawn is the estimator's data, and matplotlib stays optional."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_moons
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import LLayerClassifier, LLayerRegressor
from skdnn.plotting import LossCurveDisplay, MisclassifiedImagesDisplay
from tests.helpers.training import course

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")

# 8 x 8 RGB "images" in [0, 1] with labels a small network partly gets wrong.
RNG = np.random.RandomState(0)
IMAGES = RNG.rand(40, 8, 8, 3)
X_IMAGES = IMAGES.reshape(40, -1)
Y_IMAGES = (X_IMAGES[:, :5].sum(axis=1) + 0.5 * RNG.randn(40) > 2.5).astype(int)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def image_classifier():
    clf = LLayerClassifier(**course((3,), max_iter=20, random_state=0)).fit(X_IMAGES, Y_IMAGES)
    n_wrong = int((clf.predict(X_IMAGES) != Y_IMAGES).sum())
    assert 3 <= n_wrong < 40, "the tests below need some, not all, images misclassified"
    return clf


# --- matplotlib stays optional ---

def test_import_does_not_import_matplotlib():
    # One fresh interpreter for all: any of these pulling matplotlib in would show.
    code = "import sys, skdnn, skdnn.plotting, skdnn.model_io; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


# A short fit, to have something to plot: the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_plot_without_matplotlib_says_how_to_install(monkeypatch, image_classifier):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "skdnn\[plot\]"'):
        LossCurveDisplay([3.0, 2.0, 1.0]).plot()
    with pytest.raises(ImportError, match=r'pip install "skdnn\[plot\]"'):
        MisclassifiedImagesDisplay.from_estimator(image_classifier, X_IMAGES, Y_IMAGES)


# --- LossCurveDisplay ---

def test_loss_curve_plots_the_estimators_costs():
    X, y = make_classification(60, 4, random_state=0)
    clf = LLayerClassifier(**course((4,), max_iter=50, random_state=0)).fit(X, y)
    display = LossCurveDisplay.from_estimator(clf)
    np.testing.assert_array_equal(display.line_.get_ydata(), clf.loss_curve_)
    np.testing.assert_array_equal(display.line_.get_xdata(), np.arange(50))
    assert display.ax_.get_title() == "Learning rate = 0.0075"
    assert display.ax_.get_ylabel() == "Cost"
    assert display.figure_ is display.ax_.figure
    assert display.validation_line_ is None and display.validation_ax_ is None
    assert [t.get_text() for t in display.ax_.get_legend().get_texts()] == \
        ["LLayerClassifier training cost"]


def test_loss_curve_draws_on_given_axes_and_passes_line_options():
    _, ax = plt.subplots()
    display = LossCurveDisplay([3.0, 2.0, 1.5], learning_rate=0.1).plot(ax=ax, color="k")
    assert display.ax_ is ax
    assert display.line_.get_color() == "k"
    assert ax.get_title() == "Learning rate = 0.1"
    assert ax.get_legend() is None


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_loss_curve_shows_validation_scores_on_a_second_axis():
    X, y = make_classification(80, 4, random_state=0)
    clf = LLayerClassifier(**course((4,), solver="adam", learning_rate=0.01, max_iter=30,
                           early_stopping=True, tol=1e-4, n_iter_no_change=30,
                           random_state=0)).fit(X, y)
    display = LossCurveDisplay.from_estimator(clf, name="net")
    np.testing.assert_array_equal(display.validation_line_.get_ydata(), clf.validation_scores_)
    assert display.validation_ax_ is not display.ax_
    assert display.validation_ax_.get_ylabel() == "Validation score"
    # One colour per model, so that models can share an axes; the style tells the curves apart.
    assert display.validation_line_.get_color() == display.line_.get_color()
    assert display.validation_line_.get_linestyle() != display.line_.get_linestyle()
    assert [t.get_text() for t in display.ax_.get_legend().get_texts()] == \
        ["net training cost", "net validation cost", "net validation score"]


# 20 lbfgs iterations, to have a curve to plot: SciPy's limit is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. lbfgs stopped after:sklearn.exceptions.ConvergenceWarning")
def test_loss_curve_of_lbfgs_has_no_learning_rate_title():
    X, y = make_classification(60, 4, random_state=0)
    reg = LLayerRegressor(**course((4,), solver="lbfgs", max_iter=20, random_state=0)).fit(X, y)
    display = LossCurveDisplay.from_estimator(reg)
    assert display.ax_.get_title() == ""
    np.testing.assert_array_equal(display.line_.get_ydata(), reg.loss_curve_)


def test_loss_curve_of_unfitted_estimator_raises():
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(LLayerClassifier(**course()))


@pytest.fixture(scope="module")
def early_stopped_pair():
    """Two classifiers fitted with early stopping, to be drawn on one axes."""
    X, y = make_classification(80, 4, random_state=0)
    models = {}
    for name, layers in [("small", (3,)), ("wide", (8,))]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            models[name] = LLayerClassifier(**course(layers, solver="adam", learning_rate=0.01,
                                            max_iter=30, early_stopping=True,
                                            n_iter_no_change=30, random_state=0)).fit(X, y)
    return models


def legend_texts(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def rendered(figure, tmp_path, name):
    """Save ``figure`` as a PNG, so that every extent below is the one drawn."""
    path = tmp_path / name
    figure.savefig(path)
    assert path.stat().st_size > 0
    return figure.canvas.get_renderer()


def test_loss_curve_draws_the_held_out_cost_from_arrays():
    train, held_out, scores = [0.9, 0.6, 0.4], [1.0, 0.8, 0.7], [0.5, 0.7, 0.8]
    display = LossCurveDisplay(train, scores, validation_loss_curve=held_out,
                               estimator_name="net").plot()
    np.testing.assert_array_equal(display.validation_loss_line_.get_ydata(), held_out)
    assert display.validation_loss_line_.axes is display.ax_
    assert display.validation_loss_line_.get_color() == display.line_.get_color()
    assert display.validation_loss_line_.get_linestyle() == "--"
    assert legend_texts(display.ax_) == ["net training cost", "net validation cost",
                                         "net validation score"]
    without = LossCurveDisplay(train, scores).plot()
    assert without.validation_loss_line_ is None and len(without.ax_.get_lines()) == 1


# A short fit, to have something to plot: the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_loss_curve_from_estimator_reads_the_held_out_cost(early_stopped_pair):
    clf = early_stopped_pair["small"]
    held_out = clf.validation_loss_curve_
    assert len(held_out) == len(clf.loss_curve_)
    display = LossCurveDisplay.from_estimator(clf)
    np.testing.assert_array_equal(display.validation_loss_line_.get_ydata(), held_out)
    np.testing.assert_array_equal(display.validation_loss_line_.get_xdata(),
                                  np.arange(len(held_out)))
    without = LLayerClassifier(**course((3,), max_iter=5)).fit(
        *make_classification(40, 4, random_state=0))
    assert without.validation_loss_curve_ is None
    assert LossCurveDisplay.from_estimator(without).validation_loss_line_ is None


def test_two_models_on_one_axes_keep_their_legend_entries(early_stopped_pair, tmp_path):
    fig, ax = plt.subplots(layout="constrained")
    displays = [LossCurveDisplay.from_estimator(clf, ax=ax, name=name)
                for name, clf in early_stopped_pair.items()]
    rendered(fig, tmp_path, "two_models.png")
    # Costs on the left axes first, then the scores on the right one.
    assert legend_texts(ax) == ["small training cost", "small validation cost",
                                "wide training cost", "wide validation cost",
                                "small validation score", "wide validation score"]
    # The scores share one right-hand scale rather than stacking twin axes.
    assert len(fig.axes) == 2
    assert displays[0].validation_ax_ is displays[1].validation_ax_
    small, wide = displays
    assert small.line_.get_color() != wide.line_.get_color()
    assert [small.validation_line_.get_color(), wide.validation_line_.get_color()] == \
        [small.line_.get_color(), wide.line_.get_color()]


def test_one_legend_lists_displays_of_any_kind_and_your_own_lines():
    _, ax = plt.subplots()
    ax.plot([0, 2], [0.5, 0.5], label="baseline")
    LossCurveDisplay([0.9, 0.6, 0.4], [0.5, 0.7, 0.8], estimator_name="a").plot(ax=ax)
    LossCurveDisplay([0.8, 0.5, 0.3], estimator_name="b").plot(ax=ax)
    assert legend_texts(ax) == ["baseline", "a training cost", "b training cost",
                                "a validation score"]


def test_axes_sharing_x_do_not_share_their_score_axis():
    _, (top, bottom) = plt.subplots(2, 1, sharex=True)
    upper = LossCurveDisplay([0.9, 0.6], [0.5, 0.7], estimator_name="a").plot(ax=top)
    lower = LossCurveDisplay([0.8, 0.5], [0.6, 0.9], estimator_name="b").plot(ax=bottom)
    assert upper.validation_ax_ is not lower.validation_ax_
    assert legend_texts(top) == ["a training cost", "a validation score"]
    assert legend_texts(bottom) == ["b training cost", "b validation score"]


def overlaps(box, other):
    return box.x0 < other.x1 and other.x0 < box.x1 and box.y0 < other.y1 and other.y0 < box.y1


@pytest.mark.parametrize("own_axes", [False, True])
def test_legend_hides_no_curve(own_axes, early_stopped_pair, tmp_path):
    ax = plt.subplots(layout="constrained")[1] if own_axes else None
    for name, clf in early_stopped_pair.items():
        clf.validation_loss_curve_ = list(np.asarray(clf.loss_curve_) + 0.05)
        try:
            display = LossCurveDisplay.from_estimator(clf, ax=ax, name=name)
        finally:
            del clf.validation_loss_curve_
        ax = display.ax_
    renderer = rendered(display.figure_, tmp_path, f"legend_{own_axes}.png")
    legend = display.ax_.get_legend().get_window_extent(renderer)
    lines = display.ax_.get_lines() + display.validation_ax_.get_lines()
    assert len(lines) == 6 and len(legend_texts(display.ax_)) == 6
    for line in lines:
        assert not overlaps(legend, line.get_window_extent(renderer)), line.get_label()
    # Outside both axes, clear of the tick labels, and inside the saved figure.
    assert not overlaps(legend, display.ax_.bbox)
    assert not overlaps(legend, display.validation_ax_.yaxis.get_tightbbox(renderer))
    assert not overlaps(legend, display.ax_.xaxis.get_tightbbox(renderer))
    figure_box = display.figure_.bbox
    assert figure_box.x0 <= legend.x0 and legend.x1 <= figure_box.x1
    assert figure_box.y0 <= legend.y0 and legend.y1 <= figure_box.y1
    # The axes come first: at the default figure size the six entries leave
    # them most of the width (beside the axes, the legend took half of it).
    assert display.ax_.bbox.width > 0.75 * figure_box.width


# A short fit, to have something to plot: the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_loss_curve_of_a_pipeline_is_its_last_step():
    X, y = make_moons(60, noise=0.2, random_state=0)
    pipe = make_pipeline(StandardScaler(), LLayerClassifier((4,), max_iter=20,
                                                            random_state=0)).fit(X, y)
    display = LossCurveDisplay.from_estimator(pipe)
    np.testing.assert_array_equal(display.line_.get_ydata(), pipe[-1].loss_curve_)
    assert legend_texts(display.ax_) == ["LLayerClassifier training cost"]


# --- MisclassifiedImagesDisplay ---

def titles(display):
    return [ax.get_title() for ax in display.ax_]


def test_misclassified_images_are_the_wrong_ones_with_prediction_and_truth(image_classifier):
    y_pred = image_classifier.predict(X_IMAGES)
    wrong = np.flatnonzero(y_pred != Y_IMAGES)
    display = MisclassifiedImagesDisplay.from_estimator(image_classifier, X_IMAGES, Y_IMAGES,
                                                        max_images=None)
    assert len(display.figure_.axes) == len(display.ax_) == len(wrong)
    np.testing.assert_array_equal(display.indices, wrong)
    assert titles(display) == [f"Prediction: {y_pred[i]}\nTruth: {Y_IMAGES[i]}" for i in wrong]
    for artist, i in zip(display.images_, wrong):
        np.testing.assert_array_equal(artist.get_array(), IMAGES[i])


def test_misclassified_images_are_capped_and_named(image_classifier):
    y_pred = image_classifier.predict(X_IMAGES)
    first_two = np.flatnonzero(y_pred != Y_IMAGES)[:2]
    names = np.array(["non-cat", "cat"])
    display = MisclassifiedImagesDisplay.from_estimator(
        image_classifier, X_IMAGES, Y_IMAGES, max_images=2, display_labels=names)
    assert len(display.figure_.axes) == 2
    assert titles(display) == [f"Prediction: {names[y_pred[i]]}\nTruth: {names[Y_IMAGES[i]]}"
                               for i in first_two]


def test_misclassified_images_from_raw_images_or_a_shape(image_classifier):
    raw = (IMAGES * 255).astype(np.uint8)
    display = MisclassifiedImagesDisplay.from_estimator(image_classifier, X_IMAGES, Y_IMAGES,
                                                        images=raw, max_images=3)
    for artist, i in zip(display.images_, display.indices):
        np.testing.assert_array_equal(artist.get_array(), raw[i])
    shaped = MisclassifiedImagesDisplay.from_estimator(image_classifier, X_IMAGES, Y_IMAGES,
                                                       image_shape=(8, 8, 3), max_images=3)
    assert titles(shaped) == titles(display)


def test_misclassified_images_draw_on_given_axes(image_classifier):
    _, axes = plt.subplots(2, 3)
    display = MisclassifiedImagesDisplay.from_estimator(image_classifier, X_IMAGES, Y_IMAGES,
                                                        max_images=4, ax=axes)
    assert list(display.ax_) == list(axes.ravel()[:4])
    assert all(ax.get_title() == "" for ax in axes.ravel()[4:])


def test_no_misclassified_images_gives_an_empty_figure(image_classifier):
    display = MisclassifiedImagesDisplay.from_estimator(
        image_classifier, X_IMAGES, image_classifier.predict(X_IMAGES))
    assert len(display.ax_) == 0 and len(display.figure_.axes) == 0
    assert display.figure_.get_suptitle() == "No misclassified images"


@pytest.mark.parametrize("kwargs, message", [
    ({"image_shape": (8, 8, 2)}, r"image_shape \(8, 8, 2\) holds 128 values"),
    ({"images": IMAGES[:5]}, "images has 5 images for 40 rows"),
    ({"display_labels": ["only one"]}, "display_labels has 1 names for 2 classes"),
    ({"max_images": 0}, "max_images must be a positive integer"),
])
def test_misclassified_images_bad_arguments(kwargs, message, image_classifier):
    with pytest.raises(ValueError, match=message):
        MisclassifiedImagesDisplay.from_estimator(image_classifier, X_IMAGES, Y_IMAGES, **kwargs)


# A short fit, to have something to plot: the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_misclassified_images_needs_a_known_image_shape():
    X = RNG.rand(30, 10)
    y = (X[:, 0] > 0.5).astype(int)
    clf = LLayerClassifier(**course((2,), max_iter=5, random_state=0)).fit(X, y)
    with pytest.raises(ValueError, match="pass image_shape"):
        MisclassifiedImagesDisplay.from_estimator(clf, X, 1 - clf.predict(X))


# A short fit, to have something to plot: the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_misclassified_images_needs_a_single_label_classifier():
    reg = LLayerRegressor(**course((2,), max_iter=5, random_state=0)).fit(X_IMAGES, Y_IMAGES)
    with pytest.raises(ValueError, match="not a classifier"):
        MisclassifiedImagesDisplay.from_estimator(reg, X_IMAGES, Y_IMAGES)
    Y = np.c_[Y_IMAGES, 1 - Y_IMAGES]
    clf = LLayerClassifier(**course((2,), max_iter=5, random_state=0)).fit(X_IMAGES, Y)
    with pytest.raises(ValueError, match="one label per image"):
        MisclassifiedImagesDisplay.from_estimator(clf, X_IMAGES, Y)


# A short fit, to have something to plot: the end-of-fit warning is expected.
@pytest.mark.filterwarnings(
    r"ignore:LLayer\w+. the final loss, .* is no better than:sklearn.exceptions.ConvergenceWarning")
def test_misclassified_cat_images():
    from skdnn.datasets import load_catvnoncat

    try:
        train, test = load_catvnoncat("train"), load_catvnoncat("test")
    except FileNotFoundError as exc:
        pytest.skip(f"cat vs non-cat files absent: {exc}")
    clf = LLayerClassifier(**course((7,), max_iter=20, random_state=1)).fit(train.data,
                                                                            train.target)
    y_pred = clf.predict(test.data)
    wrong = np.flatnonzero(y_pred != test.target)
    display = MisclassifiedImagesDisplay.from_estimator(
        clf, test.data, test.target, display_labels=test.target_names, max_images=6)
    assert len(display.ax_) == min(6, len(wrong)) > 0
    names = dict(enumerate(test.target_names))
    assert titles(display) == [f"Prediction: {names[y_pred[i]]}\nTruth: {names[test.target[i]]}"
                               for i in wrong[:6]]
    assert display.images_[0].get_array().shape == (64, 64, 3)
    np.testing.assert_allclose(display.images_[0].get_array(),
                               test.images[wrong[0]] / 255.0)
