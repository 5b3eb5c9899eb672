"""transformers DistilBERT encoder (2 layers, hidden 32); last_hidden_state. Random weights built from a config (nothing downloaded), norm layers randomized.
Token ids: float inputs uniform in [0, VOCAB), truncated by `.long()` in the wrapper (see README, "Token ids")."""
from _families import hf_model

VOCAB = 100
INPUT_SHAPES = [[1, 8]]
INPUT_DISTRIBUTION = {"kind": "uniform", "low": 0, "high": VOCAB}
SEED = 0


def build():
    return hf_model("DistilBertConfig", "DistilBertModel", INPUT_SHAPES[0], "last_hidden_state", vocab_size=VOCAB, dim=32, n_layers=2, n_heads=2, hidden_dim=64, max_position_embeddings=32)
