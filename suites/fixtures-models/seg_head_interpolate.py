"""A segmentation model in the shape of torchvision's LRASPP: a small backbone giving a stride-4 "low"
and a stride-8 "high" feature map, the head's conv-BN-ReLU branch gated by a global-pool sigmoid scale,
upsampled with F.interpolate(size=low.shape[-2:]) to the low features' size, two classifiers summed, and
the logits upsampled to the input's own size with F.interpolate(size=x.shape[-2:]) (the pattern of
torchvision's LRASPP and DeepLabV3 forward)."""
import torch.nn as nn
import torch.nn.functional as F

import _paths  # noqa: F401
from _common import randomize_normalization

INPUT_SHAPES = [[1, 3, 32, 32]]
SEED = 0
INPUT_DISTRIBUTION = "image"

CLASSES = 5


def conv_bn_relu(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class LRASPPHead(nn.Module):
    def __init__(self, low_channels, high_channels, inter_channels):
        super().__init__()
        self.cbr = nn.Sequential(nn.Conv2d(high_channels, inter_channels, 1, bias=False), nn.BatchNorm2d(inter_channels), nn.ReLU(inplace=True))
        self.scale = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(high_channels, inter_channels, 1, bias=False), nn.Sigmoid())
        self.low_classifier = nn.Conv2d(low_channels, CLASSES, 1)
        self.high_classifier = nn.Conv2d(inter_channels, CLASSES, 1)

    def forward(self, low, high):
        x = self.cbr(high)
        x = x * self.scale(high)
        x = F.interpolate(x, size=low.shape[-2:], mode="bilinear", align_corners=False)
        return self.low_classifier(low) + self.high_classifier(x)


class Segmenter(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(conv_bn_relu(3, 8, 2), conv_bn_relu(8, 8, 2))  # stride 4
        self.deep = nn.Sequential(conv_bn_relu(8, 16, 2), conv_bn_relu(16, 16, 1))  # stride 8
        self.head = LRASPPHead(8, 16, 12)

    def forward(self, x):
        low = self.stem(x)
        high = self.deep(low)
        out = self.head(low, high)
        return F.interpolate(out, size=x.shape[-2:], mode="bilinear", align_corners=False)


def build():
    return randomize_normalization(Segmenter())
