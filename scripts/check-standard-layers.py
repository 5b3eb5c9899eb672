"""Which standard Keras 3 layers compute exactly what PyTorch computes, for the ops torchport maps
to a custom layer or to a standard one (docs/ecosystem.md, "Standard layers"). Prints max |diff|
per candidate on seeded inputs. Usage: .venv/bin/python scripts/check-standard-layers.py"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

rng = np.random.RandomState(0)
x = (rng.randn(2, 5, 7, 3) * 4).astype("float32")  # NHWC, values well past the hard activations' knees
nchw = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())


def nhwc(t):
    return t.detach().numpy().transpose(0, 2, 3, 1)


def worst(a, b):
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


rows = [
    ("Activation('hard_sigmoid')", "F.hardsigmoid", keras.layers.Activation("hard_sigmoid")(x), F.hardsigmoid(torch.from_numpy(x))),
    ("Activation('hard_swish')", "F.hardswish", keras.layers.Activation("hard_swish")(x), F.hardswish(torch.from_numpy(x))),
    ("ZeroPadding2D(((1, 2), (3, 0)))", "F.pad(x, (3, 0, 1, 2))", keras.layers.ZeroPadding2D(((1, 2), (3, 0)))(x), nhwc(F.pad(nchw, (3, 0, 1, 2)))),
    ("UpSampling2D(2, 'nearest')", "interpolate(scale 2, nearest)", keras.layers.UpSampling2D(2, interpolation="nearest")(x), nhwc(F.interpolate(nchw, scale_factor=2, mode="nearest"))),
    ("UpSampling2D(2, 'bilinear')", "interpolate(scale 2, bilinear, align_corners=False)", keras.layers.UpSampling2D(2, interpolation="bilinear")(x), nhwc(F.interpolate(nchw, scale_factor=2, mode="bilinear", align_corners=False))),
    ("Resizing(10, 14, 'bilinear')", "interpolate(size, bilinear, align_corners=False)", keras.layers.Resizing(10, 14, interpolation="bilinear")(x), nhwc(F.interpolate(nchw, size=(10, 14), mode="bilinear", align_corners=False))),
    ("Resizing(3, 4, 'bilinear')", "interpolate(size, bilinear, align_corners=False) (downscale)", keras.layers.Resizing(3, 4, interpolation="bilinear")(x), nhwc(F.interpolate(nchw, size=(3, 4), mode="bilinear", align_corners=False))),
    ("Resizing(10, 14, 'nearest')", "interpolate(size, nearest)", keras.layers.Resizing(10, 14, interpolation="nearest")(x), nhwc(F.interpolate(nchw, size=(10, 14), mode="nearest"))),
]
print(f"keras {keras.__version__} ({keras.backend.backend()}), torch {torch.__version__}")
print("| Keras 3 layer | PyTorch | max abs diff |")
print("| --- | --- | --- |")
for keras_name, torch_name, a, b in rows:
    print(f"| `{keras_name}` | `{torch_name}` | {worst(a, b):.3g} |")
