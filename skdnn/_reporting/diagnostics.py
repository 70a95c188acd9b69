"""What went wrong in a fit that returned: the symptoms of a useless model, said once.

A fit whose loss stays finite can still end with a model that is no better
than a constant: exploded weights, dead ReLU layers, a saturated output. These
checks run once at the end of ``fit``, on the loss curve and on one forward
pass over at most :data:`PROBE_ROWS` training examples, so their cost does not
grow with the number of epochs or of examples.
"""

import numpy as np

from .. import engine

PROBE_ROWS = 1000
"""int: the most training examples the end-of-fit forward pass looks at."""

SYMMETRIC_WEIGHTS = (
    "init='zeros' gives every unit of a layer the same weights: they get the same "
    "gradients and stay identical (with ReLU hidden layers no weight moves at all), so the "
    "network cannot learn more than a single unit would (course 2's Initialization "
    "notebook). Use init='he' or 'xavier'.")
"""str: the warning of a fit that starts from ``init="zeros"``, said before it trains."""

# "No better than a constant" leaves a margin of 1%: a model that barely
# beats the best constant output has learnt nothing worth keeping either.
_CONSTANT_MARGIN = 0.99
# A model whose outputs miss by 5% of the targets' size (their root mean
# square, at least 1) fits them: "no better than a constant" never applies to
# it, so that a constant target, which a constant fits with loss 0, does not
# warn on a model that fits it.
_FIT_RELATIVE_ERROR = 0.05
# The loss "rose far above where it started" past this factor.
_RISE_FACTOR = 10.0


def constant_loss(Y, out_activation, sample_weight=None):
    """Cost of the best constant output: the (weighted) mean target, for every loss.

    Parameters
    ----------
    Y : ndarray of shape (n_outputs, m)
        Targets, course layout.
    out_activation : str
        The output activation, which names the loss.
    sample_weight : ndarray of shape (m,), default=None

    Returns
    -------
    cost : float
    """
    loss = engine.LOSSES[engine.LOSS_OF_OUTPUT[out_activation]]
    mean = np.average(Y, axis=1, weights=sample_weight)[:, None]
    return float(np.average(loss.per_example(np.broadcast_to(mean, Y.shape), Y),
                            weights=sample_weight))


def fitted_loss(Y):
    """The squared-error loss of outputs that miss every target by 5% of the targets' size.

    Below it a model fits its targets, whatever the best constant does: the
    floor of "no better than a constant" for a target with little or no spread.

    Parameters
    ----------
    Y : ndarray of shape (n_outputs, m)
        Targets, course layout.

    Returns
    -------
    loss : float
    """
    size = max(float(np.sqrt(np.mean(np.square(Y)))), 1.0)
    return 0.5 * (_FIT_RELATIVE_ERROR * size) ** 2


def training_symptoms(loss_curve, X, Y, parameters, activations, sample_weight=None,
                      overflow_epochs=(), final_loss=None, running_stats=None):
    """The symptoms of a failed fit, as short sentences; empty when there are none.

    Parameters
    ----------
    loss_curve : list of float
        The losses of this fit's epochs.
    X : ndarray or sparse matrix of shape (n_x, m)
        The training inputs, course layout.
    Y : ndarray of shape (n_outputs, m)
        The training targets, course layout.
    parameters : dict
        The fitted network.
    activations : list of str
        One per layer.
    sample_weight : ndarray of shape (m,), default=None
    overflow_epochs : sequence of int, default=()
        The epochs in which a floating-point overflow or invalid operation happened.
    final_loss : float, default=None
        The training loss of the model returned, where that is not the last
        epoch's (the best model, kept after a divergence); ``None``: the last
        value of ``loss_curve``.
    running_stats : dict, default=None
        The running statistics of batch-normalised layers (what predict uses).

    Returns
    -------
    symptoms : list of str
    """
    symptoms = []
    if len(overflow_epochs):
        symptoms.append(f"floating-point overflow in {len(overflow_epochs)} epoch(s), first "
                        f"in epoch {overflow_epochs[0]}")
    if len(loss_curve) > 1 and max(loss_curve) > _RISE_FACTOR * loss_curve[0]:
        symptoms.append(f"the loss rose from {loss_curve[0]:.4g} to {max(loss_curve):.4g}")
    baseline = constant_loss(Y, activations[-1], sample_weight)
    if final_loss is None and loss_curve:
        final_loss = loss_curve[-1]
    if final_loss is not None and final_loss > max(_CONSTANT_MARGIN * baseline,
                                                   fitted_loss(Y)):
        symptoms.append(f"the final loss, {final_loss:.4g}, is no better than "
                        f"{baseline:.4g}, the loss of always predicting the mean target")
    columns = np.linspace(0, X.shape[1] - 1, min(X.shape[1], PROBE_ROWS)).astype(int)
    # The probe runs on the host whatever the array library: its rows and the
    # model are small next to the training.
    parameters = {k: engine.to_numpy(v) for k, v in parameters.items()}
    running_stats = {k: engine.to_numpy(v) for k, v in (running_stats or {}).items()}
    probe = engine.to_numpy(engine.take_rows(X.T, columns)).T
    AL, caches = engine.forward_propagation(probe, parameters, activations,
                                            running_stats=running_stats)
    # A layer's cache starts with its linear cache, (A_prev, W, b).
    dead = [l for l, cache in enumerate(caches[1:], start=1) if not np.any(cache[0][0])]
    if dead:
        symptoms.append(f"every unit of hidden layer(s) {dead} is inactive (outputs 0) on the "
                        "training data")
    targets = Y[:, columns]
    if np.ptp(targets, axis=1).any() and np.all(np.ptp(AL, axis=1) <= 1e-7 * np.abs(AL).max()):
        symptoms.append("the network's output is the same for every training example")
    return symptoms


def cures(is_regressor):
    """What usually mends a failed fit, as one sentence.

    Parameters
    ----------
    is_regressor : bool
        Whether to suggest scaling the target too (a regressor that does not
        standardise it).

    Returns
    -------
    advice : str
    """
    steps = ["scale X (StandardScaler in a Pipeline)"]
    if is_regressor:
        steps.append("scale y (normalize_y=True, or TransformedTargetRegressor with a "
                     "StandardScaler)")
    steps += ["lower learning_rate", "try the defaults' solver='adam' with batch_size='auto' "
              "and learning_rate=1e-3"]
    return "Usual cures: " + "; ".join(steps) + " (see the user guide, 'Choosing settings')."
