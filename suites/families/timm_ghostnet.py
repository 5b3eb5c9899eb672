"""timm GhostNet 0.5 (ghost modules: cheap depthwise features concatenated and sliced). Random weights, 10 classes; norm layers
randomized and BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import timm_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return timm_model("ghostnet_050", INPUT_SHAPES[0])
