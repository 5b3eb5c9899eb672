"""Regenerates the Keras weight-transfer references in src/keras/fixtures/.

Run with Debian's interpreter (the one that has torch):  /usr/bin/python3 scripts/make_keras_references.py

For each small torch model it writes
  <name>.safetensors   the state_dict, written by hand below (no safetensors package here)
  <name>.input.npy     a seeded input in PyTorch's layout (NCHW / NCW / token ids)
  <name>.output.npy    the model's output on that input, in eval mode, float32
Normalization layers get non-trivial running statistics, gamma and beta so that a transfer that
drops or swaps them cannot pass. Every file stays a few KB so the fixtures can be committed.
"""
import json
import os
import struct

import numpy as np
import torch
from torch import nn

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'keras', 'fixtures')

SAFETENSORS_DTYPES = {
    torch.float32: ('F32', np.float32),
    torch.int64: ('I64', np.int64),
}


def write_safetensors(path, state_dict):
    """safetensors: u64 little-endian header length, JSON header, then the raw little-endian bytes."""
    header = {}
    chunks = []
    offset = 0
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().contiguous()
        code, np_dtype = SAFETENSORS_DTYPES[tensor.dtype]
        data = tensor.numpy().astype(np.dtype(np_dtype).newbyteorder('<')).tobytes()
        header[name] = {'dtype': code, 'shape': list(tensor.shape), 'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(',', ':')).encode('utf-8')
    header_bytes += b' ' * ((8 - len(header_bytes) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(header_bytes)))
        f.write(header_bytes)
        for chunk in chunks:
            f.write(chunk)


def randomize_norm_stats(model, generator):
    """Gives every BatchNorm non-trivial running mean/var and affine parameters."""
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = module.num_features
            module.running_mean.copy_(torch.randn(c, generator=generator) * 0.5)
            module.running_var.copy_(torch.rand(c, generator=generator) * 1.5 + 0.25)
            module.num_batches_tracked.fill_(17)
            if module.affine:
                module.weight.data.copy_(torch.rand(c, generator=generator) + 0.5)
                module.bias.data.copy_(torch.randn(c, generator=generator) * 0.3)
        if isinstance(module, nn.LayerNorm) and module.elementwise_affine:
            shape = module.normalized_shape
            module.weight.data.copy_(torch.rand(shape, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(shape, generator=generator) * 0.3)


class SeedConv(nn.Module):
    """The seed document's example: one 3x3 convolution without bias."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 1, 3, padding=1, bias=False)

    def forward(self, x):
        return self.conv(x)


class ConvNet(nn.Module):
    """Conv, depthwise (multiplier 2, stride 2), grouped 1x1, three BNs, ReLU6, Flatten, Linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=8)
        self.bn2 = nn.BatchNorm2d(16)
        self.gconv = nn.Conv2d(16, 8, 1, groups=4, bias=False)
        self.bn3 = nn.BatchNorm2d(8)
        self.pool = nn.AvgPool2d(4)
        self.fc = nn.Linear(8 * 2 * 2, 5)

    def forward(self, x):
        x = torch.clamp(self.bn1(self.conv1(x)), 0, 6)
        x = torch.clamp(self.bn2(self.dw(x)), 0, 6)
        x = torch.relu(self.bn3(self.gconv(x)))
        x = self.pool(x)
        return self.fc(torch.flatten(x, 1))


class Conv1dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(4, 8, 5, padding=2)
        self.bn1 = nn.BatchNorm1d(8)
        self.conv2 = nn.Conv1d(8, 6, 3, padding=1)

    def forward(self, x):
        return self.conv2(torch.relu(self.bn1(self.conv1(x))))


class TransposeNet(nn.Module):
    """ConvTranspose2d k2 s2 (UNet-style upsampling), then k4 s2 p1 (Keras 'same')."""

    def __init__(self):
        super().__init__()
        self.up1 = nn.ConvTranspose2d(4, 3, 2, stride=2)
        self.up2 = nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1)

    def forward(self, x):
        return self.up2(torch.relu(self.up1(x)))


class LayerNormNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(12, 16)
        self.norm = nn.LayerNorm(16)

    def forward(self, x):
        return self.norm(self.fc(x))


class EmbeddingNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 8)

    def forward(self, ids):
        return self.embed(ids)


class PReLUNet(nn.Module):
    """A per-channel PReLU after a conv, then a single shared PReLU."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.act1 = nn.PReLU(4)
        self.conv2 = nn.Conv2d(4, 2, 1)
        self.act2 = nn.PReLU()

    def forward(self, x):
        return self.act2(self.conv2(self.act1(self.conv(x))))


def make(name, model, example, generator):
    randomize_norm_stats(model, generator)
    for module in model.modules():
        if isinstance(module, nn.PReLU):
            module.weight.data.copy_(torch.rand(module.weight.shape, generator=generator) * 0.5 - 0.25)
    model.eval()
    with torch.no_grad():
        output = model(example)
    write_safetensors(os.path.join(OUT_DIR, f'{name}.safetensors'), model.state_dict())
    if name == 'seed_conv':
        # The same weights as a training checkpoint users actually hand us: torch.save of a dict
        # with the state_dict and metadata (read by the restricted unpickler, never executed).
        torch.save({'state_dict': model.state_dict(), 'epoch': 3, 'config': {'lr': 0.1}}, os.path.join(OUT_DIR, f'{name}.pth'))
    np.save(os.path.join(OUT_DIR, f'{name}.input.npy'), example.numpy())
    np.save(os.path.join(OUT_DIR, f'{name}.output.npy'), output.numpy().astype(np.float32))
    print(f'{name}: input {tuple(example.shape)} -> output {tuple(output.shape)}')


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1234)
    make('seed_conv', SeedConv(), torch.randn(1, 3, 32, 32, generator=g), g)
    make('convnet', ConvNet(), torch.randn(1, 3, 16, 16, generator=g), g)
    make('conv1d', Conv1dNet(), torch.randn(2, 4, 32, generator=g), g)
    make('conv_transpose', TransposeNet(), torch.randn(1, 4, 5, 5, generator=g), g)
    make('layer_norm', LayerNormNet(), torch.randn(2, 3, 12, generator=g), g)
    make('embedding', EmbeddingNet(), torch.randint(0, 20, (2, 7), generator=g), g)
    make('prelu', PReLUNet(), torch.randn(1, 3, 6, 6, generator=g), g)


if __name__ == '__main__':
    main()
