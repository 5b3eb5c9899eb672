"""transformers T5 encoder (2 layers, d_model 32): RMS LayerNorm, relative position buckets, no attention scaling; last_hidden_state. Random weights built from a config (nothing downloaded), norm layers randomized.
Token ids: float inputs uniform in [0, VOCAB), truncated by `.long()` in the wrapper (see README, "Token ids")."""
from _families import hf_model

VOCAB = 100
INPUT_SHAPES = [[1, 8]]
INPUT_DISTRIBUTION = {"kind": "uniform", "low": 0, "high": VOCAB}
SEED = 0


def build():
    return hf_model("T5Config", "T5EncoderModel", INPUT_SHAPES[0], "last_hidden_state", vocab_size=VOCAB, d_model=32, d_kv=16, d_ff=64, num_layers=2, num_heads=2)
