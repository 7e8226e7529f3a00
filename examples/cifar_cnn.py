"""A small CNN for CIFAR-10-sized input (3 x 32 x 32), to trace with shapetrace.

shapetrace examples/cifar_cnn.py:CifarCNN --input 1,3,32,32
shapetrace examples/cifar_cnn.py:CifarCNN --input 1,3,32,32 --kwargs '{"num_classes": 100}'
"""

from torch import nn


class CifarCNN(nn.Module):
    """Three conv stages (32, 64, 128 channels), each halving the image, then a two-layer head."""

    def __init__(self, num_classes: int = 10, width: int = 32) -> None:
        super().__init__()
        self.features = nn.Sequential(
            self._stage(3, width),
            self._stage(width, 2 * width),
            self._stage(2 * width, 4 * width),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(4 * width * 4 * 4, 256),
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(256, num_classes),
        )

    @staticmethod
    def _stage(in_channels: int, out_channels: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )

    def forward(self, x):
        return self.head(self.features(x))


def small_cifar_cnn(num_classes: int = 10) -> nn.Module:
    """A factory: the same network at half the width."""
    return CifarCNN(num_classes=num_classes, width=16)
