"""timm FastViT-T8 with one block per stage (RepMixer token mixing, convolutional FFN, attention-free stages). Random weights, 10 classes; norm layers
randomized and BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import timm_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return timm_model("fastvit_t8", INPUT_SHAPES[0], layers=(1, 1, 1, 1))
