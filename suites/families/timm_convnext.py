"""timm ConvNeXt (timm test_convnext: depthwise 7x7, LayerNorm2d / channels-last LayerNorm, layer scale). Random weights, 10 classes; norm layers
randomized and BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import timm_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return timm_model("test_convnext", INPUT_SHAPES[0])
