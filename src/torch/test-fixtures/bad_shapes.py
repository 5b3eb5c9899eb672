import torch.nn as nn

INPUT_SHAPES = [[1, -3]]


def build():
    return nn.Identity()
