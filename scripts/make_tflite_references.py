#!/usr/bin/env python3
"""Reference tensors for the TFLite writer tests, computed by real PyTorch.

Run with an interpreter that has torch (Debian's: /usr/bin/python3):

    /usr/bin/python3 scripts/make_tflite_references.py

For each case it writes src/tflite/fixtures/<case>/<name>.npy: the seeded inputs it used, the
weights (already in TFLite's layout, quantized where the case is quantized) and the outputs
torch computed. The TypeScript tests build the same graph from these weights with the IR, run
it in LiteRT and compare.

Layouts: torch is NCHW with OIHW conv weights; TFLite is NHWC with OHWI conv filters and 1HWC
depthwise filters. Inputs and outputs are stored in NHWC (the TFLite model's own layout), so
every image tensor below goes through .permute(0, 2, 3, 1) before it is saved, conv weights
through .permute(0, 2, 3, 1) (OIHW -> OHWI), and depthwise weights [C, 1, kh, kw] through
.permute(1, 2, 3, 0) (-> [1, kh, kw, C]).
"""
import os
import shutil

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "tflite", "fixtures")


def save(case, name, tensor, dtype=np.float32):
    directory = os.path.join(ROOT, case)
    os.makedirs(directory, exist_ok=True)
    array = tensor.detach().cpu().numpy() if isinstance(tensor, torch.Tensor) else np.asarray(tensor)
    np.save(os.path.join(directory, name + ".npy"), np.ascontiguousarray(array.astype(dtype)))


def nhwc(t):
    return t.permute(0, 2, 3, 1)


def ohwi(w):
    return w.permute(0, 2, 3, 1)


def generator(seed):
    return torch.Generator().manual_seed(seed)


def randn(shape, seed, scale=1.0):
    return torch.randn(*shape, generator=generator(seed)) * scale


def conv_relu6_same():
    # 3x3, stride 1, padding 1: PyTorch's symmetric padding equals TFLite SAME here.
    x = randn((1, 3, 8, 8), 1)
    w = randn((4, 3, 3, 3), 2, 0.5)
    b = randn((4,), 3, 0.2)
    y = torch.clamp(F.conv2d(x, w, b, stride=1, padding=1), 0.0, 6.0)
    case = "conv_relu6_same"
    save(case, "input", nhwc(x))
    save(case, "filter", ohwi(w))
    save(case, "bias", b)
    save(case, "output", nhwc(y))


def conv_valid_stride2():
    # 3x3, stride 2, no padding: TFLite VALID. 9x9 -> 4x4.
    x = randn((1, 2, 9, 9), 11)
    w = randn((5, 2, 3, 3), 12, 0.5)
    b = randn((5,), 13, 0.2)
    y = F.conv2d(x, w, b, stride=2, padding=0)
    case = "conv_valid_stride2"
    save(case, "input", nhwc(x))
    save(case, "filter", ohwi(w))
    save(case, "bias", b)
    save(case, "output", nhwc(y))


def depthwise():
    # groups == channels, multiplier 1, 3x3, padding 1 (SAME), fused ReLU.
    x = randn((1, 4, 7, 7), 21)
    w = randn((4, 1, 3, 3), 22, 0.5)
    b = randn((4,), 23, 0.2)
    y = torch.relu(F.conv2d(x, w, b, stride=1, padding=1, groups=4))
    case = "depthwise"
    save(case, "input", nhwc(x))
    save(case, "filter", w.permute(1, 2, 3, 0))  # [C,1,kh,kw] -> [1,kh,kw,C]
    save(case, "bias", b)
    save(case, "output", nhwc(y))


def fully_connected():
    # torch.nn.Linear weights are [out, in], the same layout FULLY_CONNECTED takes.
    x = randn((2, 6), 31)
    w = randn((5, 6), 32, 0.5)
    b = randn((5,), 33, 0.2)
    y = F.linear(x, w, b)
    case = "fully_connected"
    save(case, "input", x)
    save(case, "weights", w)
    save(case, "bias", b)
    save(case, "output", y)


def add_broadcast():
    a = randn((2, 3, 4), 41)
    b = randn((3, 1), 42)
    y = a + b
    case = "add_broadcast"
    save(case, "a", a)
    save(case, "b", b)
    save(case, "output", y)


def mean():
    # Global average pooling: mean over H, W of NCHW is MEAN over axes [1, 2] of NHWC.
    x = randn((1, 5, 6, 6), 51)
    y = x.mean(dim=(2, 3))
    case = "mean"
    save(case, "input", nhwc(x))
    save(case, "output", y)


