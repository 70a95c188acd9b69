"""Export skdnn's estimators to ONNX with skl2onnx.

Importing this module registers converters for :class:`~skdnn.LLayerClassifier`
and :class:`~skdnn.LLayerRegressor` with skl2onnx, so that
``skl2onnx.to_onnx(estimator, X[:1])`` converts them, alone or inside a
:class:`~sklearn.pipeline.Pipeline`::

    import skdnn.onnx  # noqa: F401  (registers the converters)
    from skl2onnx import to_onnx

    onx = to_onnx(clf, X[:1].astype(np.float32))

``import skdnn`` alone never imports skl2onnx: only this module needs it
(``pip install skdnn[onnx]``).

The graph is the network's forward pass, ``MatMul``, ``Add`` and the layer's
activation for every layer, in the input's float type: float32, or float64
when the sample ``X`` passed to ``to_onnx`` is float64 (any other input type
is cast to float32). A batch-normalised layer is exported as the plain
layer that it is at prediction: its running statistics folded into ``W`` and
``b`` (``coefs_``, ``intercepts_``; :func:`skdnn.engine.fold_batch_norm`).
The outputs follow skl2onnx's conventions for scikit-learn's classifiers and
regressors:

- classifier: ``label`` (``predict``'s labels; for multilabel, the 0/1
  indicator rows) and ``probabilities`` (``predict_proba``), through
  skl2onnx's ``ZipMap`` unless ``options={"zipmap": False}``; with
  ``options={"nocl": True}`` the labels are the class indices.
- regressor: ``variable`` of shape ``(n_samples, n_outputs_)``, so (n_samples, 1)
  for a single output, as for scikit-learn's regressors; with ``normalize_y``
  the graph maps the network's output back to the target's units (``Mul`` by
  ``y_scale_``, ``Add`` of ``y_offset_``).
"""

import numpy as np

try:
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import Int64TensorType, guess_proto_type
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )
    from skl2onnx.common.utils_classifier import get_label_classes
    from skl2onnx.proto import onnx_proto
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("skdnn.onnx needs skl2onnx: pip install skdnn[onnx] "
                      "(or pip install skl2onnx onnxruntime).") from exc

from ._estimators.classifier import LLayerClassifier
from ._estimators.regressor import LLayerRegressor
from .engine import LEAKY_RELU_SLOPE
from .engine.activations import (ELU_ALPHA, GELU_CUBIC, GELU_SATURATION, SELU_ALPHA,
                                 SELU_SCALE)

__all__ = [
    "convert_llayer_classifier",
    "convert_llayer_regressor",
    "llayer_classifier_output_shapes",
    "llayer_regressor_output_shapes",
    "register_converters",
]

_CLASSIFIER_ALIAS = "SkdnnLLayerClassifier"
_REGRESSOR_ALIAS = "SkdnnLLayerRegressor"

# skdnn's activation name -> ONNX operator and its attributes. The others are
# built from elementary operators by _ONNX_BUILDERS (below), as skdnn computes
# them: onnxruntime has no float64 LeakyRelu, Elu, Selu or Softplus, and ONNX's
# Gelu is recent (opset 20).
_ONNX_ACTIVATIONS = {
    "relu": ("Relu", {}),
    "tanh": ("Tanh", {}),
    "sigmoid": ("Sigmoid", {}),
    "identity": (None, {}),
    "softmax": ("Softmax", {"axis": 1}),
    "exp": ("Exp", {}),  # the Poisson regressor's output
}

_NUMPY_DTYPES = {onnx_proto.TensorProto.FLOAT: np.float32,
                 onnx_proto.TensorProto.DOUBLE: np.float64}


def _is_multilabel(est):
    return est.out_activation_ == "sigmoid" and est.n_outputs_ > 1


def _layer_activations(est):
    """The activation of every layer, hidden ones first, then the output's."""
    n_hidden = len(est.coefs_) - 1
    hidden = est.activation
    hidden = [hidden] * n_hidden if isinstance(hidden, str) else list(hidden)
    if len(hidden) != n_hidden:
        raise ValueError(f"activation={est.activation!r} has {len(hidden)} entries for "
                         f"{n_hidden} hidden layers.")
    activations = [*hidden, est.out_activation_]
    unknown = sorted(set(activations) - _ACTIVATION_NAMES)
    if unknown:
        raise ValueError(f"No ONNX operator for the activations {unknown}.")
    return activations


