"""The kinds of the network's arrays: its parameters, batch norm's statistics, the optimiser's state.

Like the other kinds (:mod:`skdnn._model_files.kinds`), each turns an
attribute into named arrays and JSON (``dump``) and back (``load``), checking
everything a damaged or hostile file could get wrong. These three describe
the network itself, layer by layer, so their shapes follow the
hyperparameters (``hidden_layer_sizes``, ``batch_norm``, ``solver``) and the
attributes loaded before them.
"""

from numbers import Integral

from .. import engine
from .kinds import FLOAT_DTYPES, Count, _is_finite_number, _short


class Network:
    """``parameters_``: arrays ``W1``, ``b1``, ... of the layer sizes, one float dtype.

    A batch-normalised hidden layer (by the hyperparameter ``batch_norm``)
    has ``gamma{l}`` and ``beta{l}`` instead of ``b{l}``.
    """

    optional = False

    def dump(self, value, name, arrays, estimator):
        # Model files hold NumPy arrays, wherever the model was trained.
        arrays.update({k: engine.to_numpy(v) for k, v in value.items()})
        return str(arrays["W1"].dtype)

    def load(self, stored, name, arrays, estimator):
        dtypes = {str(d): d for d in FLOAT_DTYPES}
        if stored not in dtypes:
            raise ValueError(f"the dtype of {name} must be float32 or float64, "
                             f"got {_short(stored)}")
        hidden = estimator._layer_sizes()
        sizes = [estimator.n_features_in_, *hidden, estimator.n_outputs_]
        if estimator.n_layers_ != len(sizes):
            raise ValueError(f"n_layers_ is {estimator.n_layers_} but hidden_layer_sizes "
                             f"makes {len(sizes)} layers")
        normalised = [*estimator._batch_norm_layers(), False]  # never the output layer
        with_gamma = [l for l in range(1, len(sizes)) if f"gamma{l}" in arrays]
        if with_gamma != [l for l in range(1, len(sizes)) if normalised[l - 1]]:
            raise ValueError(f"batch_norm={_short(estimator.batch_norm)} does not match the "
                             f"batch-normalised layers of {name}, {_short(with_gamma)}")
        parameters = {}
        for l in range(1, len(sizes)):
            parameters[f"W{l}"] = arrays.take(f"W{l}", (sizes[l], sizes[l - 1]),
                                              (dtypes[stored],))
            for key in (("gamma", "beta") if normalised[l - 1] else ("b",)):
                parameters[f"{key}{l}"] = arrays.take(f"{key}{l}", (sizes[l], 1),
                                                      (dtypes[stored],))
        return parameters


class RunningStats:
    """``running_stats_``: ``running_mean{l}``, ``running_var{l}`` of each batch-normalised layer.

    The layers are those of ``parameters_`` (loaded before); the arrays have
    its dtype, and a variance is never negative. Files written before batch
    normalisation have none: their networks have no such layer.
    """

    optional = True

    def check_absent(self, name, estimator):
        """Only a network without batch norm may lack it (its start would predict otherwise)."""
        if engine.initialize_running_stats(estimator.parameters_):
            raise ValueError(f"the fitted state has no {name}, which its batch-normalised "
                             "layers need")

    def dump(self, value, name, arrays, estimator):
        arrays.update({k: engine.to_numpy(v) for k, v in value.items()})
        return list(value)

    def load(self, stored, name, arrays, estimator):
        expected = engine.initialize_running_stats(estimator.parameters_)
        if not isinstance(stored, list) or sorted(map(str, stored)) != sorted(expected):
            raise ValueError(f"{name} must name exactly the statistics of the batch-normalised "
                             f"layers, {_short(list(expected))}")
        dtype = estimator.parameters_["W1"].dtype
        statistics = {key: arrays.take(key, start.shape, (dtype,))
                      for key, start in expected.items()}
        if any((v < 0).any() for k, v in statistics.items() if k.startswith("running_var")):
            raise ValueError(f"{name} holds a negative variance")
        return statistics


class OptimizerState:
    """``_optimizer``: the ``state_names`` of the optimiser the hyperparameters ask for.

    Numbers are JSON; a dict of per-parameter arrays is the list of its keys,
    the arrays being ``_optimizer.{state name}.{parameter name}``. ``None``
    stands for a fresh optimiser: lbfgs has none, and an optimiser that is no
    longer the current one (``set_params`` after ``fit``) is replaced by a
    fresh one at the next fit anyway.
    """

    optional = False

    def dump(self, value, name, arrays, estimator):
        if value is None or not estimator._optimizer_is_current():
            return None
        stored = {}
        for key in type(value).state_names:
            state = getattr(value, key)
            if isinstance(state, dict):
                stored[key] = list(state)
                arrays.update({f"{name}.{key}.{p}": engine.to_numpy(a)
                               for p, a in state.items()})
            else:
                stored[key] = int(state) if isinstance(state, Integral) else float(state)
        return stored

    def load(self, stored, name, arrays, estimator):
        optimizer = estimator._new_optimizer()
        if stored is None:
            return optimizer
        names = type(optimizer).state_names if optimizer is not None else ()
        if not isinstance(stored, dict) or set(stored) != set(names):
            raise ValueError(f"{name} must be null or hold exactly {list(names)} for "
                             f"solver={estimator.solver!r}")
        parameters = estimator.parameters_
        for key in names:
            value = stored[key]
            if isinstance(getattr(optimizer, key), dict):
                if not isinstance(value, list) or not set(value) <= set(parameters) \
                        or len(set(value)) != len(value):
                    raise ValueError(f"{name}.{key} must list distinct parameter names")
                value = {p: arrays.take(f"{name}.{key}.{p}", parameters[p].shape,
                                        (parameters[p].dtype,)) for p in value}
            elif isinstance(getattr(optimizer, key), Integral):  # a step count
                value = Count().load(value, f"{name}.{key}", arrays, estimator)
            elif not _is_finite_number(value) or value < 0:
                raise ValueError(f"{name}.{key} must be a finite number >= 0, "
                                 f"got {_short(value)}")
            setattr(optimizer, key, value)
        return optimizer
