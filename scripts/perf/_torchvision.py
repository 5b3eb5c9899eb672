"""torchvision classifiers for the performance table (scripts/perf-table.ts), built from random weights
(nothing is downloaded) with BatchNorm statistics re-estimated on random inputs, so activations have the
ranges of a trained network rather than of freshly initialised statistics (mean 0, variance 1)."""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "suites", "families"))
from _families import _import_torchvision  # noqa: E402

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build_torchvision(name):
    _import_torchvision()
    import torchvision

    torch.manual_seed(SEED)
    model = getattr(torchvision.models, name)(weights=None)
    # Cumulative averages (momentum None) over 64 random images, in training mode.
    model.train()
    for layer in model.modules():
        if isinstance(layer, torch.nn.BatchNorm2d):
            layer.reset_running_stats()
            layer.momentum = None
    generator = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for _ in range(8):
            model(torch.randn(8, *INPUT_SHAPES[0][1:], generator=generator))
    return model.eval()
