"""Regenerates the torch references of the Keras -> TFLite lowering tests in src/tflite/lower/fixtures/.

Run with Debian's interpreter (the one that has torch):  /usr/bin/python3 scripts/make_lowering_references.py

They cover the layers the Keras fixtures (src/keras/fixtures) do not: SAME-padding merge, max/average
pooling (2D and 1D), concatenation, add/multiply/maximum/average, nearest upsampling,
LeakyReLU, ELU, sigmoid, tanh, GELU, SiLU, global pooling, softmax, Dense on a rank-3 input. The
test builds the matching Keras models (same layer names as the torch modules) and transfers the
weights by name. Per model it writes <name>.safetensors, <name>.input.npy and one
<name>.output_<i>.npy per output, all small enough to commit.
"""
import os
import sys

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_keras_references import randomize_norm_stats, write_safetensors  # noqa: E402

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'tflite', 'lower', 'fixtures')


class Ops2d(nn.Module):
    """NCHW 3x12x12 -> (features 8x12x12, probabilities 4)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)  # Keras: ZeroPadding2D(1) + Conv2D valid, merged to SAME
        self.stem_bn = nn.BatchNorm2d(8)
        self.mix = nn.Conv2d(16, 8, 1)
        self.side = nn.Conv2d(16, 8, 1)
        self.head = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = F.leaky_relu(self.stem_bn(self.stem(x)), 0.1)
        c = torch.cat([F.max_pool2d(x, 2), F.avg_pool2d(x, 2)], 1)
        m = torch.sigmoid(self.mix(c))
        s = F.elu(self.side(c))
        u = torch.maximum(m, s) + (m + s) / 2 * torch.tanh(m * s)
        up = F.interpolate(u, scale_factor=2, mode='nearest')
        h = F.silu(F.gelu(self.head(up)))
        probs = torch.softmax(self.fc(h.mean(dim=(2, 3))), dim=1)
        return h, probs


class Seq1d(nn.Module):
    """NCW 6x16 -> (per-step projection 4x5 in NWC, its max over time 5)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(6, 8, 3, padding=1)
        self.proj = nn.Linear(8, 5)

    def forward(self, x):
        x = F.avg_pool1d(F.max_pool1d(torch.relu(self.conv(x)), 2), 2)
        y = self.proj(x.permute(0, 2, 1))
        return y, y.amax(dim=1)


def make(name, model, example, generator):
    randomize_norm_stats(model, generator)
    model.eval()
    with torch.no_grad():
        outputs = model(example)
    write_safetensors(os.path.join(OUT_DIR, f'{name}.safetensors'), model.state_dict())
    np.save(os.path.join(OUT_DIR, f'{name}.input.npy'), example.numpy())
    for i, output in enumerate(outputs):
        np.save(os.path.join(OUT_DIR, f'{name}.output_{i}.npy'), output.numpy().astype(np.float32))
    print(f'{name}: input {tuple(example.shape)} -> outputs {[tuple(o.shape) for o in outputs]}')


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(4321)
    make('ops2d', Ops2d(), torch.randn(1, 3, 12, 12, generator=g), g)
    make('seq1d', Seq1d(), torch.randn(2, 6, 16, generator=g), g)


if __name__ == '__main__':
    main()
