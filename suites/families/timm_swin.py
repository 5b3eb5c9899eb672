"""timm Swin with two small stages at 64x64 (shifted windows: torch.roll, window partition, relative position bias). Random weights, 10 classes; norm layers
randomized and BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import timm_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return timm_model("swin_tiny_patch4_window7_224", INPUT_SHAPES[0], img_size=64, embed_dim=32, depths=(2, 2), num_heads=(2, 4), window_size=4)
