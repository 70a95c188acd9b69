"""The fitted state of the L-layer estimators: one table, read by everything.

``FittedStateMixin._fitted_schema`` (extended by each estimator for its
targets) names every fitted attribute with its entry
(:mod:`skdnn._model_files.entries`): its kind (:mod:`skdnn._model_files.kinds`,
how a model file holds and checks it), the value a new model starts from, and
how it moves to another device or dtype. Starting, snapshotting, restoring,
moving and saving a model all read it; adding a fitted attribute is adding
one entry.
"""

import numpy as np
from .. import engine
from .entries import (Fitted, FittedEntriesMixin, held_out, move_network, move_optimizer,
                      new_network, new_running_stats, settings_activations, starts_at)
from .kinds import Choice, Count, Curve, FeatureNames, Generator, Number, _short, _Arrays
from .network_kinds import Network, OptimizerState, RunningStats


class FittedStateMixin(FittedEntriesMixin):
    """Export and rebuild the fitted state of an estimator, by one table of entries."""

    # Constructor parameters added after model files were first written, with
    # the value that reproduces what a file without them was trained with.
    _parameters_added_later = {"decay_interval": 1, "normalize_y": False, "scoring": None,
                               "batch_norm": False, "batch_norm_momentum": 0.9}

    # Loaded in this order: a kind may use the attributes above it. An entry
    # without a start is set while the data are checked and encoded. An
    # optional entry that a file lacks (written before it existed) starts
    # from its start, if it has one.
    _fitted_schema = {
        "n_features_in_": Fitted(Count(1)),
        "feature_names_in_": Fitted(FeatureNames()),
        "n_layers_": Fitted(Count(2), lambda est, start: len(start.layer_sizes)),
        # What a warm start compares activation with (a model file has it as
        # the hyperparameter activation).
        "_hidden_activations": Fitted(None, settings_activations),
        "n_outputs_": Fitted(Count(1), lambda est, start: start.layer_sizes[-1]),
        "out_activation_": Fitted(Choice(*engine.OUTPUT_ACTIVATIONS),
                                  lambda est, start: start.out_activation),
        "parameters_": Fitted(Network(), new_network, move_network, network=True),
        "running_stats_": Fitted(RunningStats(), new_running_stats, move_network, network=True),
        "n_iter_": Fitted(Count(), starts_at(0)),
        "t_": Fitted(Count(), starts_at(0)),
        "loss_curve_": Fitted(Curve(), starts_at([])),
        "best_loss_": Fitted(Number(), starts_at(np.inf)),
        "validation_scores_": Fitted(Curve(none=True), held_out([])),
        "validation_loss_curve_": Fitted(Curve(none=True), held_out([])),
        "best_validation_score_": Fitted(Number(none=True), held_out(-np.inf)),
        "_no_improvement_count": Fitted(Count(), starts_at(0)),
        "_learning_rate_divisions": Fitted(Count(), starts_at(0)),
        "_optimizer": Fitted(OptimizerState(), lambda est, start: est._new_optimizer(),
                             move_optimizer),
        "_random_state": Fitted(Generator(), lambda est, start: start.random_state),
    }

    def _export_fitted_state(self):
        """The fitted attributes as JSON-ready values and named arrays.

        Returns
        -------
        state : dict
            Attribute name to a JSON-ready value (arrays replaced by their length
            or their keys).
        arrays : dict of str to ndarray
            The arrays, by name: ``W1``, ``b1``, ... for the parameters.
        """
        state, arrays = {}, {}
        for name, entry in self._fitted_schema.items():
            if entry.kind is None or entry.kind.optional and not hasattr(self, name):
                continue
            state[name] = entry.kind.dump(getattr(self, name), name, arrays, self)
        return state, arrays

    @classmethod
    def _from_fitted_state(cls, params, state, arrays):
        """A fitted estimator built from ``params``, ``state`` and ``arrays``, all checked.

        Parameters
        ----------
        params : dict
            Exactly the estimator's hyperparameters.
        state : dict
            As made by ``_export_fitted_state``, read from an untrusted source.
        arrays : dict of str to ndarray
            Used as they are (not copied): the estimator owns them afterwards.

        Returns
        -------
        estimator : instance of cls

        Raises
        ------
        ValueError, TypeError
            When anything is missing, unexpected or inconsistent; short messages.
        """
        expected = set(cls().get_params(deep=False))
        if isinstance(params, dict):
            # A file written before a parameter existed behaves as it did then.
            params = {**{k: v for k, v in cls._parameters_added_later.items()
                         if k in expected}, **params}
        if not isinstance(params, dict) or set(params) != expected:
            got = set(params) if isinstance(params, dict) else set()
            raise ValueError(f"the hyperparameters of {cls.__name__} must be exactly its "
                             f"parameters; unknown: {_short(sorted(map(str, got - expected)))},"
                             f" missing: {_short(sorted(expected - got))}")
        estimator = cls(**params)
        try:
            estimator._validate_params()
            estimator._check_settings()
        except (ValueError, TypeError) as exc:
            raise ValueError(f"bad hyperparameter value: {_short(str(exc), 200)}") from None
        schema = cls._fitted_schema
        written = {name: entry for name, entry in schema.items() if entry.kind is not None}
        if not isinstance(state, dict) or not set(state) <= set(written):
            unknown = sorted(set(state) - set(written)) if isinstance(state, dict) else []
            raise ValueError(f"the fitted state must be a dict of {cls.__name__}'s fitted "
                             f"attributes; unknown: {_short(unknown[:3])}")
        arrays = _Arrays(arrays)
        for name, entry in written.items():
            if name in state:
                setattr(estimator, name, entry.kind.load(state[name], name, arrays, estimator))
            elif not entry.kind.optional:
                raise ValueError(f"the fitted state has no {name}")
            else:
                entry.kind.check_absent(name, estimator)
                if entry.start is not None:
                    setattr(estimator, name, entry.start(estimator, None))
        arrays.check_all_taken()
        estimator._start_fitted_state(None, [name for name in schema if name not in written])
        estimator._check_fitted_targets()
        return estimator

    def _check_fitted_targets(self):
        """Raise ValueError when the output layer does not fit the targets' state."""
        raise NotImplementedError
