"""A ConvNeXt stage as torchvision writes it: the downsampling layer is torchvision's LayerNorm2d (a
subclass of nn.LayerNorm whose forward permutes to channels-last, calls F.layer_norm and permutes back)
followed by a 2x2 stride-2 convolution; each CNBlock is a depthwise 7x7 convolution, a Permute module,
LayerNorm, Linear 4x, GELU, Linear, a layer-scale parameter, a Permute back and the residual
(stochastic depth is the identity in eval). Written in plain torch: torchvision is not imported."""
import torch
import torch.nn as nn
import torch.nn.functional as F

import _paths  # noqa: F401
from _common import randomize_normalization

INPUT_SHAPES = [[1, 8, 16, 16]]
SEED = 0

DIM = 16


class LayerNorm2d(nn.LayerNorm):
    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class Permute(nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return torch.permute(x, self.dims)


class CNBlock(nn.Module):
    def __init__(self, dim, layer_scale=1e-1):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]),
            nn.LayerNorm(dim, eps=1e-6),
            nn.Linear(dim, 4 * dim),
            nn.GELU(),
            nn.Linear(4 * dim, dim),
            Permute([0, 3, 1, 2]),
        )
        self.layer_scale = nn.Parameter(torch.rand(dim, 1, 1) * layer_scale + layer_scale)

    def forward(self, x):
        return x + self.layer_scale * self.block(x)


class Stage(nn.Module):
    def __init__(self):
        super().__init__()
        self.downsample = nn.Sequential(LayerNorm2d(8, eps=1e-6), nn.Conv2d(8, DIM, kernel_size=2, stride=2))
        self.blocks = nn.Sequential(CNBlock(DIM), CNBlock(DIM))
        self.norm = LayerNorm2d(DIM, eps=1e-6)

    def forward(self, x):
        return self.norm(self.blocks(self.downsample(x)))


def build():
    return randomize_normalization(Stage())
