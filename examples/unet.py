"""A small U-Net for segmentation: two down steps, two up steps with transposed convolutions,
and skip connections concatenated on the way up.

    shapetrace examples/unet.py:UNet --input 1,3,64,64
    shapetrace examples/unet.py:UNet --input 1,3,62,62      # a size the skips cannot take
"""

import torch
from torch import nn


def double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 3, padding=1),
        nn.ReLU(),
    )


class UNet(nn.Module):
    """Encoder 16-32-64 channels, decoder back to 16, one output channel per class."""

    def __init__(self, in_channels: int = 3, classes: int = 2, width: int = 16) -> None:
        super().__init__()
        self.down1 = double_conv(in_channels, width)
        self.down2 = double_conv(width, 2 * width)
        self.bottom = double_conv(2 * width, 4 * width)
        self.pool = nn.MaxPool2d(2)
        self.up2 = nn.ConvTranspose2d(4 * width, 2 * width, 2, stride=2)
        self.decode2 = double_conv(4 * width, 2 * width)
        self.up1 = nn.ConvTranspose2d(2 * width, width, 2, stride=2)
        self.decode1 = double_conv(2 * width, width)
        self.head = nn.Conv2d(width, classes, 1)

    def forward(self, x):
        skip1 = self.down1(x)
        skip2 = self.down2(self.pool(skip1))
        x = self.bottom(self.pool(skip2))
        x = self.decode2(torch.cat((self.up2(x), skip2), dim=1))
        x = self.decode1(torch.cat((self.up1(x), skip1), dim=1))
        return self.head(x)