def _graph_dtype(operator):
    """The float type of the graph: the input's if it is float64, else float32."""
    proto = guess_proto_type(operator.inputs[0].type)
    return proto if proto == onnx_proto.TensorProto.DOUBLE else onnx_proto.TensorProto.FLOAT


def _add_constant(scope, container, hint, proto_dtype, values):
    name = scope.get_unique_variable_name(hint)
    values = np.asarray(values)
    container.add_initializer(name, proto_dtype, list(values.shape), values.ravel())
    return name


def _scalar(scope, container, hint, proto_dtype, value):
    return _add_constant(scope, container, hint, proto_dtype,
                         np.array(value, dtype=_NUMPY_DTYPES[proto_dtype]))


def _add_node(scope, container, op_type, inputs, hint, **attrs):
    output = scope.get_unique_variable_name(hint)
    container.add_node(op_type, inputs, output, name=scope.get_unique_operator_name(op_type),
                       **attrs)
    return output


def _forward_pass(scope, operator, container):
    """Add the network's forward pass; return the output layer's variable name."""
    est = operator.raw_operator
    proto_dtype = _graph_dtype(operator)
    dtype = _NUMPY_DTYPES[proto_dtype]
    A = operator.inputs[0].full_name
    if guess_proto_type(operator.inputs[0].type) != proto_dtype:
        A = _add_node(scope, container, "Cast", [A], "cast_input", to=proto_dtype)
    for W, b, activation in zip(est.coefs_, est.intercepts_, _layer_activations(est)):
        W_name = _add_constant(scope, container, "W", proto_dtype, W.astype(dtype))
        b_name = _add_constant(scope, container, "b", proto_dtype, b.astype(dtype)[None, :])
        Z = _add_node(scope, container, "MatMul", [A, W_name], "Z")
        Z = _add_node(scope, container, "Add", [Z, b_name], "Z")
        A = _activate(scope, container, Z, activation, proto_dtype)
    return A


def _leaky_relu_nodes(scope, container, Z, proto_dtype):
    """``max(Z, slope * Z)``."""
    slope = _scalar(scope, container, "slope", proto_dtype, LEAKY_RELU_SLOPE)
    scaled = _add_node(scope, container, "Mul", [Z, slope], "slope_Z")
    return _add_node(scope, container, "Max", [Z, scaled], "A")


def _elu_like_nodes(scope, container, Z, proto_dtype, alpha, scale):
    """``scale * (max(Z, 0) + alpha * (exp(min(Z, 0)) - 1))``."""
    zero = _scalar(scope, container, "zero", proto_dtype, 0.0)
    positive = _add_node(scope, container, "Max", [Z, zero], "positive_Z")
    negative = _add_node(scope, container, "Min", [Z, zero], "negative_Z")
    exp_minus_one = _add_node(scope, container, "Sub", [
        _add_node(scope, container, "Exp", [negative], "exp_Z"),
        _scalar(scope, container, "one", proto_dtype, 1.0)], "expm1_Z")
    below = _add_node(scope, container, "Mul", [
        exp_minus_one, _scalar(scope, container, "alpha", proto_dtype, alpha)], "below")
    A = _add_node(scope, container, "Add", [positive, below], "A")
    if scale == 1.0:
        return A
    return _add_node(scope, container, "Mul", [
        A, _scalar(scope, container, "scale", proto_dtype, scale)], "A")


def _elu_nodes(scope, container, Z, proto_dtype):
    return _elu_like_nodes(scope, container, Z, proto_dtype, ELU_ALPHA, 1.0)


def _selu_nodes(scope, container, Z, proto_dtype):
    return _elu_like_nodes(scope, container, Z, proto_dtype, SELU_ALPHA, SELU_SCALE)


def _gelu_nodes(scope, container, Z, proto_dtype):
    """``Z * sigmoid(2 sqrt(2/pi) (Zc + 0.044715 Zc^3))``, ``Zc`` = ``Z`` clipped as in skdnn."""
    def scalar(hint, value):
        return _scalar(scope, container, hint, proto_dtype, value)

    Z_clipped = _add_node(scope, container, "Min", [
        _add_node(scope, container, "Max", [Z, scalar("low", -GELU_SATURATION)], "Z_clipped"),
        scalar("high", GELU_SATURATION)], "Z_clipped")
    square = _add_node(scope, container, "Mul", [Z_clipped, Z_clipped], "Z_square")
    cube = _add_node(scope, container, "Mul", [square, Z_clipped], "Z_cube")
    cubic = _add_node(scope, container, "Mul", [cube, scalar("cubic", GELU_CUBIC)], "cubic")
    inner = _add_node(scope, container, "Add", [Z_clipped, cubic], "inner")
    two_u = _add_node(scope, container, "Mul", [inner, scalar("two_c", 2 * np.sqrt(2 / np.pi))],
                      "two_u")
    gate = _add_node(scope, container, "Sigmoid", [two_u], "gate")
    return _add_node(scope, container, "Mul", [Z, gate], "A")


