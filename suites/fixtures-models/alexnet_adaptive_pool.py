"""AlexNet's shape at a small input: three conv/ReLU/max-pool stages bring 64x64 down to 1x1, then
AdaptiveAvgPool2d((6, 6)) pools to a size that does not divide the input (here larger than it: every
output cell repeats the single input cell), flatten, and the dropout/Linear/ReLU classifier."""
import torch
import torch.nn as nn

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0
INPUT_DISTRIBUTION = "image"


class AlexNetSmall(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(8, 16, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(16, 16, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=0.5),
            nn.Linear(16 * 6 * 6, 32),
            nn.ReLU(inplace=True),
            nn.Dropout(p=0.5),
            nn.Linear(32, 10),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def build():
    return AlexNetSmall()
