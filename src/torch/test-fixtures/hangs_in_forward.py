"""A fixture that loads but never finishes a forward pass: recording stops midway, inside its staging folder."""
import time

import torch

INPUT_SHAPES = [[1, 4]]


class Stuck(torch.nn.Module):
    def forward(self, x):
        while True:
            time.sleep(1)


def build():
    return Stuck()
