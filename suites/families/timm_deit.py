"""timm DeiT-Tiny distilled with 2 blocks at 64x64 (class and distillation tokens, two heads averaged). Random weights, 10 classes; norm layers
randomized and BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import timm_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return timm_model("deit_tiny_distilled_patch16_224", INPUT_SHAPES[0], img_size=64, depth=2)
