"""skdnn.datasets.load_catvnoncat: layout, lookup order, and clear errors."""

import h5py
import numpy as np
import pytest

from skdnn.datasets import get_data_home, load_catvnoncat


def _write_cat_file(folder, subset="train", n=3, x_shape=(64, 64, 3)):
    path = folder / f"{subset}_catvnoncat.h5"
    with h5py.File(path, "w") as f:
        f[f"{subset}_set_x"] = np.arange(n * int(np.prod(x_shape))).reshape(n, *x_shape) % 256
        f[f"{subset}_set_x"].attrs["note"] = "synthetic"
        f[f"{subset}_set_y"] = np.array([0, 1, 1][:n])
        f["list_classes"] = np.array([b"non-cat", b"cat"])
    return path


def test_real_files_layout(cat_data):
    X_train, y_train, X_test, y_test = cat_data
    assert X_train.shape == (209, 12288) and X_test.shape == (50, 12288)
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0
    assert set(np.unique(y_train)) == {0, 1}
    bunch = load_catvnoncat("test")
    assert bunch.images.shape == (50, 64, 64, 3) and bunch.images.dtype == np.uint8
    np.testing.assert_array_equal(bunch.data, bunch.images.reshape(50, -1) / 255.0)
    assert list(bunch.target_names) == ["non-cat", "cat"]
    assert "cat" in bunch.DESCR


def test_synthetic_file_read_from_data_home(tmp_path):
    _write_cat_file(tmp_path, "train")
    bunch = load_catvnoncat("train", data_home=tmp_path)
    assert bunch.data.shape == (3, 12288)
    assert bunch.images.dtype.kind in "iu"
    np.testing.assert_array_equal(bunch.target, [0, 1, 1])
    X, y = load_catvnoncat("train", data_home=tmp_path, return_X_y=True)
    np.testing.assert_array_equal(X, bunch.data)


def test_lookup_order(tmp_path, monkeypatch):
    monkeypatch.setenv("SKDNN_DATA", str(tmp_path))
    assert get_data_home() == tmp_path
    assert get_data_home(tmp_path / "x") == tmp_path / "x"
    monkeypatch.delenv("SKDNN_DATA")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_data_home() == tmp_path / "skdnn_data"


def test_missing_file_says_which_and_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"test_catvnoncat\.h5.*SKDNN_DATA"):
        load_catvnoncat("test", data_home=tmp_path)


def test_malformed_files(tmp_path):
    (tmp_path / "train_catvnoncat.h5").write_bytes(b"not an hdf5 file")
    with pytest.raises(ValueError, match="train_catvnoncat.h5 is not a valid"):
        load_catvnoncat("train", data_home=tmp_path)
    _write_cat_file(tmp_path, "test", x_shape=(32, 32, 3))
    with pytest.raises(ValueError, match=r"\(n, 64, 64, 3\)"):
        load_catvnoncat("test", data_home=tmp_path)


def test_bad_subset():
    with pytest.raises(ValueError, match="subset"):
        load_catvnoncat("validation")
