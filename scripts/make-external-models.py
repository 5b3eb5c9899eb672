"""Model files made by TensorFlow's own tools, for the tests of `torchport verify --tflite / --keras`.

Usage: .venv/bin/python scripts/make-external-models.py KERAS_DIR OUT_DIR

KERAS_DIR is what `torchport convert GOLDEN --out DIR` wrote as DIR/keras/ (model.h5 and
torchport_layers.py). From that Keras model, as a Keras user would, it writes into OUT_DIR:

- tf.fp32.tflite: TFLiteConverter (float32), channels-last, signature input_0 / output_0;
- nchw.dynamic-int8.tflite: the model behind a Permute that takes PyTorch's channels-first
  input, renamed (input "pixels", output "logits"), dynamic-range int8;
- nchw.keras: the same channels-first model in Keras 3's native format.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402


def convert(model, specs, names, optimize):
    def forward(*xs):
        outputs = model(list(xs) if len(xs) > 1 else xs[0], training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        return {name: o for name, o in zip(names, outputs)}

    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    concrete = convert_variables_to_constants_v2(tf.function(forward).get_concrete_function(*specs))
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    if optimize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return converter.convert()


def write(path, data):
    temporary = f"{path}.tmp"
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def main(keras_dir, out_dir):
    sys.path.insert(0, keras_dir)
    import torchport_layers  # noqa: F401, PLC0415  (registers torchport's custom layers)

    os.makedirs(out_dir, exist_ok=True)
    model = keras.models.load_model(os.path.join(keras_dir, "model.h5"), compile=False)
    if len(model.inputs) != 1 or len(model.inputs[0].shape) != 4:
        raise SystemExit("expects a model with one image input (NHWC)")
    _, h, w, c = model.inputs[0].shape
    nhwc = [tf.TensorSpec([1, h, w, c], tf.float32, name="input_0")]
    write(os.path.join(out_dir, "tf.fp32.tflite"), convert(model, nhwc, ["output_0"], optimize=False))

    pixels = keras.Input(shape=(c, h, w), batch_size=1, name="pixels")
    logits = keras.layers.Identity(name="logits")(model(keras.layers.Permute((2, 3, 1))(pixels)))
    nchw = keras.Model(pixels, logits, name="nchw")
    specs = [tf.TensorSpec([1, c, h, w], tf.float32, name="pixels")]
    write(os.path.join(out_dir, "nchw.dynamic-int8.tflite"), convert(nchw, specs, ["logits"], optimize=True))
    nchw.save(os.path.join(out_dir, "nchw.keras"))
    print(f"wrote {out_dir}: tf.fp32.tflite, nchw.dynamic-int8.tflite, nchw.keras")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
