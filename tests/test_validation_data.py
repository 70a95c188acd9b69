

def test_a_model_file_from_before_scoring_loads_with_scoring_none(data, tmp_path):
    from model_file_helpers import rewrite

    X, y, _, _ = data
    path = tmp_path / "old.skdnn"
    save_model(LLayerClassifier(**SETTINGS).fit(X, y), path)
    rewrite(path, lambda metadata, hyper, state, tensors: hyper.pop("scoring"))
    assert load_model(path).scoring is None
