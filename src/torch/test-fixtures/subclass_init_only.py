import torch
import torch.nn as nn

INPUT_SHAPES = [[1, 3, 8, 8]]
SEED = 0


class Norm(nn.BatchNorm2d):
    """A library's norm that only changes how it is built."""

    def __init__(self, channels):
        super().__init__(channels, eps=1e-3)
        self.extra = "kept"


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.norm = Norm(4)
        with torch.no_grad():
            self.norm.running_mean.uniform_(-1, 1)
            self.norm.running_var.uniform_(0.5, 2)
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        return self.norm(self.conv(x)).relu()


def build():
    return Net()
