"""The analytic calculator: shape, parameter and MAC arithmetic in pure Python (never imports torch)."""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

__all__ = [
    "numel",
    "conv_macs",
    "conv_transpose_macs",
    "linear_macs",
    "bilinear_macs",
    "conv_params",
    "linear_params",
]

Shape = tuple[int, ...]


def numel(shape: Sequence[int]) -> int:
    """Number of elements of a tensor of this shape."""
    return prod(shape)


def conv_macs(output_shape: Sequence[int], in_channels: int, groups: int, kernel_size: Sequence[int]) -> int:
    """MACs of a convolution: each output element sums (in_channels / groups) * kernel products."""
    return numel(output_shape) * (in_channels // groups) * prod(kernel_size)


def conv_transpose_macs(
    input_shape: Sequence[int], out_channels: int, groups: int, kernel_size: Sequence[int]
) -> int:
    """MACs of a transposed convolution: each input element scatters into (out/groups) * kernel outputs."""
    return numel(input_shape) * (out_channels // groups) * prod(kernel_size)


def linear_macs(output_shape: Sequence[int], in_features: int) -> int:
    """MACs of a Linear layer on input of any rank: every output element is a dot of length in_features."""
    return numel(output_shape) * in_features


def bilinear_macs(output_shape: Sequence[int], in1_features: int, in2_features: int) -> int:
    """MACs of x1^T A x2 per output element, counted as in1 * in2 products (the x1^T A step dominates)."""
    return numel(output_shape) * in1_features * in2_features


def conv_params(
    in_channels: int,
    out_channels: int,
    kernel_size: Sequence[int],
    groups: int = 1,
    bias: bool = True,
) -> int:
    """Parameters of a Conv layer: out * (in / groups) * prod(kernel) weights, plus out biases."""
    return out_channels * (in_channels // groups) * prod(kernel_size) + (out_channels if bias else 0)


def linear_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """Parameters of a Linear layer: in * out weights, plus out biases."""
    return in_features * out_features + (out_features if bias else 0)
