"""Do two versions of skdnn train the same NumPy models, bit for bit?

A refactoring that promises "NumPy results unchanged" is checked here: both
versions (the working tree's ``skdnn`` and another one loaded as in
:mod:`benchmarks.compare`) fit the same configurations on the same data, and
every fitted array (parameters, optimiser state) and the loss curve must be
equal bit for bit.

    python -m benchmarks.bit_identity --rev 8aefdeb
    python -m benchmarks.bit_identity --path /work/base/skdnn

The configurations cover the classifier (binary, multiclass, float32) and
the regressor; the solvers gd, momentum (plain and Nesterov), adam and
lbfgs; mini-batches, dropout with alpha and sample weights, early stopping,
and tanh, leaky_relu and sigmoid hidden layers; batch normalisation, where
both versions have it (a configuration one version cannot run is listed as
not compared).
"""

import argparse
import hashlib
import sys

import numpy as np

from benchmarks.compare import load_other

CONFIGURATIONS = {
    "binary-gd": ("classifier", 2, "float64", dict(solver="gd", learning_rate=0.1)),
    "binary-float32-adam": ("classifier", 2, "float32",
                            dict(solver="adam", learning_rate=0.01, batch_size=16)),
    "multiclass-adam": ("classifier", 3, "float64",
                        dict(solver="adam", learning_rate=0.01, batch_size=32)),
    "multiclass-momentum": ("classifier", 3, "float64",
                            dict(solver="momentum", learning_rate=0.05, batch_size=20)),
    "binary-nesterov": ("classifier", 2, "float64",
                        dict(solver="momentum", nesterovs_momentum=True, learning_rate=0.05,
                             batch_size=25)),
    "multiclass-lbfgs": ("classifier", 3, "float64", dict(solver="lbfgs")),
    "binary-dropout-alpha-weights": ("classifier", 2, "float64",
                                     dict(solver="adam", learning_rate=0.01, batch_size=16,
                                          dropout=0.3, alpha=0.01), "weights"),
    "multiclass-early-stopping": ("classifier", 3, "float64",
                                  dict(solver="adam", learning_rate=0.01, batch_size=16,
                                       early_stopping=True, n_iter_no_change=3)),
    "binary-tanh": ("classifier", 2, "float64",
                    dict(solver="gd", learning_rate=0.1, activation="tanh")),
    "multiclass-leaky-relu": ("classifier", 3, "float32",
                              dict(solver="adam", learning_rate=0.01, batch_size=32,
                                   activation="leaky_relu")),
    "binary-sigmoid-layers": ("classifier", 2, "float64",
                              dict(solver="momentum", learning_rate=0.1,
                                   activation=["sigmoid", "tanh"], hidden_layer_sizes=(8, 4))),
    "regressor-gd": ("regressor", 1, "float64", dict(solver="gd", learning_rate=0.01)),
    "regressor-adam-weights": ("regressor", 2, "float64",
                               dict(solver="adam", learning_rate=0.01, batch_size=16, alpha=0.1),
                               "weights"),
    "regressor-float32-lbfgs": ("regressor", 1, "float32", dict(solver="lbfgs")),
    "regressor-early-stopping-dropout": ("regressor", 1, "float64",
                                         dict(solver="adam", learning_rate=0.01, batch_size=16,
                                              early_stopping=True, dropout=0.2)),
    # Batch normalisation (120 rows in batches of 16 leave 8 over: they join the last batch).
    "multiclass-batch-norm-adam-weights": ("classifier", 3, "float64",
                                           dict(solver="adam", learning_rate=0.01,
                                                batch_size=16, batch_norm=True, dropout=0.1),
                                           "weights"),
    "regressor-batch-norm-lbfgs": ("regressor", 2, "float32",
                                   dict(solver="lbfgs", batch_norm=[True, False])),
}


def _data(kind, n_outputs, dtype):
    rng = np.random.RandomState(0)
    X = rng.randn(120, 6).astype(dtype)
    if kind == "classifier":
        y = np.digitize(X[:, 0] + 0.5 * X[:, 1], np.linspace(-1, 1, n_outputs + 1)[1:-1])
    else:
        y = X[:, :n_outputs] * 2 + X[:, 1:n_outputs + 1] ** 2
        y = y.ravel() if n_outputs == 1 else y
    weights = rng.uniform(0, 2, size=120)
    weights[:10] = 0
    return X, y, weights


def fingerprint(package, name):
    """SHA-256 of every fitted array and the loss curve of one configuration.

    Parameters
    ----------
    package : module
        ``skdnn`` or another version of it.
    name : str
        Key of :data:`CONFIGURATIONS`.

    Returns
    -------
    digest : str or None
        ``None`` when this version of the package lacks one of the settings.
    """
    kind, n_outputs, dtype, settings, *weighted = CONFIGURATIONS[name]
    X, y, weights = _data(kind, n_outputs, dtype)
    Estimator = package.LLayerClassifier if kind == "classifier" else package.LLayerRegressor
    if not set(settings) <= set(Estimator().get_params()):
        return None
    # The settings that were the defaults until the defaults became MLPClassifier's,
    # spelled out so that revisions on either side of that change compare.
    settings = {"hidden_layer_sizes": (10, 5), "max_iter": 30, "random_state": 0,
                "init": "xavier", "batch_size": None, "tol": None, "alpha": 0.0, **settings}
    if "normalize_y" in Estimator().get_params():
        settings["normalize_y"] = False  # targets as older revisions trained on them
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning after 30 epochs
        model = Estimator(**settings).fit(X, y, sample_weight=weights if weighted else None)
        if hasattr(model, "partial_fit") and not settings.get("early_stopping"):
            model.partial_fit(X, y)  # goes on with the optimiser state
        # A warm start on data of the other dtype casts the model and its state.
        other_dtype = np.float32 if dtype == "float64" else np.float64
        model.set_params(warm_start=True, max_iter=5).fit(X.astype(other_dtype), y)
    digest = hashlib.sha256()
    network = {**model.parameters_, **getattr(model, "running_stats_", {})}
    for key in sorted(network):
        digest.update(key.encode() + np.ascontiguousarray(network[key]).tobytes())
    optimizer = model._optimizer
    for state_name in getattr(optimizer, "state_names", ()):
        state = getattr(optimizer, state_name)
        for key in sorted(state) if isinstance(state, dict) else ():
            digest.update(key.encode() + np.ascontiguousarray(state[key]).tobytes())
    digest.update(np.asarray(model.loss_curve_, dtype=np.float64).tobytes())
    digest.update(np.asarray(model.predict(X)).tobytes())
    return digest.hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--rev", help="git revision to compare with")
    source.add_argument("--path", help="folder of another skdnn package")
    args = parser.parse_args(argv)
    import skdnn

    other = load_other(rev=args.rev, path=args.path)
    different, compared = [], 0
    for name in CONFIGURATIONS:
        this, that = fingerprint(skdnn, name), fingerprint(other, name)
        if this is None or that is None:
            print(f"{name:36s} not compared: a setting is missing from one version")
            continue
        compared += 1
        print(f"{name:36s} {this[:16]} {'same' if this == that else 'DIFFERENT ' + that[:16]}")
        if this != that:
            different.append(name)
    print(f"{compared - len(different)} of {compared} configurations compared are "
          "bit-identical")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
