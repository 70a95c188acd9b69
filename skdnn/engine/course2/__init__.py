"""Course 2, "Improving Deep Neural Networks", function by function.

One module per notebook, each with the notebook's graded functions (names,
signatures, printed figures) and the helpers its models use
(``forward_propagation``, ``backward_propagation``, ``predict``, ``model``,
...), written over the engine's general forms:

- :mod:`~skdnn.engine.course2.initialization`
- :mod:`~skdnn.engine.course2.regularization`
- :mod:`~skdnn.engine.course2.gradient_checking` (its ``gradient_check`` is the
  notebook's 1-D check; :func:`skdnn.engine.gradient_check` is the engine's)
- :mod:`~skdnn.engine.course2.optimization`

The graded functions are also importable from this package, except the 1-D
``gradient_check``, which stays in its module so as not to shadow the engine's.
"""

from . import gradient_checking, initialization, optimization, regularization
from .gradient_checking import (dictionary_to_vector, gradient_check_n, gradients_to_vector,
                                vector_to_dictionary)
from .initialization import (initialize_parameters_he, initialize_parameters_random,
                             initialize_parameters_zeros)
from .optimization import (initialize_adam, initialize_velocity, random_mini_batches,
                           schedule_lr_decay, update_lr, update_parameters_with_adam,
                           update_parameters_with_gd, update_parameters_with_momentum)
from .regularization import (backward_propagation_with_dropout,
                             backward_propagation_with_regularization,
                             compute_cost_with_regularization, forward_propagation_with_dropout)

__all__ = [
    "backward_propagation_with_dropout",
    "backward_propagation_with_regularization",
    "compute_cost_with_regularization",
    "dictionary_to_vector",
    "forward_propagation_with_dropout",
    "gradient_check_n",
    "gradient_checking",
    "gradients_to_vector",
    "initialization",
    "initialize_adam",
    "initialize_parameters_he",
    "initialize_parameters_random",
    "initialize_parameters_zeros",
    "initialize_velocity",
    "optimization",
    "random_mini_batches",
    "regularization",
    "schedule_lr_decay",
    "update_lr",
    "update_parameters_with_adam",
    "update_parameters_with_gd",
    "update_parameters_with_momentum",
    "vector_to_dictionary",
]
