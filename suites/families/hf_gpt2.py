"""transformers GPT-2 causal decoder (2 layers, hidden 32): Conv1D projections, causal mask, GELU (tanh); logits. Random weights built from a config (nothing downloaded), norm layers randomized.
Token ids: float inputs uniform in [0, VOCAB), truncated by `.long()` in the wrapper (see README, "Token ids")."""
from _families import hf_model

VOCAB = 100
INPUT_SHAPES = [[1, 8]]
INPUT_DISTRIBUTION = {"kind": "uniform", "low": 0, "high": VOCAB}
SEED = 0


def build():
    return hf_model("GPT2Config", "GPT2LMHeadModel", INPUT_SHAPES[0], "logits", vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=2, n_positions=32, bos_token_id=0, eos_token_id=0)
