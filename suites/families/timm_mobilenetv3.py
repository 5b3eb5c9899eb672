"""timm MobileNetV3-Small 0.5 (hard-swish, hard-sigmoid squeeze-excitation, BatchNormAct2d). Random weights, 10 classes; norm layers
randomized and BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import timm_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return timm_model("mobilenetv3_small_050", INPUT_SHAPES[0])
