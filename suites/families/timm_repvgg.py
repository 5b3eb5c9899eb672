"""timm RepVGG-A0, training-time form (parallel 3x3, 1x1 and identity branches; timm ByobNet). Random weights, 10 classes; norm layers
randomized and BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import timm_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return timm_model("repvgg_a0", INPUT_SHAPES[0])
