"""A token classifier built the way a new user writes one: a Linear embedding plus a learned position
table, then nn.TransformerEncoder made of two nn.TransformerEncoderLayer (batch_first, ReLU feed-forward,
dropout 0, a final LayerNorm), mean pooling over tokens and a Linear head. The encoder classes come
straight from torch.nn, not a subclass."""
import torch
import torch.nn as nn

import _paths  # noqa: F401
from _common import randomize_normalization

INPUT_SHAPES = [[2, 6, 12]]
SEED = 0

D_MODEL = 16


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(12, D_MODEL)
        self.position = nn.Parameter(torch.randn(1, 6, D_MODEL) * 0.1)
        layer = nn.TransformerEncoderLayer(d_model=D_MODEL, nhead=2, dim_feedforward=32, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(D_MODEL))
        self.head = nn.Linear(D_MODEL, 4)

    def forward(self, x):
        tokens = self.encoder(self.embed(x) + self.position)
        return self.head(tokens.mean(dim=1))


def build():
    return randomize_normalization(Classifier())
