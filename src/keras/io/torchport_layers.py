"""torchport's custom Keras layers for Keras 3 (Python), with the same math as the TF.js layers
in torchport's src/keras/layers/ and its op-family modules (src/keras/builder/ops/).

torchport writes this file next to every model.h5 it saves. Load a model with either

    import torchport_layers                      # registers the layers (one line)
    model = keras.models.load_model("model.h5")

or, without the import side effect,

    from torchport_layers import CUSTOM_OBJECTS
    model = keras.models.load_model("model.h5", custom_objects=CUSTOM_OBJECTS)

Every layer is registered with keras.saving.register_keras_serializable(package="torchport"), so a
model saved from Keras as model.keras loads again after the import. Configs use the snake_case keys
TF.js writes into model.h5. Resize2D needs the TensorFlow backend (PyTorch's align_corners /
half-pixel sampling has no backend-neutral Keras op); everything else uses keras.ops only.
"""

import math
import re

import keras
from keras import ops

PACKAGE = "torchport"


def _register(cls):
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


def _positive_ints(values, what):
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, int) and v >= 1 for v in values):
        raise ValueError(f"{what} must be a list of positive integers, got {values!r}")
    return [int(v) for v in values]


# JSON has no Infinity / NaN: TF.js keeps those as strings in a layer config.
_SPECIAL_NUMBERS = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def _config_number(value):
    if value is None or isinstance(value, (int, float)):
        return value
    if value in _SPECIAL_NUMBERS:
        return _SPECIAL_NUMBERS[value]
    raise ValueError(f"expected a number, 'inf', '-inf', 'nan' or null, got {value!r}")


def _encode_number(value):
    if value is None or math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _snake_case(name):
    """TF.js writes enum values of a config snake_cased in model.h5 ("notEqual" -> "not_equal")."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() if isinstance(name, str) else name


@_register
class HardSigmoid(keras.layers.Layer):
    """relu6(x + 3) / 6, PyTorch's nn.Hardsigmoid (Keras's hard_sigmoid differs in TF 2.x)."""

    def call(self, x):
        return ops.divide(ops.relu6(ops.add(x, 3.0)), 6.0)


@_register
class HardSwish(keras.layers.Layer):
    """x * relu6(x + 3) / 6, PyTorch's nn.Hardswish."""

    def call(self, x):
        return ops.divide(ops.multiply(x, ops.relu6(ops.add(x, 3.0))), 6.0)


@_register
class GeluTanh(keras.layers.Layer):
    """PyTorch's GELU(approximate='tanh')."""

    def call(self, x):
        inner = ops.multiply(math.sqrt(2 / math.pi), ops.add(x, ops.multiply(0.044715, ops.power(x, 3.0))))
        return ops.multiply(ops.multiply(0.5, x), ops.add(1.0, ops.tanh(inner)))


@_register
class BatchMatMul(keras.layers.Layer):
    """a @ b over the trailing two axes, leading axes matched one to one."""

    def __init__(self, transpose_a=False, transpose_b=False, **kwargs):
        super().__init__(**kwargs)
        self.transpose_a = bool(transpose_a)
        self.transpose_b = bool(transpose_b)

    def call(self, inputs):
        a, b = inputs
        if self.transpose_a:
            a = ops.swapaxes(a, -1, -2)
        if self.transpose_b:
            b = ops.swapaxes(b, -1, -2)
        return ops.matmul(a, b)

    def get_config(self):
        return {**super().get_config(), "transpose_a": self.transpose_a, "transpose_b": self.transpose_b}


@_register
class BroadcastTo(keras.layers.Layer):
    """Broadcasts size-1 axes to a static shape (PyTorch's expand / expand_as)."""

    def __init__(self, shape, **kwargs):
        super().__init__(**kwargs)
        self.shape = _positive_ints(shape, "BroadcastTo shape")

    def call(self, x):
        # Multiplying by ones broadcasts exactly (x * 1 == x, signs and non-finite values kept).
        return ops.multiply(x, ops.ones([1, *self.shape], dtype=x.dtype))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.shape)

    def get_config(self):
        return {**super().get_config(), "shape": list(self.shape)}


_ARITHMETIC = {"add": ops.add, "sub": ops.subtract, "mul": ops.multiply, "div": ops.divide}


