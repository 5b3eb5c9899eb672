"""timm Inception-v3 (factorized 7x1/1x7 branches, pooling branches), at its smallest input 75x75. Random weights, 10 classes; norm layers
randomized and BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import timm_model

INPUT_SHAPES = [[1, 3, 75, 75]]
SEED = 0


def build():
    return timm_model("inception_v3", INPUT_SHAPES[0])
