"""A residual block whose shortcut forgot the stride: the + fails, and shapetrace says why.

shapetrace examples/broken_residual.py:net --input 1,8,16,16
shapetrace examples/broken_residual.py:fixed --input 1,8,16,16 --functional --explain
"""

from torch import nn
from torch.nn import functional as F


class Residual(nn.Module):
    """Two 3x3 convs, the first with stride 2, added to the unchanged input: 8x8 + 16x16."""

    def __init__(self, channels: int = 8, shortcut: bool = False) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.shortcut = nn.Conv2d(channels, channels, 1, stride=2) if shortcut else None

    def forward(self, x):
        y = self.conv2(F.relu(self.conv1(x)))
        if self.shortcut is not None:
            x = self.shortcut(x)
        return F.relu(y + x)


def net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), Residual())


def fixed() -> nn.Module:
    """The same with a strided 1x1 convolution on the shortcut."""
    return nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), Residual(shortcut=True))
