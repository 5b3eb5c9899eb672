"""timm DenseNet with growth rate 8 and two layers per dense block (concatenation, pre-activation BatchNormAct2d). Random weights, 10 classes; norm layers
randomized and BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import timm_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return timm_model("densenet121", INPUT_SHAPES[0], growth_rate=8, block_config=(2, 2, 2, 2))
