"""A classifier whose middle block is compiled with TorchScript. The block takes no hooks, so shapetrace
lists the layers around it and counts the MACs of the whole pass per operator instead.

    shapetrace examples/scripted_block.py:Classifier --input 1,3,32,32
"""

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Classifier(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.block = torch.jit.script(Block(16))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(16, num_classes)

    def forward(self, x):
        return self.head(self.pool(self.block(self.stem(x))).flatten(1))
