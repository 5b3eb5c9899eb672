import torch
import torch.nn as nn

INPUT_SHAPES = [[1, 5, 4]]
SEED = 0


class Net(nn.Module):
    """Appends the new keys to an empty key cache, as transformers' DynamicCache does on the first call."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x):
        cache = torch.zeros(1, 0, 4)
        keys = torch.cat([cache, self.proj(x)], dim=-2)
        return torch.cat((keys, torch.zeros(1, 0, 4), x), dim=1) * 2


def build():
    return Net()
