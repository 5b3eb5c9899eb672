"""timm CoAtNet (timm test_coatnet: MBConv stages then relative-position transformer stages). Random weights, 10 classes; norm layers
randomized and BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import timm_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return timm_model("test_coatnet", INPUT_SHAPES[0], img_size=64)
