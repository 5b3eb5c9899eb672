"""A residual block with GroupNorm, as in diffusion U-Nets and detection heads: GroupNorm, SiLU, 3x3
conv, GroupNorm, SiLU, 3x3 conv, and a 1x1 conv on the skip path where the width changes; then a
second block at the same width (identity skip) and a GroupNorm with one group (LayerNorm over C, H, W)."""
import torch.nn as nn
import torch.nn.functional as F

import _paths  # noqa: F401
from _common import randomize_normalization

INPUT_SHAPES = [[2, 8, 8, 8]]
SEED = 0


class ResBlock(nn.Module):
    def __init__(self, cin, cout, groups=4):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class GroupNormNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.block1 = ResBlock(8, 16)
        self.block2 = ResBlock(16, 16)
        self.out_norm = nn.GroupNorm(1, 16)

    def forward(self, x):
        return self.out_norm(self.block2(self.block1(x)))


def build():
    return randomize_normalization(GroupNormNet())