@_register
class ConstantArithmetic(keras.layers.Layer):
    """x (op) c or c (op) x with c a scalar from the config or the weight `value`."""

    def __init__(self, op, reversed=False, scalar=None, shape=None, **kwargs):
        super().__init__(**kwargs)
        # Keras's legacy .h5 loader turns a config string that names a Keras function ("add") into
        # that function before the layer sees it.
        op = getattr(op, "__name__", op)
        if op not in _ARITHMETIC:
            raise ValueError(f"ConstantArithmetic op must be one of {', '.join(_ARITHMETIC)}, got {op!r}")
        if (scalar is None) == (shape is None):
            raise ValueError("ConstantArithmetic needs exactly one of scalar and shape")
        self.op = op
        self.reversed = bool(reversed)
        self.scalar = scalar
        self.shape = None if shape is None else _positive_ints(shape, "ConstantArithmetic shape")

    def build(self, input_shape):
        if self.shape is not None:
            self.value = self.add_weight(name="value", shape=self.shape, initializer="zeros", trainable=True)

    def call(self, x):
        c = self.value if self.shape is not None else ops.convert_to_tensor(self.scalar, dtype=x.dtype)
        return _ARITHMETIC[self.op](c, x) if self.reversed else _ARITHMETIC[self.op](x, c)

    def get_config(self):
        return {**super().get_config(), "op": self.op, "reversed": self.reversed, "scalar": self.scalar, "shape": self.shape}


@_register
class ConstantPadding(keras.layers.Layer):
    """Pads the spatial axes of a channels-last tensor with a constant (max pooling's -inf stand-in)."""

    def __init__(self, padding, value, **kwargs):
        super().__init__(**kwargs)
        self.padding = [[int(a), int(b)] for a, b in padding]
        self.value = float(value)

    def call(self, x):
        return ops.pad(x, [[0, 0], *self.padding, [0, 0]], constant_values=self.value)

    def compute_output_shape(self, input_shape):
        spatial = [None if d is None else d + a + b for d, (a, b) in zip(input_shape[1:-1], self.padding)]
        return (input_shape[0], *spatial, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding], "value": self.value}


@_register
class ConstantTensor(keras.layers.Layer):
    """A constant (the weight `value`, leading axis 1) repeated over the batch of its input."""

    def __init__(self, shape, **kwargs):
        super().__init__(**kwargs)
        self.shape = _positive_ints(shape, "ConstantTensor shape")

    def build(self, input_shape):
        self.value = self.add_weight(name="value", shape=[1, *self.shape], initializer="zeros", trainable=True)

    def call(self, x):
        return ops.repeat(self.value, ops.shape(x)[0], axis=0)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.shape)

    def get_config(self):
        return {**super().get_config(), "shape": list(self.shape)}


@_register
class Gather(keras.layers.Layer):
    """x at constant indices along one non-batch axis (index_select)."""

    def __init__(self, axis, indices, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)
        self.indices = [int(i) for i in indices]

    def call(self, x):
        return ops.take(x, ops.convert_to_tensor(self.indices, dtype="int32"), axis=self.axis)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[self.axis] = len(self.indices)
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "indices": list(self.indices)}


