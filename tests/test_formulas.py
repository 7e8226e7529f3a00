"""The calculator against PyTorch: the same size where PyTorch succeeds, ValueError where it raises.
The whole rules of these layers, over 1d/2d/3d configurations, are property-tested in test_rules.py."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

from shapetrace import formulas

# The settings come from shapetrace.testing, as users' property tests draw them: sizes 1-24, kernels
# 1-7, strides 1-4, paddings 0-4 (beyond what pools accept, for their refusals), dilations 1-3.
from shapetrace.testing import dilations, kernels, paddings, sizes, strides


def torch_size(call) -> int | None:
    """The last dimension PyTorch computes, or None where it raises."""
    try:
        with torch.no_grad():
            return call().shape[-1]
    except (RuntimeError, ValueError):
        return None


def ours(call) -> int | None:
    try:
        return call()
    except ValueError:
        return None


def both(theirs, mine) -> None:
    expected = torch_size(theirs)
    assert ours(mine) == expected


@given(st.integers(1, 3), sizes, kernels, strides, paddings, dilations)
def test_conv_out(dims, size, kernel, stride, padding, dilation):
    conv = (F.conv1d, F.conv2d, F.conv3d)[dims - 1]
    x = torch.zeros((1, 1) + (size,) * dims)
    w = torch.zeros((1, 1) + (kernel,) * dims)
    both(
        lambda: conv(x, w, stride=stride, padding=padding, dilation=dilation),
        lambda: formulas.conv_out(size, kernel, stride, padding, dilation),
    )


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@given(sizes, kernels, st.sampled_from(["same", "valid"]), strides, dilations)
def test_conv_out_string_padding(size, kernel, padding, stride, dilation):
    x, w = torch.zeros(1, 1, size), torch.zeros(1, 1, kernel)
    both(
        lambda: F.conv1d(x, w, stride=stride, padding=padding, dilation=dilation),
        lambda: formulas.conv_out(size, kernel, stride, padding, dilation),
    )


@given(st.integers(1, 3), st.integers(1, 10), kernels, strides, paddings, st.integers(0, 3), dilations)
def test_conv_transpose_out(dims, size, kernel, stride, padding, output_padding, dilation):
    conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[dims - 1]
    x = torch.zeros((1, 1) + (size,) * dims)
    w = torch.zeros((1, 1) + (kernel,) * dims)
    # An output of size exactly 0: the 1d path refuses it, the 2d/3d CPU (oneDNN) path returns an
    # empty tensor; shapetrace refuses it everywhere.
    assume((size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1 != 0 or dims == 1)
    both(
        lambda: conv(x, w, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation),
        lambda: formulas.conv_transpose_out(size, kernel, stride, padding, output_padding, dilation),
    )


@given(st.integers(1, 3), sizes, kernels, st.none() | strides, paddings, dilations, st.booleans())
def test_max_pool_out(dims, size, kernel, stride, padding, dilation, ceil_mode):
    pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[dims - 1]
    x = torch.zeros((1, 1) + (size,) * dims)
    both(
        lambda: pool(x, kernel, stride, padding, dilation, ceil_mode=ceil_mode),
        lambda: formulas.pool_out(size, kernel, stride, padding, dilation, ceil_mode),
    )


@given(st.integers(1, 3), sizes, kernels, st.none() | strides, paddings, st.booleans())
def test_avg_pool_out(dims, size, kernel, stride, padding, ceil_mode):
    pool = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[dims - 1]
    x = torch.zeros((1, 1) + (size,) * dims)
    both(
        lambda: pool(x, kernel, stride, padding, ceil_mode=ceil_mode),
        lambda: formulas.avg_pool_out(size, kernel, stride, padding, ceil_mode, kernel_must_fit=dims == 3),
    )


@given(st.integers(1, 2), sizes, kernels, st.none() | strides, st.booleans())
def test_lp_pool_out(dims, size, kernel, stride, ceil_mode):
    pool = (F.lp_pool1d, F.lp_pool2d)[dims - 1]
    x = torch.zeros((1, 1) + (size,) * dims)
    both(
        lambda: pool(x, 2.0, kernel, stride, ceil_mode=ceil_mode),
        lambda: formulas.avg_pool_out(size, kernel, stride, 0, ceil_mode),
    )


@given(sizes, st.none() | st.integers(1, 30))
def test_adaptive_out(size, output_size):
    x = torch.zeros(1, 1, size)
    both(
        lambda: F.adaptive_avg_pool1d(x, output_size if output_size is not None else size),
        lambda: formulas.adaptive_out(size, output_size),
    )


def test_the_seed_arithmetic():
    assert formulas.conv_out(224, 11, 4, 1) == 54  # AlexNet's first convolution
    assert formulas.pool_out(54, 3, 2) == 26
    assert formulas.pool_out(12, 3, 2) == 5
    assert formulas.conv_out(28, 5, 1, 2) == 28  # LeNet: h' = 28 - 5 + 1 + 4
    assert formulas.conv_out(14, 5) == 10


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: formulas.conv_out(5, 7), "smaller than the kernel's span"),
        (lambda: formulas.conv_out(5, 3, padding=-1), "negative padding"),
        (lambda: formulas.conv_out(5, 3, stride=0), "stride must be at least 1"),
        (lambda: formulas.conv_out(5, 3, stride=2, padding="same"), "not supported for strided"),
        (lambda: formulas.pool_out(5, 3, 1, 2), "at most half of the kernel size"),
        (lambda: formulas.pool_out(2, 3), "does not fit"),
        (lambda: formulas.conv_transpose_out(5, 3, 1, 0, 1), "must be smaller than either stride"),
        (lambda: formulas.conv_transpose_out(1, 1, 1, 3), "is below 1"),
    ],
)
def test_refusals_are_readable(call, words):
    with pytest.raises(ValueError, match=words):
        call()
