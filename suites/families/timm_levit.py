"""timm LeViT-128S at 64x64 (attention with learned biases, hard-swish, BatchNorm on linear layers). Random weights, 10 classes; norm layers
randomized and BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import timm_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return timm_model("levit_128s", INPUT_SHAPES[0], img_size=64)
