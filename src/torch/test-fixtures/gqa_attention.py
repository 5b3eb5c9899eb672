import torch
import torch.nn as nn
import torch.nn.functional as F

INPUT_SHAPES = [[1, 4, 5, 8], [1, 2, 5, 8], [1, 2, 5, 8]]
SEED = 0


class Attention(nn.Module):
    """Grouped-query attention as transformers' Llama calls it on torch 2.x: four query heads share two key/value
    heads (enable_gqa=True), which torch's TorchScript ONNX exporter has no conversion for."""

    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)


def build():
    return Attention()
