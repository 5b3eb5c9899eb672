"""transformers ViT (2 layers, hidden 32, patch 8 at 32x32): class token, scaled dot-product attention; last_hidden_state. Random weights built from a config (nothing downloaded), norm layers randomized and
BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import hf_model

INPUT_SHAPES = [[1, 3, 32, 32]]
SEED = 0


def build():
    return hf_model("ViTConfig", "ViTModel", INPUT_SHAPES[0], "last_hidden_state", token_ids=False, image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