@_register
class GroupedConv2D(keras.layers.Layer):
    """Conv2D with 1 < groups < channels, computed as TF.js does: one convolution per group, concatenated.

    Kernel (kh, kw, in_channels / groups, filters) and bias, as Keras's Conv2D(groups=...) stores them.
    """

    def __init__(self, filters, kernel_size, groups, strides=(1, 1), padding="valid", dilation_rate=(1, 1), use_bias=True, activation="linear", data_format="channels_last", **kwargs):
        super().__init__(**kwargs)
        if activation not in (None, "linear") or data_format not in (None, "channels_last"):
            raise ValueError("GroupedConv2D is channels-last without a fused activation")
        self.filters = int(filters)
        self.groups = int(groups)
        self.kernel_size = _pair(kernel_size)
        self.strides = _pair(strides)
        self.dilation_rate = _pair(dilation_rate)
        self.padding = padding
        self.use_bias = bool(use_bias)
        if self.filters % self.groups:
            raise ValueError(f"GroupedConv2D filters ({self.filters}) must be divisible by groups ({self.groups})")

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None or channels % self.groups:
            raise ValueError(f"GroupedConv2D '{self.name}': input channels ({channels}) must be known and divisible by groups ({self.groups})")
        self.kernel = self.add_weight(name="kernel", shape=(*self.kernel_size, channels // self.groups, self.filters), initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros") if self.use_bias else None

    def call(self, x):
        xs = ops.split(x, self.groups, axis=-1)
        ks = ops.split(self.kernel, self.groups, axis=-1)
        ys = [ops.conv(xg, kg, strides=self.strides, padding=self.padding, data_format="channels_last", dilation_rate=self.dilation_rate) for xg, kg in zip(xs, ks)]
        y = ys[0] if len(ys) == 1 else ops.concatenate(ys, axis=-1)
        return ops.add(y, self.bias) if self.bias is not None else y

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "groups": self.groups,
            "strides": list(self.strides),
            "padding": self.padding,
            "dilation_rate": list(self.dilation_rate),
            "use_bias": self.use_bias,
            "activation": "linear",
            "data_format": "channels_last",
        }


def _pair(value):
    pair = [value, value] if isinstance(value, int) else list(value)
    return tuple(_positive_ints(pair, "GroupedConv2D kernel_size / strides / dilation_rate"))


@_register
class LogSoftmax(keras.layers.Layer):
    """log(softmax(x)) over the last axis, computed stably."""

    def call(self, x):
        return ops.log_softmax(x, axis=-1)


_MATH = {
    "sqrt": ops.sqrt,
    "rsqrt": ops.rsqrt,
    "exp": ops.exp,
    "log": ops.log,
    "erf": ops.erf,
    "abs": ops.abs,
    # Toward zero, as PyTorch's .long(); the result stays float32.
    "trunc": lambda x: ops.cast(ops.cast(x, "int32"), "float32"),
}


@_register
class MathFunction(keras.layers.Layer):
    """sqrt, rsqrt, exp, log, erf, abs, trunc, or pow with a constant exponent."""

    def __init__(self, fn, exponent=None, **kwargs):
        super().__init__(**kwargs)
        if fn != "pow" and fn not in _MATH:
            raise ValueError(f"MathFunction fn must be one of {', '.join([*_MATH, 'pow'])}, got {fn!r}")
        if (fn == "pow") != isinstance(exponent, (int, float)):
            raise ValueError("MathFunction: an exponent is needed for 'pow' and only for it")
        self.fn = fn
        self.exponent = exponent

    def call(self, x):
        if self.fn != "pow":
            return _MATH[self.fn](x)
        return ops.multiply(x, x) if self.exponent == 2 else ops.power(x, float(self.exponent))

    def get_config(self):
        return {**super().get_config(), "fn": self.fn, "exponent": self.exponent}


@_register
class Clamp(keras.layers.Layer):
    """min(max(x, min), max), either bound optional (PyTorch's clamp)."""

    def __init__(self, min=None, max=None, **kwargs):
        super().__init__(**kwargs)
        if min is None and max is None:
            raise ValueError("Clamp needs at least one of min and max")
        self.min = min
        self.max = max

    def call(self, x):
        if self.min is not None:
            x = ops.maximum(x, float(self.min))
        if self.max is not None:
            x = ops.minimum(x, float(self.max))
        return x

    def get_config(self):
        return {**super().get_config(), "min": self.min, "max": self.max}


_REDUCE = {"mean": ops.mean, "sum": ops.sum, "max": ops.max}


@_register
class Reduce(keras.layers.Layer):
    """mean / sum / max over static non-batch axes."""

    def __init__(self, op, axes, keep_dims=False, **kwargs):
        super().__init__(**kwargs)
        if op not in _REDUCE:
            raise ValueError(f"Reduce op must be one of {', '.join(_REDUCE)}, got {op!r}")
        self.op = op
        self.axes = sorted(_positive_ints(axes, "Reduce axes"))
        self.keep_dims = bool(keep_dims)

    def call(self, x):
        return _REDUCE[self.op](x, axis=tuple(self.axes), keepdims=self.keep_dims)

    def get_config(self):
        return {**super().get_config(), "op": self.op, "axes": list(self.axes), "keep_dims": self.keep_dims}


@_register
class Resize2D(keras.layers.Layer):
    """Resizing with PyTorch's sampling rules (align_corners, half-pixel centers); TensorFlow backend only."""

    def __init__(self, size, method, align_corners=False, half_pixel_centers=False, **kwargs):
        super().__init__(**kwargs)
        if method not in ("bilinear", "nearest"):
            raise ValueError(f"Resize2D method must be 'bilinear' or 'nearest', got {method!r}")
        self.size = _positive_ints(size, "Resize2D size")
        self.method = method
        self.align_corners = bool(align_corners)
        self.half_pixel_centers = bool(half_pixel_centers)

    def call(self, x):
        import tensorflow as tf  # noqa: PLC0415 (the flags exist only in TensorFlow's raw ops)

        resize = tf.raw_ops.ResizeBilinear if self.method == "bilinear" else tf.raw_ops.ResizeNearestNeighbor
        return resize(images=x, size=self.size, align_corners=self.align_corners, half_pixel_centers=self.half_pixel_centers)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "size": list(self.size), "method": self.method, "align_corners": self.align_corners, "half_pixel_centers": self.half_pixel_centers}


_COMPARE = {
    "greater": ops.greater,
    "greater_equal": ops.greater_equal,
    "less": ops.less,
    "less_equal": ops.less_equal,
    "equal": ops.equal,
    "not_equal": ops.not_equal,
}


