"""Reads tensor attributes: x.mT and x.T compute a tensor (recorded as nodes Tensor.mT / Tensor.T),
shape, dtype, device, requires_grad, is_leaf, grad and data only answer questions (not recorded)."""
import torch
import torch.nn as nn

INPUT_SHAPES = [[2, 3, 4]]
SEED = 0


class AttributeReads(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(3, 5)

    def forward(self, x):
        y = self.proj(x.mT)  # (2, 4, 5)
        assert y.shape[-1] == 5 and y.dtype == torch.float32 and y.device.type == "cpu" and y.ndim == 3
        _ = (y.requires_grad, y.is_leaf, y.grad, y.data.shape, y.layout)
        return y.mT.relu().T


def build():
    return AttributeReads()
