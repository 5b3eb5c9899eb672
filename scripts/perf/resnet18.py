"""torchvision's resnet18 (random weights, BatchNorm statistics re-estimated), 1x3x64x64."""
from _torchvision import INPUT_SHAPES, SEED, build_torchvision  # noqa: F401


def build():
    return build_torchvision("resnet18")