@_register
class Compare(keras.layers.Layer):
    """x (op) scalar, or x (op) y; a bool tensor."""

    def __init__(self, op, scalar=None, **kwargs):
        super().__init__(**kwargs)
        op = _snake_case(op)
        if op not in _COMPARE:
            raise ValueError(f"Compare op must be one of {', '.join(_COMPARE)}, got {op!r}")
        self.op = op
        self.scalar = scalar

    def call(self, inputs):
        if self.scalar is not None:
            x = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
            return _COMPARE[self.op](x, float(self.scalar))
        a, b = inputs
        return _COMPARE[self.op](a, b)

    def get_config(self):
        return {**super().get_config(), "op": self.op, "scalar": self.scalar}


@_register
class Select(keras.layers.Layer):
    """where(condition, when_true, when_false); inputs in that order, leaving out what the config holds."""

    def __init__(self, condition=None, when_true=None, when_false=None, **kwargs):
        super().__init__(**kwargs)
        self.condition = None if condition is None else _positive_ints(condition, "Select condition")
        self.when_true = _config_number(when_true)
        self.when_false = _config_number(when_false)
        if self.condition is not None and self.when_true is not None and self.when_false is not None:
            raise ValueError("Select needs at least one computed input")

    def build(self, input_shape):
        if self.condition is not None:
            self.mask = self.add_weight(name="condition", shape=self.condition, initializer="zeros", trainable=True)

    def call(self, inputs):
        queue = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        condition = ops.cast(self.mask, "bool") if self.condition is not None else queue.pop(0)
        when_true = queue.pop(0) if self.when_true is None else self.when_true
        when_false = queue.pop(0) if self.when_false is None else self.when_false
        return ops.where(condition, when_true, when_false)

    def get_config(self):
        return {**super().get_config(), "condition": self.condition, "when_true": _encode_number(self.when_true), "when_false": _encode_number(self.when_false)}


@_register
class Slice(keras.layers.Layer):
    """A static slice: begin and size (-1: to the end) per non-batch axis."""

    def __init__(self, begin, size, **kwargs):
        super().__init__(**kwargs)
        self.begin = [int(b) for b in begin]
        self.size = [int(s) for s in size]

    def call(self, x):
        return x[(slice(None), *(slice(b, None if s < 0 else b + s) for b, s in zip(self.begin, self.size)))]

    def get_config(self):
        return {**super().get_config(), "begin": list(self.begin), "size": list(self.size)}


@_register
class StaticReshape(keras.layers.Layer):
    """A reshape of the whole tensor, batch axis included, to one fixed shape (static shapes only): a
    fold of the batch into a unit axis and back, or an op across the batch lifted into one sample."""

    def __init__(self, shape, open_batch=False, **kwargs):
        super().__init__(**kwargs)
        self.shape = _positive_ints(shape, "StaticReshape shape")
        self.open_batch = bool(open_batch)

    def call(self, x):
        return ops.reshape(_single(x), self.shape)

    def compute_output_shape(self, input_shape):
        return (None if self.open_batch else self.shape[0], *self.shape[1:])

    def get_config(self):
        return {**super().get_config(), "shape": list(self.shape), "open_batch": self.open_batch}


@_register
class StridedSlice(keras.layers.Layer):
    """A static strided slice: begin, end, stride (>= 1) per non-batch axis."""

    def __init__(self, begin, end, strides, **kwargs):
        super().__init__(**kwargs)
        self.begin = [int(b) for b in begin]
        self.end = [int(e) for e in end]
        self.strides = _positive_ints(strides, "StridedSlice strides")

    def call(self, x):
        return x[(slice(None), *(slice(b, e, s) for b, e, s in zip(self.begin, self.end, self.strides)))]

    def get_config(self):
        return {**super().get_config(), "begin": list(self.begin), "end": list(self.end), "strides": list(self.strides)}


@_register
class TorchGRU(keras.layers.Layer):
    """PyTorch's GRU (reset_after form, gate order r, z, n; one layer, one direction, zero initial state)."""

    def __init__(self, units, go_backwards=False, return_sequences=True, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.go_backwards = bool(go_backwards)
        self.return_sequences = bool(return_sequences)

    def build(self, input_shape):
        features, h3 = input_shape[-1], 3 * self.units
        self.kernel = self.add_weight(name="kernel", shape=(features, h3), initializer="zeros")
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=(self.units, h3), initializer="zeros")
        self.bias = self.add_weight(name="bias", shape=(h3,), initializer="zeros")
        self.recurrent_bias = self.add_weight(name="recurrent_bias", shape=(h3,), initializer="zeros")

    def call(self, x):
        steps = x.shape[1]
        if steps is None:
            raise ValueError(f"TorchGRU '{self.name}' needs a static sequence length")
        projected = ops.add(ops.matmul(x, self.kernel), self.bias)
        h = ops.zeros((ops.shape(x)[0], self.units), dtype=x.dtype)
        outputs = [None] * steps
        for k in range(steps):
            t = steps - 1 - k if self.go_backwards else k
            xr, xz, xn = ops.split(projected[:, t, :], 3, axis=-1)
            hr, hz, hn = ops.split(ops.add(ops.matmul(h, self.recurrent_kernel), self.recurrent_bias), 3, axis=-1)
            r = ops.sigmoid(ops.add(xr, hr))
            z = ops.sigmoid(ops.add(xz, hz))
            n = ops.tanh(ops.add(xn, ops.multiply(r, hn)))
            h = ops.add(n, ops.multiply(z, ops.subtract(h, n)))
            outputs[t] = h
        return ops.stack(outputs, axis=1) if self.return_sequences else h

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.units) if self.return_sequences else (input_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "go_backwards": self.go_backwards, "return_sequences": self.return_sequences}