def conv_float16_weights():
    # The filter is stored as float16 and dequantized to float32 in the graph, so the exact
    # reference convolves with the float16-rounded filter.
    x = randn((1, 3, 8, 8), 61)
    w16 = randn((4, 3, 3, 3), 62, 0.5).half()
    b = randn((4,), 63, 0.2)
    y = F.conv2d(x, w16.float(), b, padding=1)
    case = "conv_float16_weights"
    save(case, "input", nhwc(x))
    save(case, "filter_fp16", ohwi(w16), np.float16)
    save(case, "bias", b)
    save(case, "output", nhwc(y))


def per_channel_symmetric(w):
    """int8 weights, one scale per output channel (axis 0), range [-127, 127], zero point 0."""
    scale = w.abs().amax(dim=tuple(range(1, w.dim()))) / 127.0
    q = torch.clamp(torch.round(w / scale.view(-1, *[1] * (w.dim() - 1))), -127, 127)
    return q, scale


def conv_hybrid_int8():
    # Dynamic-range quantization: int8 filter with per-output-channel scales, float activations.
    # The reference convolves with the dequantized filter (q * scale); what remains between it
    # and LiteRT is the runtime's own on-the-fly quantization of the input.
    x = randn((1, 3, 8, 8), 71)
    w = randn((4, 3, 3, 3), 72, 0.5)
    b = randn((4,), 73, 0.2)
    q, scale = per_channel_symmetric(w)
    w_deq = q * scale.view(-1, 1, 1, 1)
    y = F.conv2d(x, w_deq, b, padding=1)
    case = "conv_hybrid_int8"
    save(case, "input", nhwc(x))
    save(case, "filter_int8", ohwi(q), np.int8)
    save(case, "filter_scale", scale)
    save(case, "bias", b)
    save(case, "output", nhwc(y))


def asymmetric_int8(lo, hi):
    """Per-tensor asymmetric int8 parameters for the float range [lo, hi] widened to hold 0."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0
    zero_point = int(np.clip(round(-128 - lo / scale), -128, 127))
    return scale, zero_point


def conv_full_int8():
    # Full-integer quantization of a conv with fused ReLU:
    #   input  int8 asymmetric per tensor (scale_in, zp_in) from the input's range,
    #   filter int8 symmetric per output channel (scale_w[c]), zero point 0,
    #   bias   int32 with scale scale_in * scale_w[c], zero point 0,
    #   output int8 asymmetric per tensor from the float reference's range.
    # Two references: torch's float conv (`output_float`), and torch simulating the integer
    # kernel (`output_int8`): exact int32 accumulation, then requantization with round-to-nearest
    # and the ReLU clamp in the quantized domain. LiteRT's fixed-point requantization may differ
    # from the exact rounding by one step, which is the test's bound.
    x = randn((1, 3, 8, 8), 81)
    w = randn((4, 3, 3, 3), 82, 0.5)
    b = randn((4,), 83, 0.2)
    y_float = torch.relu(F.conv2d(x, w, b, padding=1))

    scale_in, zp_in = asymmetric_int8(float(x.min()), float(x.max()))
    q_w, scale_w = per_channel_symmetric(w)
    bias_scale = scale_in * scale_w
    q_b = torch.round(b / bias_scale)
    scale_out, zp_out = asymmetric_int8(0.0, float(y_float.max()))

    x_q = torch.clamp(torch.round(x / scale_in) + zp_in, -128, 127)
    # Zero padding in the real domain is padding with zp_in in the quantized one, i.e. zeros
    # after subtracting the zero point.
    acc = F.conv2d((x_q - zp_in).double(), q_w.double(), q_b.double(), padding=1)
    real = acc * (scale_in * scale_w.double()).view(1, -1, 1, 1)
    y_q = torch.clamp(torch.round(real / scale_out) + zp_out, max(-128, zp_out), 127)
    y_deq = (y_q - zp_out) * scale_out

    case = "conv_full_int8"
    save(case, "input", nhwc(x))
    save(case, "input_int8", nhwc(x_q), np.int8)
    save(case, "filter_int8", ohwi(q_w), np.int8)
    save(case, "filter_scale", scale_w)
    save(case, "bias_int32", q_b, np.int32)
    save(case, "io_quantization", torch.tensor([scale_in, zp_in, scale_out, zp_out], dtype=torch.float64), np.float64)
    save(case, "output_float", nhwc(y_float))
    save(case, "output_int8", nhwc(y_q), np.int8)
    save(case, "output_dequantized", nhwc(y_deq))


if __name__ == "__main__":
    torch.manual_seed(0)
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    for make in (
        conv_relu6_same,
        conv_valid_stride2,
        depthwise,
        fully_connected,
        add_broadcast,
        mean,
        conv_float16_weights,
        conv_hybrid_int8,
        conv_full_int8,
    ):
        make()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(ROOT) for f in fs)
    print(f"wrote {ROOT} ({total} bytes) with torch {torch.__version__}")
