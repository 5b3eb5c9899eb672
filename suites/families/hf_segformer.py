"""transformers SegFormer (2 encoder stages, spatial-reduction attention, all-MLP decoder with interpolation to a common size); logits. Random weights built from a config (nothing downloaded), norm layers randomized and
BatchNorm statistics re-estimated on random inputs (see _families.py)."""
from _families import hf_model

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


def build():
    return hf_model("SegformerConfig", "SegformerForSemanticSegmentation", INPUT_SHAPES[0], "logits", token_ids=False, num_encoder_blocks=2, depths=[1, 1], sr_ratios=[2, 1], hidden_sizes=[16, 32], patch_sizes=[7, 3], strides=[4, 2], num_attention_heads=[1, 2], mlp_ratios=[2, 2], decoder_hidden_size=32, num_labels=4)