def _config_name(value):
    """A config string Keras's legacy .h5 loader may have turned into the Keras function it names ("sin", "max")."""
    return getattr(value, "__name__", value)


def _single(inputs):
    return inputs[0] if isinstance(inputs, (list, tuple)) else inputs


def _trunc(x):
    """Toward zero (float32 -> int32 -> float32), as TF.js and TFLite's CAST do."""
    return ops.cast(ops.cast(x, "int32"), "float32")


def _adaptive_bins(size, out):
    """PyTorch's adaptive pooling bins along one axis: [floor(i * in / out), ceil((i + 1) * in / out))."""
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


@_register
class AdaptivePool(keras.layers.Layer):
    """Adaptive max / average pooling of a channels-last tensor to any output size, one spatial axis at a time."""

    def __init__(self, kind, output_size, **kwargs):
        super().__init__(**kwargs)
        kind = _config_name(kind)
        if kind not in ("max", "avg"):
            raise ValueError(f"AdaptivePool kind must be 'max' or 'avg', got {kind!r}")
        self.kind = kind
        self.output_size = _positive_ints(output_size, "AdaptivePool output_size")

    def call(self, x):
        reduce = ops.max if self.kind == "max" else ops.mean
        for i, out in enumerate(self.output_size):
            axis = i + 1
            size = x.shape[axis]
            if size is None:
                raise ValueError(f"AdaptivePool '{self.name}' needs static spatial sizes")
            if size == out:
                continue
            parts = []
            for start, end in _adaptive_bins(size, out):
                index = tuple(slice(start, end) if a == axis else slice(None) for a in range(len(x.shape)))
                parts.append(reduce(x[index], axis=axis, keepdims=True))
            x = ops.concatenate(parts, axis=axis)
        return x

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.output_size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "output_size": list(self.output_size)}


