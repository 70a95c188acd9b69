"""The entries of the fitted-state table: what a new model starts from, how it moves.

Each fitted attribute is one :class:`Fitted` entry of
``FittedStateMixin._fitted_schema`` (:mod:`skdnn._model_files.schema`): its kind
(how a model file holds it), its ``start`` (the value a new model starts
from) and its ``move`` (how its arrays go to another namespace, device or
dtype). :class:`FittedEntriesMixin` reads the table to start a model, move
it, and snapshot and restore it (a failed fit's rollback), so that adding a
fitted attribute is one entry.
"""

import copy
from typing import Any, Callable, NamedTuple, Optional

from .. import engine

__all__ = ["FitStart", "Fitted", "FittedEntriesMixin", "held_out", "move_network",
           "move_optimizer", "new_network", "new_running_stats", "settings_activations",
           "starts_at"]


class FitStart(NamedTuple):
    """What a new model starts from, handed to each entry's ``start``.

    Attributes
    ----------
    layer_sizes : tuple of int
        ``(n_features, *hidden_layer_sizes, n_outputs)``.
    out_activation : str
        The output layer's activation.
    dtype : numpy.dtype
        The parameters' dtype (``X``'s, on the host).
    random_state : numpy.random.RandomState
        The generator of the whole fit: initialisation, then shuffling and dropout.
    validating : bool
        Whether the fit scores a validation set each epoch (held out by
        ``early_stopping``, or ``X_val`` given to fit).
    """

    layer_sizes: tuple
    out_activation: str
    dtype: Any
    random_state: Any
    validating: bool = False


class Fitted(NamedTuple):
    """One fitted attribute of ``_fitted_schema``.

    Attributes
    ----------
    kind : object or None
        How a model file holds it: ``dump`` and ``load`` (one of the kinds of
        :mod:`skdnn._model_files.schema`). ``None``: not written to model files; a
        loaded model starts it from its ``start``, after the written ones.
    start : callable or None
        ``start(estimator, fit_start)`` gives the value a new model starts
        from (``fit_start`` a :class:`FitStart`, or ``None`` for an entry that
        needs none); it may read the entries above it. ``None``: set while
        the data are checked and encoded (``validate_data``, the estimator's
        ``_encode_targets``).
    move : callable or None
        ``move(value, convert)`` gives the value with each of its arrays
        converted (to another namespace, device or dtype); ``None``: the value
        stays on the host.
    network : bool
        Whether it is part of the function the model predicts with (the
        parameters, batch norm's running statistics): what early stopping
        keeps of its best epoch.
    """

    kind: Any
    start: Optional[Callable] = None
    move: Optional[Callable] = None
    network: bool = False


def starts_at(value):
    """A ``start`` giving a fresh copy of ``value`` (a list is never shared between fits)."""
    return lambda estimator, fit_start: copy.copy(value)


def held_out(value):
    """A ``start`` giving ``value`` where the fit scores a validation set, else None.

    ``fit_start`` ``None`` is a continued fit that starts scoring one
    (:func:`skdnn._estimators.same_model.follow_settings`).
    """
    def start(estimator, fit_start):
        validating = fit_start is None or fit_start.validating
        return copy.copy(value) if validating else None
    return start


def settings_activations(estimator, fit_start):
    """The ``start`` of ``_hidden_activations``: the hidden activations the settings ask for."""
    return estimator._hidden_setting(estimator.activation, "activation",
                                     estimator.n_layers_ - 2)


def new_network(estimator, fit_start):
    """The ``start`` of ``parameters_``: the network drawn by ``init`` from the fit's generator."""
    return engine.initialize_network(list(fit_start.layer_sizes), estimator.init,
                                     fit_start.random_state, fit_start.dtype,
                                     batch_norm=estimator._batch_norm_layers())


def new_running_stats(estimator, fit_start):
    """The ``start`` of ``running_stats_``: none seen yet, for the layers of ``parameters_``.

    Needs no ``fit_start``: a model file from before batch normalisation
    starts it too.
    """
    return engine.initialize_running_stats(estimator.parameters_)


def move_array(array, convert):
    """The ``move`` of an array beside the network (the regressor's target scale)."""
    return convert(array)


def move_network(parameters, convert):
    """The ``move`` of ``parameters_``: a new dict of the converted arrays."""
    return {name: convert(array) for name, array in parameters.items()}


def move_optimizer(optimizer, convert):
    """The ``move`` of ``_optimizer``: its per-parameter state converted, in place."""
    engine.convert_state(optimizer, convert)
    return optimizer


class FittedEntriesMixin:
    """Start, move, snapshot and restore the fitted state by ``_fitted_schema``'s entries.

    A fit's rollback (and whatever owns a fit's lifecycle) takes
    :meth:`_snapshot_fitted_state` before the fit and gives it to
    :meth:`_restore_fitted_state` when the fit fails; the names alone are
    :meth:`_fitted_attribute_names`.
    """

    _fitted_schema = {}

    @classmethod
    def _fitted_attribute_names(cls):
        """The names of every fitted attribute, in the table's order.

        Returns
        -------
        names : tuple of str
        """
        return tuple(cls._fitted_schema)

    def _start_fitted_state(self, fit_start, names=None):
        """Set the attributes of a new model from their entries' ``start``.

        Parameters
        ----------
        fit_start : FitStart or None
            ``None`` only with ``names`` whose entries need none.
        names : iterable of str, default=None
            The attributes to (re)start; all those the table starts by default.
        """
        for name in self._fitted_schema if names is None else names:
            start = self._fitted_schema[name].start
            if start is not None:
                setattr(self, name, start(self, fit_start))

    def _move_fitted_state(self, convert):
        """Convert, in place, every array of the fitted state that may leave the host.

        Parameters
        ----------
        convert : callable
            Takes one array and returns it moved (or cast).
        """
        for name, entry in self._fitted_schema.items():
            if entry.move is not None and hasattr(self, name):
                setattr(self, name, entry.move(getattr(self, name), convert))

    def _snapshot_fitted_state(self):
        """A deep copy of the fitted attributes present now (none: an unfitted estimator).

        Returns
        -------
        snapshot : dict
            Attribute name to its copied value; give it to
            :meth:`_restore_fitted_state` to put this state back.
        """
        return copy.deepcopy({name: getattr(self, name) for name in self._fitted_schema
                              if hasattr(self, name)})

    def _snapshot_network(self):
        """A deep copy of the entries marked ``network``: the function the model predicts with.

        Returns
        -------
        snapshot : dict
            Give it to :meth:`_restore_network` to predict as now again.
        """
        return copy.deepcopy({name: getattr(self, name)
                              for name, entry in self._fitted_schema.items() if entry.network})

    def _restore_network(self, snapshot):
        """Put back the network of :meth:`_snapshot_network` (the other fitted state stays).

        Parameters
        ----------
        snapshot : dict
            As returned by :meth:`_snapshot_network`; owned by the estimator afterwards.
        """
        for name, value in snapshot.items():
            setattr(self, name, value)

    def _restore_fitted_state(self, snapshot):
        """Put back the state of :meth:`_snapshot_fitted_state`: the others are removed.

        Parameters
        ----------
        snapshot : dict
            As returned by :meth:`_snapshot_fitted_state`; owned by the estimator afterwards.
        """
        for name in self._fitted_schema:
            if hasattr(self, name):
                delattr(self, name)
        for name, value in snapshot.items():
            setattr(self, name, value)
