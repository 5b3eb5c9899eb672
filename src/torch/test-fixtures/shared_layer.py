import torch
import torch.nn as nn

INPUT_SHAPES = [[1, 6, 8]]
SEED = 0


class Net(nn.Module):
    """One layer applied three times (ALBERT shares its transformer layer across the depth)."""

    def __init__(self):
        super().__init__()
        self.shared = nn.Linear(8, 8)

    def forward(self, x):
        for _ in range(3):
            x = torch.tanh(self.shared(x)) + x
        return x


def build():
    return Net()
