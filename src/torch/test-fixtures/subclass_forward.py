import torch
import torch.nn as nn
import torch.nn.functional as F

INPUT_SHAPES = [[1, 4, 6, 6]]
SEED = 0


class LayerNorm2d(nn.LayerNorm):
    """Channels-first LayerNorm the way torchvision and timm write it: forward overridden."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)
        self.norm = LayerNorm2d(4)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        return self.norm(self.conv(x))


def build():
    return Net()