def _silu_nodes(scope, container, Z, proto_dtype):
    """``Z * sigmoid(Z)``."""
    gate = _add_node(scope, container, "Sigmoid", [Z], "gate")
    return _add_node(scope, container, "Mul", [Z, gate], "A")


def _softplus_nodes(scope, container, Z, proto_dtype):
    """``max(Z, 0) + log(1 + exp(-|Z|))``."""
    positive = _add_node(scope, container, "Max", [
        Z, _scalar(scope, container, "zero", proto_dtype, 0.0)], "positive_Z")
    minus_abs = _add_node(scope, container, "Neg", [
        _add_node(scope, container, "Abs", [Z], "abs_Z")], "minus_abs_Z")
    one_plus = _add_node(scope, container, "Add", [
        _add_node(scope, container, "Exp", [minus_abs], "exp_Z"),
        _scalar(scope, container, "one", proto_dtype, 1.0)], "one_plus")
    log = _add_node(scope, container, "Log", [one_plus], "log1p")
    return _add_node(scope, container, "Add", [positive, log], "A")


# skdnn's activation name -> a function that adds its nodes and returns A's name.
# An activation of one's own needs an entry here to be exported.
_ONNX_BUILDERS = {
    "leaky_relu": _leaky_relu_nodes,
    "elu": _elu_nodes,
    "selu": _selu_nodes,
    "gelu": _gelu_nodes,
    "silu": _silu_nodes,
    "softplus": _softplus_nodes,
}
_ACTIVATION_NAMES = {*_ONNX_ACTIVATIONS, *_ONNX_BUILDERS}


def _activate(scope, container, Z, activation, proto_dtype):
    if activation in _ONNX_BUILDERS:
        return _ONNX_BUILDERS[activation](scope, container, Z, proto_dtype)
    op_type, attrs = _ONNX_ACTIVATIONS[activation]
    return Z if op_type is None else _add_node(scope, container, op_type, [Z], "A", **attrs)


def _label_constants(scope, est):
    """The class labels as an ONNX tensor type and values (class indices with ``nocl``)."""
    classes = np.asarray(get_label_classes(scope, est))
    # Float labels are whole numbers (scikit-learn refuses others as continuous);
    # like skl2onnx for scikit-learn's classifiers, numeric labels become int64.
    if classes.dtype.kind in "biuf":
        return onnx_proto.TensorProto.INT64, classes.astype(np.int64)
    return onnx_proto.TensorProto.STRING, np.array([str(c).encode("utf-8") for c in classes])


def _above_half(scope, container, P, proto_dtype):
    """``P > 0.5``: ``predict``'s rule for a sigmoid output (LabelBinarizer's threshold)."""
    half = _scalar(scope, container, "half", proto_dtype, 0.5)
    return _add_node(scope, container, "Greater", [P, half], "above_half")