@_register
class Cumsum(keras.layers.Layer):
    """A running sum along one non-batch axis (PyTorch's cumsum)."""

    def __init__(self, axis, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or axis < 1:
            raise ValueError(f"Cumsum axis must be an integer >= 1 (axis 0 is the batch), got {axis!r}")
        self.axis = int(axis)

    def call(self, x):
        return ops.cumsum(_single(x), axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


_FLOAT32_MAX = 3.4028234663852886e38
_SCAN_FILL = {"prod": 1.0, "max": -_FLOAT32_MAX, "min": _FLOAT32_MAX}


@_register
class Scan(keras.layers.Layer):
    """A running product, maximum or minimum along one non-batch axis (PyTorch's cumprod, cummax(...).values,
    cummin(...).values); max / min as the TFLite lowering computes them: a log-depth scan."""

    def __init__(self, axis, op, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or axis < 1:
            raise ValueError(f"Scan axis must be an integer >= 1 (axis 0 is the batch), got {axis!r}")
        if op not in _SCAN_FILL:
            raise ValueError(f"Scan op must be one of {', '.join(_SCAN_FILL)}, got {op!r}")
        self.axis = int(axis)
        self.op = op

    def call(self, x):
        x = _single(x)
        if self.op == "prod":
            return ops.cumprod(x, axis=self.axis)
        n = x.shape[self.axis]
        combine = ops.maximum if self.op == "max" else ops.minimum
        y = x
        shift = 1
        while shift < n:
            head = ops.take(y, list(range(n - shift)), axis=self.axis)
            pads = [[shift, 0] if i == self.axis else [0, 0] for i in range(len(x.shape))]
            y = combine(y, ops.pad(head, pads, constant_values=_SCAN_FILL[self.op]))
            shift *= 2
        return y

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "op": self.op}


_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def _softplus(x, beta, threshold):
    """PyTorch's softplus: x itself where beta * x exceeds the threshold."""
    y = ops.multiply(x, beta)
    return ops.divide(ops.maximum(y, ops.log1p(ops.exp(ops.minimum(y, threshold)))), beta)


def _elu(x, alpha, inner, scale):
    """scale * (max(0, x) + alpha * (exp(min(0, x) * inner) - 1)): ELU, CELU and SELU."""
    negative = ops.multiply(alpha, ops.subtract(ops.exp(ops.multiply(ops.minimum(x, 0.0), inner)), 1.0))
    return ops.multiply(ops.add(ops.relu(x), negative), scale)


def _above(x, bound):
    return ops.cast(ops.greater(x, bound), "float32")


_POINTWISE = {
    "sin": lambda x, p: ops.sin(x),
    "cos": lambda x, p: ops.cos(x),
    "tan": lambda x, p: ops.divide(ops.sin(x), ops.cos(x)),
    "asin": lambda x, p: ops.arcsin(x),
    "acos": lambda x, p: ops.arccos(x),
    "atan": lambda x, p: ops.arctan(x),
    "sinh": lambda x, p: ops.sinh(x),
    "cosh": lambda x, p: ops.cosh(x),
    "floor": lambda x, p: ops.floor(x),
    "ceil": lambda x, p: ops.ceil(x),
    # Halves to even, as PyTorch (and TF.js) round.
    "round": lambda x, p: ops.round(x),
    "reciprocal": lambda x, p: ops.divide(1.0, x),
    "sign": lambda x, p: ops.sign(x),
    "square": lambda x, p: ops.multiply(x, x),
    "log1p": lambda x, p: ops.log1p(x),
    "log2": lambda x, p: ops.divide(ops.log(x), math.log(2)),
    "log10": lambda x, p: ops.divide(ops.log(x), math.log(10)),
    "expm1": lambda x, p: ops.expm1(x),
    "exp2": lambda x, p: ops.power(ops.convert_to_tensor(2.0, dtype=x.dtype), x),
    "frac": lambda x, p: ops.subtract(x, _trunc(x)),
    "softplus": lambda x, p: _softplus(x, p["beta"], p["threshold"]),
    "mish": lambda x, p: ops.multiply(x, ops.tanh(_softplus(x, 1.0, 20.0))),
    "erfc": lambda x, p: ops.subtract(1.0, ops.erf(x)),
    "elu": lambda x, p: _elu(x, p["alpha"], 1.0, 1.0),
    "celu": lambda x, p: _elu(x, p["alpha"], 1.0 / p["alpha"], 1.0),
    "selu": lambda x, p: _elu(x, _SELU_ALPHA, 1.0, _SELU_SCALE),
    "softsign": lambda x, p: ops.divide(x, ops.add(ops.abs(x), 1.0)),
    "tanhshrink": lambda x, p: ops.subtract(x, ops.tanh(x)),
    "hardshrink": lambda x, p: ops.multiply(x, _above(ops.abs(x), p["alpha"])),
    "softshrink": lambda x, p: ops.subtract(x, ops.clip(x, -p["alpha"], p["alpha"])),
    "threshold": lambda x, p: ops.add(ops.multiply(x, _above(x, p["threshold"])), ops.multiply(p["value"], ops.subtract(1.0, _above(x, p["threshold"])))),
}


@_register
class Pointwise(keras.layers.Layer):
    """One pointwise function of one tensor (trigonometry, rounding, softplus, ELU family, shrinks, ...)."""

    def __init__(self, fn, beta=1.0, threshold=20.0, alpha=1.0, value=0.0, **kwargs):
        super().__init__(**kwargs)
        fn = _config_name(fn)
        if fn not in _POINTWISE:
            raise ValueError(f"Pointwise fn must be one of {', '.join(_POINTWISE)}, got {fn!r}")
        self.fn = fn
        self.beta = float(beta)
        self.threshold = float(threshold)
        self.alpha = float(alpha)
        self.value = float(value)

    def call(self, x):
        params = {"beta": self.beta, "threshold": self.threshold, "alpha": self.alpha, "value": self.value}
        return _POINTWISE[self.fn](_single(x), params)

    def get_config(self):
        return {**super().get_config(), "fn": self.fn, "beta": self.beta, "threshold": self.threshold, "alpha": self.alpha, "value": self.value}


_POINTWISE_BINARY = {
    "div": ops.divide,
    "pow": ops.power,
    "floor_divide": lambda a, b: ops.floor(ops.divide(a, b)),
    "trunc_divide": lambda a, b: _trunc(ops.divide(a, b)),
    # Python's sign rule (the divisor's), then C's (the dividend's).
    "remainder": lambda a, b: ops.subtract(a, ops.multiply(ops.floor(ops.divide(a, b)), b)),
    "fmod": lambda a, b: ops.subtract(a, ops.multiply(_trunc(ops.divide(a, b)), b)),
    "maximum": ops.maximum,
    "minimum": ops.minimum,
    "atan2": ops.arctan2,
}


@_register
class PointwiseBinary(keras.layers.Layer):
    """a (op) b of two tensors, or of the input and the number `scalar` (b, or a when `reversed`)."""

    def __init__(self, fn, scalar=None, reversed=False, **kwargs):
        super().__init__(**kwargs)
        fn = _config_name(fn)
        if fn not in _POINTWISE_BINARY:
            raise ValueError(f"PointwiseBinary fn must be one of {', '.join(_POINTWISE_BINARY)}, got {fn!r}")
        self.fn = fn
        self.scalar = scalar
        self.reversed = bool(reversed)

    def call(self, inputs):
        queue = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if self.scalar is None:
            a, b = queue[0], queue[1]
        else:
            c = ops.convert_to_tensor(float(self.scalar), dtype=queue[0].dtype)
            a, b = (c, queue[0]) if self.reversed else (queue[0], c)
        return _POINTWISE_BINARY[self.fn](a, b)

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple)):
            if len(input_shape) == 1:
                return tuple(input_shape[0])
            a, b = input_shape[0], input_shape[1]
            return tuple(bd if ad == 1 else ad for ad, bd in zip(a, b))
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "fn": self.fn, "scalar": self.scalar, "reversed": self.reversed}


