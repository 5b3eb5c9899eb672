import torch
import torch.nn as nn

INPUT_SHAPES = [[2, 3, 4]]
SEED = 0


class Net(nn.Module):
    """Scales a tensor through a flattened view of it, then reads the tensor: the write reaches `y` only
    through memory both share, which a graph of values cannot show."""

    def forward(self, x):
        y = x + 1
        flat = y.view(-1)
        flat.mul_(3)
        return y - 1


def build():
    return Net()
