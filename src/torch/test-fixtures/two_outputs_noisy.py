"""Prints on stdout (which must not corrupt the bridge protocol) and returns two outputs."""
import torch
import torch.nn as nn

INPUT_SHAPES = [[2, 3], [2, 3]]
SEED = 5
INPUT_DISTRIBUTION = {"kind": "uniform", "low": -2, "high": 2}
TOLERANCE = {"atol": 1e-6}

print("hello from the fixture at import time")


class TwoOutputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("offset", torch.arange(3, dtype=torch.float32))
        self.register_buffer("counter", torch.tensor([7], dtype=torch.int64))

    def forward(self, a, b):
        print("forward called")
        return a * 2 + self.offset, (a * b).sum(dim=1)


def build():
    return TwoOutputs()
