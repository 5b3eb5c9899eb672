"""timm ReXNet at width 0.5 (inverted residuals with partial channel residual adds, ReLU6/SiLU, SE). Random weights, 10 classes; norm layers
randomized and BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import timm_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return timm_model("rexnet_100", INPUT_SHAPES[0], width_mult=0.5)
