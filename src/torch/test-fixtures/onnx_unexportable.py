# A model whose torch.onnx.export (torch 1.13) writes the file and then fails its check: amin over
# every axis (an empty `axes` attribute).
import torch

INPUT_SHAPES = [[2, 3]]


class Model(torch.nn.Module):
    def forward(self, x):
        return x.amin()


def build():
    return Model()
