"""One Swin Transformer block with a shifted window, as the reference implementation writes it, on a
channels-last (B, H, W, C) map: LayerNorm, the cyclic shift torch.roll(x, (-s, -s), (1, 2)), window
partition (view / permute / view), window attention (qkv Linear, heads, scaled q @ k^T, a learned relative
position bias gathered with a constant index, the shifted-window attention mask, softmax, @ v, proj),
window reverse, the reverse roll, the residual, and a LayerNorm + MLP with its residual."""
import torch
import torch.nn as nn

import _paths  # noqa: F401
from _common import randomize_normalization

INPUT_SHAPES = [[1, 8, 8, 16]]
SEED = 0

DIM, HEADS, WINDOW, SHIFT = 16, 2, 4, 2


def window_partition(x, w):
    b, h, wd, c = x.shape
    x = x.view(b, h // w, w, wd // w, w, c)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, w * w, c)


def window_reverse(windows, w, h, wd):
    b = windows.shape[0] // ((h // w) * (wd // w))
    x = windows.view(b, h // w, wd // w, w, w, -1)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(b, h, wd, -1)


def shifted_window_mask(h, wd, w, s):
    region = torch.zeros(1, h, wd, 1)
    count = 0
    for hs in (slice(0, -w), slice(-w, -s), slice(-s, None)):
        for ws in (slice(0, -w), slice(-w, -s), slice(-s, None)):
            region[:, hs, ws, :] = count
            count += 1
    ids = window_partition(region, w).squeeze(-1)
    mask = ids.unsqueeze(1) - ids.unsqueeze(2)
    return mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)


def relative_position_index(w):
    coords = torch.stack(torch.meshgrid(torch.arange(w), torch.arange(w), indexing="ij")).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (w - 1)
    return rel[:, :, 0] * (2 * w - 1) + rel[:, :, 1]


class WindowAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(DIM, 3 * DIM)
        self.proj = nn.Linear(DIM, DIM)
        self.bias_table = nn.Parameter(torch.randn((2 * WINDOW - 1) ** 2, HEADS) * 0.2)
        self.register_buffer("index", relative_position_index(WINDOW).flatten())
        self.scale = (DIM // HEADS) ** -0.5

    def forward(self, x, mask):
        bw, n, c = x.shape
        qkv = self.qkv(x).reshape(bw, n, 3, HEADS, c // HEADS).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * self.scale) @ k.transpose(-2, -1)
        bias = self.bias_table[self.index].view(n, n, HEADS).permute(2, 0, 1)
        attn = attn + bias.unsqueeze(0)
        windows = mask.shape[0]
        attn = attn.view(bw // windows, windows, HEADS, n, n) + mask.unsqueeze(1).unsqueeze(0)
        attn = attn.view(-1, HEADS, n, n).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(bw, n, c))


class SwinBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(DIM)
        self.attn = WindowAttention()
        self.norm2 = nn.LayerNorm(DIM)
        self.mlp = nn.Sequential(nn.Linear(DIM, 2 * DIM), nn.GELU(), nn.Linear(2 * DIM, DIM))
        self.register_buffer("mask", shifted_window_mask(8, 8, WINDOW, SHIFT))

    def forward(self, x):
        b, h, w, c = x.shape
        shifted = torch.roll(self.norm1(x), shifts=(-SHIFT, -SHIFT), dims=(1, 2))
        windows = self.attn(window_partition(shifted, WINDOW), self.mask)
        y = torch.roll(window_reverse(windows, WINDOW, h, w), shifts=(SHIFT, SHIFT), dims=(1, 2))
        x = x + y
        return x + self.mlp(self.norm2(x))


def build():
    return randomize_normalization(SwinBlock())
