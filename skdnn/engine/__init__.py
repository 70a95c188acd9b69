"""The engine of skdnn: the course's functions, general enough for every network and array library.

Layout: examples are columns, ``X`` of shape ``(n_x, m)``; parameters are a
dict ``{"W1", "b1", ..., "WL", "bL"}`` with ``Wl`` of shape
``(n_l, n_{l-1})`` and ``bl`` of shape ``(n_l, 1)``.

This package imports NumPy only (and ``array_api_compat`` for arrays of
other libraries: every function computes in the namespace of its inputs, see
:mod:`skdnn.engine.namespace`). The course's names (``relu``,
``L_model_forward``, ``L_layer_model``, ...) are the public face of the same
code that :class:`skdnn.LLayerClassifier` trains with.
"""

from .activations import (ACTIVATIONS, LEAKY_RELU_SLOPE, OUTPUT_ACTIVATIONS, relu,
                          relu_backward, sigmoid, sigmoid_backward, softmax)
from .batch_norm import (BATCH_NORM_EPSILON, BatchNormCache, batchnorm_backward,
                         batchnorm_forward, batchnorm_inference, fold_batch_norm,
                         initialize_running_stats, update_running_average,
                         update_running_stats)
from .gradient_check import gradient_check
from .initializers import (INITIALIZERS, initialize_network, initialize_parameters,
                           initialize_parameters_deep)
from .losses import LOSS_OF_OUTPUT, LOSSES, compute_cost, output_delta
from .models import L_layer_model, predict, two_layer_model
from .namespace import (convert_state, device, get_namespace, is_numpy, move_like, numpy_dtype,
                        take_rows, to_device, to_numpy)
from .optimizers import OPTIMIZERS, Adam, GradientDescent, Momentum, cast_state, update_parameters
from .layers import (linear_activation_backward, linear_activation_forward, linear_backward,
                     linear_batchnorm_activation_backward, linear_batchnorm_activation_forward,
                     linear_forward)
from .propagation import (L_model_backward, L_model_forward, backward_propagation,
                          forward_propagation, n_layers)
from .training import draw_dropout_masks, loss_and_gradients, mini_batches, train_epoch
from .workspace import NullWorkspace, Workspace, workspace_for

__all__ = [
    "ACTIVATIONS",
    "BATCH_NORM_EPSILON",
    "INITIALIZERS",
    "LEAKY_RELU_SLOPE",
    "LOSSES",
    "LOSS_OF_OUTPUT",
    "OPTIMIZERS",
    "OUTPUT_ACTIVATIONS",
    "Adam",
    "BatchNormCache",
    "GradientDescent",
    "L_layer_model",
    "L_model_backward",
    "L_model_forward",
    "Momentum",
    "NullWorkspace",
    "Workspace",
    "backward_propagation",
    "batchnorm_backward",
    "batchnorm_forward",
    "batchnorm_inference",
    "cast_state",
    "compute_cost",
    "convert_state",
    "device",
    "draw_dropout_masks",
    "fold_batch_norm",
    "forward_propagation",
    "get_namespace",
    "gradient_check",
    "initialize_network",
    "initialize_parameters",
    "initialize_parameters_deep",
    "initialize_running_stats",
    "is_numpy",
    "linear_activation_backward",
    "linear_activation_forward",
    "linear_backward",
    "linear_batchnorm_activation_backward",
    "linear_batchnorm_activation_forward",
    "linear_forward",
    "loss_and_gradients",
    "mini_batches",
    "move_like",
    "n_layers",
    "numpy_dtype",
    "output_delta",
    "predict",
    "relu",
    "relu_backward",
    "sigmoid",
    "sigmoid_backward",
    "softmax",
    "take_rows",
    "to_device",
    "to_numpy",
    "train_epoch",
    "two_layer_model",
    "update_parameters",
    "update_running_average",
    "update_running_stats",
    "workspace_for",
]
