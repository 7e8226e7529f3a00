"""A model whose Conv2d subclass crops its output: shapetrace's cross-check catches it.

shapetrace examples/cropping_conv.py:net --input 1,3,8,8 --strict
"""

from torch import nn


class CroppingConv(nn.Conv2d):
    """Looks like a padded 3x3 Conv2d, but drops the last row and column of its output."""

    def forward(self, x):
        return super().forward(x)[..., :-1, :-1]


def net() -> nn.Module:
    return nn.Sequential(CroppingConv(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1))
