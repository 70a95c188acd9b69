"""Small batch-normalised networks and data for the engine's batch-norm tests."""

import numpy as np

from skdnn import engine as E


def network(layer_dims=(3, 5, 4, 1), batch_norm=(True, True), seed=0):
    """A network with gamma and beta moved off their start (ones, zeros), so a wrong one shows."""
    parameters = E.initialize_network(list(layer_dims), "he", np.random.RandomState(seed),
                                      batch_norm=list(batch_norm))
    rng = np.random.default_rng(seed + 100)
    for name, p in parameters.items():
        if name.startswith("gamma"):
            parameters[name] = rng.uniform(0.5, 1.5, p.shape)
        elif name.startswith("beta") or name.startswith("b"):
            parameters[name] = rng.normal(0.0, 0.3, p.shape)
    return parameters


def data(n_x=3, m=8, output="sigmoid", n_out=1, seed=1):
    """``X`` and targets ``Y`` for a ``"sigmoid"``, ``"softmax"`` or identity output."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m)) * 2.0 + 1.0
    if output == "sigmoid":
        Y = rng.integers(0, 2, (n_out, m)).astype(float)
    elif output == "softmax":
        Y = np.eye(n_out)[:, rng.integers(0, n_out, m)]
    else:
        Y = rng.standard_normal((n_out, m))
    return X, Y


def batch_running_stats(caches):
    """Running statistics equal to the batch statistics in a training pass's caches."""
    stats = {}
    for l, cache in enumerate(caches, start=1):
        if len(cache) == 3:
            stats[f"running_mean{l}"], stats[f"running_var{l}"] = cache[2].mu, cache[2].var
    return stats
