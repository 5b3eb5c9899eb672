"""transformers Llama causal decoder (2 layers, hidden 32, 2 query heads sharing 1 key/value head): RMSNorm, rotary position embeddings, causal mask, SwiGLU; logits. Random weights built from a config (nothing downloaded), norm layers randomized.
Token ids: float inputs uniform in [0, VOCAB), truncated by `.long()` in the wrapper (see README, "Token ids")."""
from _families import hf_model

VOCAB = 100
INPUT_SHAPES = [[1, 8]]
INPUT_DISTRIBUTION = {"kind": "uniform", "low": 0, "high": VOCAB}
SEED = 0


def build():
    return hf_model("LlamaConfig", "LlamaForCausalLM", INPUT_SHAPES[0], "logits", vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, max_position_embeddings=32, num_key_value_heads=1, head_dim=16, bos_token_id=0, eos_token_id=0, pad_token_id=0)
