"""Learning-rate schedules: the step size of each epoch, and the adaptive schedule's division.

skdnn's ``learning_rate`` is the step size (scikit-learn's ``learning_rate_init``)
and ``decay_rate`` its inverse-time decay per epoch, the course's schedule;
``schedule`` adds scikit-learn's ``"invscaling"`` and ``"adaptive"`` on top.
Free of estimators: the training loop passes the counters it keeps.
"""

SCHEDULES = ("constant", "invscaling", "adaptive")
"""tuple of str: the values of the estimators' ``schedule`` parameter."""

ADAPTIVE_DIVISOR = 5.0
"""float: what ``"adaptive"`` divides the step size by when the loss stalls (scikit-learn's)."""

SMALLEST_ADAPTIVE_RATE = 1e-6
"""float: at or below this step size ``"adaptive"`` stops dividing (scikit-learn's)."""


def epoch_learning_rate(learning_rate, decay_rate, schedule, power_t, n_epochs, n_samples_seen,
                        n_divisions, decay_interval=1):
    """The step size of the next epoch.

    ``learning_rate / (1 + decay_rate * (n_epochs // decay_interval))`` (course
    2's staircase ``schedule_lr_decay``; every epoch with the default 1), then for ``"invscaling"``
    divided by ``(n_samples_seen + 1) ** power_t`` (scikit-learn's
    ``SGDOptimizer``, whose ``t`` counts the samples seen before the epoch)
    and for ``"adaptive"`` by ``5 ** n_divisions``.

    Parameters
    ----------
    learning_rate : float
        The initial step size.
    decay_rate : float
        Inverse-time decay per epoch.
    schedule : {"constant", "invscaling", "adaptive"}
    power_t : float
        The exponent of ``"invscaling"``.
    n_epochs : int
        Epochs run before this one.
    n_samples_seen : int
        Training samples seen before this epoch.
    n_divisions : int
        How many times ``"adaptive"`` has divided the step size.
    decay_interval : int, default=1
        Epochs per decay step.

    Returns
    -------
    learning_rate : float
    """
    rate = learning_rate / (1 + decay_rate * (n_epochs // decay_interval))
    if schedule == "invscaling":
        # In floats: an int power_t would make an exact integer power, unbounded in size.
        rate /= (n_samples_seen + 1) ** float(power_t)
    elif schedule == "adaptive":
        rate /= ADAPTIVE_DIVISOR ** n_divisions
    return rate


def adaptive_divides(schedule, current_rate):
    """Whether a stalled loss divides the step size rather than stops (or goes on).

    Parameters
    ----------
    schedule : {"constant", "invscaling", "adaptive"}
    current_rate : float
        The step size of the epoch that just ended.

    Returns
    -------
    bool
        True for ``"adaptive"`` while the step size is above 1e-6.
    """
    return schedule == "adaptive" and current_rate > SMALLEST_ADAPTIVE_RATE