_STATISTIC_OPS = ("var", "std", "norm", "logsumexp", "normalize")


@_register
class Statistic(keras.layers.Layer):
    """var / std (with a correction), vector norms of order p, logsumexp and F.normalize over static non-batch axes."""

    def __init__(self, op, axes, keep_dims=False, correction=1, p=2, eps=1e-12, **kwargs):
        super().__init__(**kwargs)
        op = _config_name(op)
        if op not in _STATISTIC_OPS:
            raise ValueError(f"Statistic op must be one of {', '.join(_STATISTIC_OPS)}, got {op!r}")
        self.op = op
        self.axes = sorted(_positive_ints(axes, "Statistic axes"))
        self.keep_dims = op == "normalize" or bool(keep_dims)
        self.correction = correction
        self.p = _config_number(2 if p is None else p)
        if math.isnan(self.p) or self.p == 0:
            raise ValueError(f"Statistic order p must be a non-zero number or 'inf' / '-inf', got {p!r}")
        self.eps = eps

    def _norm(self, x, keep_dims):
        axis, p = tuple(self.axes), self.p
        if p == 2:
            return ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=keep_dims))
        if p == 1:
            return ops.sum(ops.abs(x), axis=axis, keepdims=keep_dims)
        if p == math.inf:
            return ops.max(ops.abs(x), axis=axis, keepdims=keep_dims)
        if p == -math.inf:
            return ops.min(ops.abs(x), axis=axis, keepdims=keep_dims)
        return ops.power(ops.sum(ops.power(ops.abs(x), float(p)), axis=axis, keepdims=keep_dims), 1.0 / p)

    def call(self, x):
        x = _single(x)
        axis = tuple(self.axes)
        if self.op in ("var", "std"):
            count = math.prod(x.shape[a] for a in self.axes)
            divisor = max(count - self.correction, 0)
            centered = ops.subtract(x, ops.mean(x, axis=axis, keepdims=True))
            variance = ops.multiply(ops.sum(ops.square(centered), axis=axis, keepdims=self.keep_dims), 1.0 / divisor if divisor else math.inf)
            return variance if self.op == "var" else ops.sqrt(variance)
        if self.op == "norm":
            return self._norm(x, self.keep_dims)
        if self.op == "normalize":
            return ops.divide(x, ops.maximum(self._norm(x, True), self.eps))
        return ops.logsumexp(x, axis=axis, keepdims=self.keep_dims)

    def compute_output_shape(self, input_shape):
        if self.op == "normalize":
            return tuple(input_shape)
        if self.keep_dims:
            return tuple(1 if i in self.axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in self.axes)

    def get_config(self):
        return {
            **super().get_config(),
            "op": self.op,
            "axes": list(self.axes),
            "keep_dims": self.keep_dims,
            "correction": self.correction,
            "p": _encode_number(self.p),
            "eps": self.eps,
        }


@_register
class TopK(keras.layers.Layer):
    """The k largest values along the last axis, largest first (x.topk(k).values)."""

    def __init__(self, k, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"TopK k must be a positive integer, got {k!r}")
        self.k = int(k)

    def call(self, x):
        return ops.top_k(_single(x), self.k, sorted=True)[0]

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.k)

    def get_config(self):
        return {**super().get_config(), "k": self.k}


