import torch
import torch.nn as nn

INPUT_SHAPES = [[2, 3, 4]]
SEED = 0


class Net(nn.Module):
    """Builds constants and then writes into them in place (a mask filled after torch.ones, a scale grown
    with mul_): the graph must hold their final content, not a copy taken when they were created."""

    def forward(self, x):
        mask = torch.ones(4)
        mask[1] = 0.0
        scale = torch.full((3, 1), 2.0)
        scale.mul_(torch.tensor([[1.0], [2.0], [3.0]]))
        return x * mask * scale + scale


def build():
    return Net()
