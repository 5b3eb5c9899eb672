"""timm RegNetX-200MF (grouped convolutions, ResNet-style stages). Random weights, 10 classes; norm layers
randomized and BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import timm_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return timm_model("regnetx_002", INPUT_SHAPES[0])
