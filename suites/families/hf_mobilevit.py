"""transformers MobileViT (small widths): unfold into patches, transformer, fold back; pooler_output. Random weights built from a config (nothing downloaded), norm layers randomized and
BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import hf_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return hf_model("MobileViTConfig", "MobileViTModel", INPUT_SHAPES[0], "pooler_output", token_ids=False, image_size=64, hidden_sizes=[32, 48, 64], neck_hidden_sizes=[8, 16, 24, 32, 48, 64, 128], num_attention_heads=2)
