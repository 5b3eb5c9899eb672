"""transformers ConvNeXt (2 stages of one block, widths 16/32): channels-first LayerNorm, layer scale; last_hidden_state. Random weights built from a config (nothing downloaded), norm layers randomized and
BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import hf_model

INPUT_SHAPES = [[1, 3, 32, 32]]
SEED = 0


def build():
    return hf_model("ConvNextConfig", "ConvNextModel", INPUT_SHAPES[0], "last_hidden_state", token_ids=False, hidden_sizes=[16, 32], depths=[1, 1], num_stages=2)