def convert_llayer_classifier(scope, operator, container):
    """skl2onnx converter of :class:`~skdnn.LLayerClassifier`.

    Writes ``operator.outputs[0]`` (the labels, as ``predict``) and
    ``operator.outputs[1]`` (the probabilities, as ``predict_proba``). Labels
    use the same rule as ``predict``: probability above 0.5 for binary and
    multilabel outputs, the first largest probability for multiclass.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        Gives unique names and the conversion options.
    operator : skl2onnx.common._topology.Operator
        Holds the fitted estimator as ``raw_operator``, its input and outputs.
    container : skl2onnx.common._container.ModelComponentContainer
        Receives the nodes and initializers.
    """
    est = operator.raw_operator
    proto_dtype = _graph_dtype(operator)
    label_name, proba_name = operator.outputs[0].full_name, operator.outputs[1].full_name
    P = _forward_pass(scope, operator, container)
    if _is_multilabel(est):
        container.add_node("Identity", [P], proba_name, name=scope.get_unique_operator_name("Id"))
        above = _above_half(scope, container, P, proto_dtype)
        container.add_node("Cast", [above], label_name, to=onnx_proto.TensorProto.INT64,
                           name=scope.get_unique_operator_name("Cast"))
        return
    if est.out_activation_ == "sigmoid":
        negative = _add_node(scope, container, "Sub",
                             [_scalar(scope, container, "one", proto_dtype, 1.0), P],
                             "negative_proba")
        container.add_node("Concat", [negative, P], proba_name, axis=1,
                           name=scope.get_unique_operator_name("Concat"))
        above = _above_half(scope, container, P, proto_dtype)
        index = _add_node(scope, container, "Cast", [above], "index",
                          to=onnx_proto.TensorProto.INT64)
        flat = _add_constant(scope, container, "flat", onnx_proto.TensorProto.INT64, [-1])
        index = _add_node(scope, container, "Reshape", [index, flat], "index")
    else:
        container.add_node("Identity", [P], proba_name, name=scope.get_unique_operator_name("Id"))
        index = _add_node(scope, container, "ArgMax", [P], "index", axis=1, keepdims=0)
    label_type, labels = _label_constants(scope, est)
    classes = _add_constant(scope, container, "classes", label_type, labels)
    container.add_node("Gather", [classes, index], label_name, axis=0,
                       name=scope.get_unique_operator_name("Gather"))


def convert_llayer_regressor(scope, operator, container):
    """skl2onnx converter of :class:`~skdnn.LLayerRegressor`.

    Writes ``operator.outputs[0]``, the predictions of shape
    ``(n_samples, n_outputs_)``; with ``normalize_y``, the network's output
    times ``y_scale_`` plus ``y_offset_``, as ``predict`` computes them.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        Gives unique names.
    operator : skl2onnx.common._topology.Operator
        Holds the fitted estimator as ``raw_operator``, its input and output.
    container : skl2onnx.common._container.ModelComponentContainer
        Receives the nodes and initializers.
    """
    est = operator.raw_operator
    Y = _forward_pass(scope, operator, container)
    if hasattr(est, "y_scale_"):  # normalize_y: the network predicts the standardised target
        proto_dtype = _graph_dtype(operator)
        dtype = _NUMPY_DTYPES[proto_dtype]
        scale = _add_constant(scope, container, "y_scale", proto_dtype,
                              est.y_scale_.astype(dtype)[None, :])
        offset = _add_constant(scope, container, "y_offset", proto_dtype,
                               est.y_offset_.astype(dtype)[None, :])
        Y = _add_node(scope, container, "Mul", [Y, scale], "scaled_Y")
        Y = _add_node(scope, container, "Add", [Y, offset], "Y")
    container.add_node("Identity", [Y], operator.outputs[0].full_name,
                       name=scope.get_unique_operator_name("Id"))


def llayer_classifier_output_shapes(operator):
    """skl2onnx shape calculator of :class:`~skdnn.LLayerClassifier`.

    scikit-learn's linear-classifier shapes, with labels of shape
    (n_samples, n_labels) for a multilabel model.

    Parameters
    ----------
    operator : skl2onnx.common._topology.Operator
        Its output types are set in place.
    """
    calculate_linear_classifier_output_shapes(operator)
    est = operator.raw_operator
    if _is_multilabel(est):
        n_samples = operator.inputs[0].get_first_dimension()
        operator.outputs[0].set_type(Int64TensorType([n_samples, est.n_outputs_]))


def llayer_regressor_output_shapes(operator):
    """skl2onnx shape calculator of :class:`~skdnn.LLayerRegressor`.

    Output of shape ``(n_samples, n_outputs_)``, in the graph's float type.

    Parameters
    ----------
    operator : skl2onnx.common._topology.Operator
        Its output type is set in place.
    """
    calculate_linear_regressor_output_shapes(operator)
    est = operator.raw_operator
    n_samples = operator.inputs[0].get_first_dimension()
    # The helper has chosen the float type; only the number of outputs differs.
    operator.outputs[0].set_type(operator.outputs[0].type.__class__([n_samples, est.n_outputs_]))


def register_converters():
    """Register skdnn's converters with skl2onnx (done on ``import skdnn.onnx``).

    Call it again only if something else registered other converters for
    skdnn's estimators since.
    """
    update_registered_converter(
        LLayerClassifier, _CLASSIFIER_ALIAS, llayer_classifier_output_shapes,
        convert_llayer_classifier,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False]})
    update_registered_converter(
        LLayerRegressor, _REGRESSOR_ALIAS, llayer_regressor_output_shapes,
        convert_llayer_regressor)


register_converters()
