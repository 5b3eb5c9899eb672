"""timm DLA-46-C (deep layer aggregation: tree of aggregation nodes, concatenations). Random weights, 10 classes; norm layers
randomized and BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import timm_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return timm_model("dla46_c", INPUT_SHAPES[0])
