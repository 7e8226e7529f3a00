"""A classifier with a typo in forward: the failure is a bug, not a size, and shapetrace says so.

shapetrace examples/typo.py:Classifier --input 1,3,32,32
"""

from torch import nn


class Classifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(8, 10)

    def forward(self, x):
        features = self.body(x)
        return self.haed(features)  # the typo