@_register
class TorchNorm(keras.layers.Layer):
    """PyTorch's LayerNorm over the last `count` axes ('trailing') or GroupNorm / InstanceNorm with `count` groups
    of the last (channel) axis ('grouped'): biased variance, then the weights gamma and beta (shape param_shape)."""

    def __init__(self, mode, count, epsilon, param_shape=None, scale=True, center=True, **kwargs):
        super().__init__(**kwargs)
        if mode not in ("trailing", "grouped"):
            raise ValueError(f"TorchNorm mode must be 'trailing' or 'grouped', got {mode!r}")
        if not isinstance(count, int) or count < 1:
            raise ValueError(f"TorchNorm count must be a positive integer, got {count!r}")
        self.mode = mode
        self.count = int(count)
        self.epsilon = float(epsilon)
        self.param_shape = None if param_shape is None else _positive_ints(param_shape, "TorchNorm param_shape")
        self.scale = self.param_shape is not None and bool(scale)
        self.center = self.param_shape is not None and bool(center)

    def build(self, input_shape):
        self.gamma = self.add_weight(name="gamma", shape=self.param_shape, initializer="ones") if self.scale else None
        self.beta = self.add_weight(name="beta", shape=self.param_shape, initializer="zeros") if self.center else None

    def call(self, x):
        x = _single(x)
        shape = list(x.shape)
        rank = len(shape)
        if self.mode == "trailing":
            work, axes = None, tuple(range(rank - self.count, rank))
        else:
            channels = shape[-1]
            work = [-1, *shape[1:-1], self.count, channels // self.count]
            axes = tuple(i for i in range(1, rank + 1) if i != rank - 1)
        grouped = x if work is None else ops.reshape(x, work)
        mean = ops.mean(grouped, axis=axes, keepdims=True)
        centered = ops.subtract(grouped, mean)
        variance = ops.mean(ops.multiply(centered, centered), axis=axes, keepdims=True)
        y = ops.multiply(centered, ops.rsqrt(ops.add(variance, self.epsilon)))
        if work is not None:
            y = ops.reshape(y, [-1, *shape[1:]])
        if self.gamma is not None:
            y = ops.multiply(y, self.gamma)
        if self.beta is not None:
            y = ops.add(y, self.beta)
        return y

    def get_config(self):
        return {
            **super().get_config(),
            "mode": self.mode,
            "count": self.count,
            "epsilon": self.epsilon,
            "param_shape": self.param_shape,
            "scale": self.scale,
            "center": self.center,
        }



@_register
class Cast(keras.layers.Layer):
    """A model output of PyTorch integer or bool kind: float32 whole numbers cast to int32 (or bool)."""

    def __init__(self, to, **kwargs):
        super().__init__(**kwargs)
        if to not in ("int32", "bool"):
            raise ValueError(f"Cast to must be int32 or bool, got {to!r}")
        self.to = to

    def call(self, x):
        return ops.cast(_single(x), self.to)

    def get_config(self):
        return {**super().get_config(), "to": self.to}



@_register
class Ranking(keras.layers.Layer):
    """The k largest (or smallest) values along the last axis, or their positions as float32."""

    def __init__(self, k, largest=True, returns="values", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"Ranking k must be a positive integer, got {k!r}")
        if returns not in ("values", "indices"):
            raise ValueError(f"Ranking returns must be values or indices, got {returns!r}")
        self.k = int(k)
        self.largest = bool(largest)
        self.returns = returns

    def call(self, x):
        x = _single(x)
        values, indices = ops.top_k(x if self.largest else -x, self.k, sorted=True)
        if self.returns == "indices":
            return ops.cast(indices, "float32")
        return values if self.largest else -values

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.k)

    def get_config(self):
        return {**super().get_config(), "k": self.k, "largest": self.largest, "returns": self.returns}


CUSTOM_OBJECTS = {
    cls.__name__: cls
    for cls in (
        HardSigmoid, HardSwish, GeluTanh, BatchMatMul, BroadcastTo, ConstantArithmetic, ConstantPadding, ConstantTensor, Gather,
        GroupedConv2D, LogSoftmax, MathFunction, Clamp, Reduce, Resize2D, Compare, Select, Slice, StaticReshape, StridedSlice, TorchGRU,
        AdaptivePool, Cumsum, Scan, Pointwise, PointwiseBinary, Statistic, TopK, TorchNorm, Cast, Ranking,
    )
}
"""Every layer by the class name model.h5 uses: `keras.models.load_model(path, custom_objects=CUSTOM_OBJECTS)`."""

# Also by plain class name, so `import torchport_layers` alone lets load_model read model.h5
# (whose configs name layers without the "torchport>" package prefix).
keras.saving.get_custom_objects().update(CUSTOM_OBJECTS)
