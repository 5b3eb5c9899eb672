"""timm EfficientNet (timm test_efficientnet: MBConv and depthwise-separable blocks, SiLU, squeeze-excitation; BatchNormAct2d). Random weights, 10 classes; norm layers
randomized and BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import timm_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return timm_model("test_efficientnet", INPUT_SHAPES[0])
