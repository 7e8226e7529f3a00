"""A layer of your own with its shape rule: anti-aliased downsampling (Zhang, "Making Convolutional
Networks Shift-Invariant Again", 2019) blurs with a fixed 3×3 binomial filter, then subsamples.

shapetrace examples/blur_pool.py:BlurNet --input 1,3,32,32 --explain
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

import shapetrace
from shapetrace import Call, Derivation, Refusal


class BlurPool(nn.Module):
    """Reflection-pad by 1, blur each channel with [1, 2, 1]ᵀ[1, 2, 1]/16, keep every `stride`-th pixel."""

    kernel_size, padding = 3, 1  # the blur's window

    def __init__(self, channels: int, stride: int = 2) -> None:
        super().__init__()
        self.channels, self.stride = channels, stride
        row = torch.tensor([1.0, 2.0, 1.0])
        self.register_buffer("kernel", (row[:, None] * row[None, :] / 16).expand(channels, 1, 3, 3).clone())

    def forward(self, x):
        padded = F.pad(x, (1, 1, 1, 1), mode="reflect")
        return F.conv2d(padded, self.kernel, stride=self.stride, groups=self.channels)


@shapetrace.shape_rule(
    BlurPool,
    attributes=("channels", "kernel_size", "stride", "padding"),
    explain="h' = ⌊({h} + 2·{padding} − {kernel_size})/{stride}⌋ + 1 = {out_h}; "
    "w' = ⌊({w} + 2·{padding} − {kernel_size})/{stride}⌋ + 1 = {out_w}",
    macs=lambda call: math.prod(call.outputs[0]) * 9,  # one 3×3 window per output value
    field="window",  # a receptive field grows through it as through a 3×3 pool
)
def blur_pool_shape(call: Call) -> Derivation:
    shape = call.inputs[0]
    if len(shape) not in (3, 4):
        raise Refusal(f"BlurPool expects (C, H, W) or (N, C, H, W), got {list(shape)}")
    *batch, channels, h, w = shape
    if channels != call.attributes["channels"]:
        raise Refusal(f"BlurPool expects {call.attributes['channels']} channels, got {channels}")
    if min(h, w) < 2:
        raise Refusal(f"reflection padding needs at least 2×2 pixels, got {h}×{w}")
    stride = call.attributes["stride"]
    out_h, out_w = (h - 1) // stride + 1, (w - 1) // stride + 1
    values = {"h": h, "w": w, "out_h": out_h, "out_w": out_w}
    return Derivation(((*batch, channels, out_h, out_w),), values=values)


class BlurNet(nn.Module):
    """A small classifier that downsamples with BlurPool instead of strided pooling."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), BlurPool(16),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), BlurPool(32),
        )  # fmt: skip
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, classes))

    def forward(self, x):
        return self.head(self.features(x))
