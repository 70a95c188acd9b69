"""``verbose``: the course's lines, a progress line during long fits, per-epoch times.

The clock that :mod:`skdnn._reporting.verbose` reads is replaced by one that advances a
fixed step per reading, so a fit of a few milliseconds plays a long one.
"""

import re
import warnings

import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skdnn import LLayerClassifier, LLayerRegressor
from skdnn._reporting import verbose
from skdnn._reporting.verbose import format_seconds
from tests.helpers.training import course

FAST = {"hidden_layer_sizes": (4,), "solver": "adam", "learning_rate": 0.01, "random_state": 0}
COURSE_LINE = r"Cost after iteration (\d+): \d\.\d+(e-\d+)?"
PROGRESS_LINE = (r"Iteration (\d+) \((\d+)/(\d+) of this fit\): cost \S+, (.+) elapsed, "
                 r"(about|at most) (.+) left")


@pytest.fixture(scope="module")
def data():
    return make_classification(60, 4, random_state=0)


@pytest.fixture
def seconds_per_epoch(monkeypatch):
    """Make every reading of the verbose clock 1.5 s later than the one before."""
    now = [0.0]

    def clock():
        now[0] += 1.5
        return now[0]

    monkeypatch.setattr(verbose, "perf_counter", clock)
    return 1.5


def _fit_lines(estimator, X, y, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    return capsys.readouterr().out.splitlines()


def test_a_long_fit_with_verbose_1_is_never_silent_for_long(data, capsys, seconds_per_epoch):
    X, y = data
    lines = _fit_lines(LLayerClassifier(**course(**FAST, max_iter=250, verbose=1)), X, y, capsys)
    course_lines = [int(m[1]) for line in lines if (m := re.fullmatch(COURSE_LINE, line))]
    assert course_lines == [0, 100, 200]
    progress = [re.fullmatch(PROGRESS_LINE, line) for line in lines]
    progress = [m for m in progress if m]
    assert len(progress) + len(course_lines) == len(lines)
    # One epoch is 1.5 s: a line at least every 10 s is one every 7th epoch.
    printed = sorted([*course_lines, *(int(m[1]) for m in progress)])
    assert max(b - a for a, b in zip(printed, printed[1:])) == 7
    first = progress[0]
    assert (first[1], first[2], first[3]) == ("7", "8", "250")
    assert first[4] == format_seconds(8 * seconds_per_epoch)
    assert (first[5], first[6]) == ("about", format_seconds(242 * seconds_per_epoch))


def test_the_estimate_is_an_upper_bound_when_the_fit_may_stop_early(data, capsys,
                                                                    seconds_per_epoch):
    X, y = data
    lines = _fit_lines(LLayerRegressor(**course(**{**FAST, "solver": "lbfgs"}, max_iter=30,
                                                tol=0.0,
                                       verbose=1)), X, y.astype(float), capsys)
    progress = [m for line in lines if (m := re.fullmatch(PROGRESS_LINE, line))]
    assert progress and all(m[5] == "at most" for m in progress)


def test_verbose_2_prints_every_epoch_with_its_time(data, capsys, seconds_per_epoch):
    X, y = data
    lines = _fit_lines(LLayerClassifier(**course(**FAST, max_iter=5, verbose=2)), X, y, capsys)
    assert len(lines) == 5
    for i, line in enumerate(lines):
        elapsed = format_seconds((i + 1) * seconds_per_epoch)
        assert re.fullmatch(rf"Cost after iteration {i}: \S+ \(1\.5 s; {elapsed} elapsed\)",
                            line), line


def test_a_short_fit_with_verbose_1_prints_only_the_course_lines(data, capsys):
    X, y = data
    lines = _fit_lines(LLayerClassifier(**course(**FAST, max_iter=150, verbose=1)), X, y, capsys)
    assert [re.fullmatch(COURSE_LINE, line)[1] for line in lines] == ["0", "100"]


def test_partial_fit_keeps_the_course_count(data, capsys):
    X, y = data
    clf = LLayerClassifier(**course(**FAST, verbose=1))
    for _ in range(101):
        clf.partial_fit(X, y, classes=[0, 1])
    lines = capsys.readouterr().out.splitlines()
    assert [re.fullmatch(COURSE_LINE, line)[1] for line in lines] == ["0", "100"]


@pytest.mark.parametrize("seconds, text", [(0.0142, "14.2 ms"), (4.25, "4.2 s"), (59.9, "59.9 s"),
                                           (187, "3 min 07 s"), (7500, "2 h 05 min")])
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text
