"""Model files written by an earlier skdnn load, predict and train on as they did.

The files in ``tests/model_files/data/`` were written by skdnn at commit
62620db, before batch normalisation existed (``make_files.py`` there says
how): they have no ``batch_norm``, ``batch_norm_momentum`` or
``running_stats_``. The rewritten files of the other model-file tests remove
entries from today's files; these were written by the old code itself.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skdnn import load_model
from tests.helpers.model_files import assert_same_training, reloaded
from tests.model_files.data.make_files import HERE, data

REVISION = "62620db"
MODELS = ["classifier_adam", "regressor_lbfgs"]


def _old_file(name):
    return HERE / f"{name}_{REVISION}.safetensors"


@pytest.mark.parametrize("name", MODELS)
def test_a_file_from_before_batch_norm_predicts_as_its_version_did(name):
    X, _, _ = data()
    model = load_model(_old_file(name))
    expected = np.load(HERE / f"{name}_{REVISION}_predict.npy")
    np.testing.assert_array_equal(model.predict(X), expected, strict=True)
    assert model.batch_norm is False and model.batch_norm_momentum == 0.9
    assert model.running_stats_ == {}
    assert not any(key.startswith(("gamma", "beta")) for key in model.parameters_)


@pytest.mark.parametrize("name", MODELS)
def test_a_file_from_before_trains_on_as_after_saving_it_again(name, tmp_path):
    X, y_class, y_reg = data()
    y = y_class if name.startswith("classifier") else y_reg
    loaded, saved_again = load_model(_old_file(name)), reloaded(load_model(_old_file(name)),
                                                                 tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a few more epochs only
        for model in (loaded, saved_again):
            model.set_params(warm_start=True, max_iter=5).fit(X, y)
    assert_same_training(saved_again, loaded)
    before = load_model(_old_file(name)).parameters_
    assert not np.array_equal(loaded.parameters_["W1"], before["W1"])
