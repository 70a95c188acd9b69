"""``python -m skdnn``: the README's first command, a course model on the cat images."""

import pytest

from skdnn import COURSE_SETTINGS


def test_demo_help_prints_usage_and_trains_nothing(capsys):
    from skdnn.__main__ import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: python -m skdnn" in out and "SKDNN_DATA" in out and "Cost" not in out


def test_demo_prints_the_version_and_trains_nothing(capsys):
    from skdnn import __version__
    from skdnn.__main__ import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"skdnn {__version__}\n"


def test_demo_trains_the_course_model(monkeypatch, capsys):
    # The digits stand in for the cat images; the network is the course's whatever the data.
    from skdnn import __main__ as demo

    trained = []
    monkeypatch.setattr(demo.LLayerClassifier, "fit",
                        lambda self, X, y: trained.append(self.get_params()) or self)
    monkeypatch.setattr(demo.LLayerClassifier, "score", lambda self, X, y: 1.0)
    assert demo.main([]) == 0
    params = trained[0]
    assert {k: params[k] for k in COURSE_SETTINGS if k != "learning_rate"} == {
        k: v for k, v in COURSE_SETTINGS.items() if k != "learning_rate"}
    assert "2500 iterations of gradient descent" in capsys.readouterr().out


def test_demo_says_where_it_looked_for_the_images(tmp_path, monkeypatch):
    from skdnn.__main__ import load_demo_data

    monkeypatch.setenv("SKDNN_DATA", str(tmp_path))
    name = load_demo_data()[0]
    assert "digits" in name and str(tmp_path) in name
