"""The analytic calculator: shape, parameter and MAC arithmetic in pure Python (never imports torch).

Each size function works on one spatial dimension and agrees with PyTorch for every argument
PyTorch accepts; where PyTorch refuses, it raises ValueError with a message in the user's terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

__all__ = [
    "conv_out",
    "conv_transpose_out",
    "pool_out",
    "avg_pool_out",
    "adaptive_out",
    "same_padding",
    "numel",
    "conv_macs",
    "conv_transpose_macs",
    "linear_macs",
    "bilinear_macs",
    "conv_params",
    "linear_params",
    "embedding_params",
    "norm_params",
    "recurrent_params",
    "attention_params",
]

Shape = tuple[int, ...]


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _check_window(kernel: int, stride: int, dilation: int) -> None:
    _require(kernel >= 1, f"kernel size must be at least 1, got {kernel}")
    _require(stride >= 1, f"stride must be at least 1, got {stride}")
    _require(dilation >= 1, f"dilation must be at least 1, got {dilation}")


def same_padding(kernel: int, dilation: int = 1) -> tuple[int, int]:
    """(left, right) padding of padding='same': the total d*(k-1), the extra element on the right."""
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


def conv_out(size: int, kernel: int, stride: int = 1, padding: int | str = 0, dilation: int = 1) -> int:
    """Output size of a convolution: floor((size + 2*padding - dilation*(kernel-1) - 1) / stride) + 1.

    `padding` may be 'valid' (0) or 'same' (output = input; PyTorch allows it only with stride 1).
    """
    _check_window(kernel, stride, dilation)
    _require(size >= 1, f"input size must be at least 1, got {size}")
    if padding == "valid":
        padding = 0
    if padding == "same":
        _require(stride == 1, "padding='same' is not supported for strided convolutions")
        return size
    _require(isinstance(padding, int), f"padding must be an integer, 'same' or 'valid', got {padding!r}")
    _require(padding >= 0, f"negative padding is not supported, got {padding}")
    padded = size + 2 * padding
    span = dilation * (kernel - 1) + 1
    _require(
        padded >= span,
        f"the padded input ({size} + 2*{padding} = {padded}) is smaller than the kernel's span "
        f"({dilation}*({kernel}-1) + 1 = {span})",
    )
    return (padded - span) // stride + 1


def conv_transpose_out(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output size of a transposed convolution:
    (size - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1."""
    _check_window(kernel, stride, dilation)
    _require(size >= 1, f"input size must be at least 1, got {size}")
    _require(padding >= 0, f"negative padding is not supported, got {padding}")
    _require(output_padding >= 0, f"negative output_padding is not supported, got {output_padding}")
    _require(
        output_padding < stride or output_padding < dilation,
        f"output_padding ({output_padding}) must be smaller than either stride ({stride}) "
        f"or dilation ({dilation})",
    )
    result = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    _require(
        result >= 1,
        f"output size ({size}-1)*{stride} - 2*{padding} + {dilation}*({kernel}-1) + {output_padding} + 1 "
        f"= {result} is below 1",
    )
    return result


def _pooled(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape: with ceil_mode the last window must start inside the input
    or the left padding, else it is dropped."""
    span = dilation * (kernel - 1) + 1
    numerator = size + 2 * padding - span + (stride - 1 if ceil_mode else 0)
    result = numerator // stride + 1
    if ceil_mode and (result - 1) * stride >= size + padding:
        result -= 1
    _require(
        result >= 1,
        f"output size floor(({size} + 2*{padding} - {span}{f' + {stride - 1}' if ceil_mode else ''})"
        f"/{stride}) + 1 = {result} is below 1: the window ({span}) does not fit in the padded input "
        f"({size + 2 * padding})",
    )
    return result


def pool_out(
    size: int,
    kernel: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output size of a max pool (stride defaults to the kernel size, as in PyTorch).

    PyTorch's CPU and CUDA kernels require padding <= kernel // 2, whatever the dilation.
    """
    stride = kernel if stride is None else stride
    _check_window(kernel, stride, dilation)
    _require(size >= 1, f"input size must be at least 1, got {size}")
    _require(padding >= 0, f"negative padding is not supported, got {padding}")
    _require(
        padding <= kernel // 2, f"padding ({padding}) should be at most half of the kernel size ({kernel})"
    )
    return _pooled(size, kernel, stride, padding, dilation, ceil_mode)


def avg_pool_out(
    size: int,
    kernel: int,
    stride: int | None = None,
    padding: int = 0,
    ceil_mode: bool = False,
    kernel_must_fit: bool = False,
) -> int:
    """Output size of an average or power-average pool: no dilation, padding <= kernel // 2.

    `kernel_must_fit`: AvgPool3d also refuses an (unpadded) input smaller than the kernel.
    """
    stride = kernel if stride is None else stride
    _check_window(kernel, stride, 1)
    _require(size >= 1, f"input size must be at least 1, got {size}")
    if kernel_must_fit:
        _require(size >= kernel, f"the input ({size}) is smaller than the kernel ({kernel})")
    _require(padding >= 0, f"negative padding is not supported, got {padding}")
    _require(
        padding <= kernel // 2, f"padding ({padding}) should be at most half of the kernel size ({kernel})"
    )
    return _pooled(size, kernel, stride, padding, 1, ceil_mode)


def adaptive_out(size: int, output_size: int | None) -> int:
    """Output size of an adaptive pool: the requested size, or the input's where it is None."""
    _require(size >= 1, f"input size must be at least 1, got {size}")
    if output_size is None:
        return size
    _require(output_size >= 0, f"output size must not be negative, got {output_size}")
    return output_size


def numel(shape: Sequence[int]) -> int:
    """Number of elements of a tensor of this shape."""
    return prod(shape)


def conv_macs(output_shape: Sequence[int], in_channels: int, groups: int, kernel_size: Sequence[int]) -> int:
    """MACs of a convolution: each output element sums (in_channels / groups) * kernel products."""
    return numel(output_shape) * (in_channels // groups) * prod(kernel_size)


def conv_transpose_macs(
    input_shape: Sequence[int], out_channels: int, groups: int, kernel_size: Sequence[int]
) -> int:
    """MACs of a transposed convolution: each input element scatters into (out/groups)*kernel outputs."""
    return numel(input_shape) * (out_channels // groups) * prod(kernel_size)


def linear_macs(output_shape: Sequence[int], in_features: int) -> int:
    """MACs of a Linear layer on input of any rank: each output element is a dot of length in_features."""
    return numel(output_shape) * in_features


def bilinear_macs(output_shape: Sequence[int], in1_features: int, in2_features: int) -> int:
    """MACs of x1^T A x2 per output element, counted as in1 * in2 (the x1^T A step dominates)."""
    return numel(output_shape) * in1_features * in2_features


def conv_params(
    in_channels: int, out_channels: int, kernel_size: Sequence[int], groups: int = 1, bias: bool = True
) -> int:
    """Parameters of a Conv layer: out * (in / groups) * prod(kernel) weights, plus out biases."""
    return out_channels * (in_channels // groups) * prod(kernel_size) + (out_channels if bias else 0)


def linear_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """Parameters of a Linear layer: in * out weights, plus out biases."""
    return in_features * out_features + (out_features if bias else 0)


def embedding_params(num_embeddings: int, embedding_dim: int) -> int:
    """Parameters of an Embedding (or EmbeddingBag): one vector per index."""
    return num_embeddings * embedding_dim


def norm_params(num_features: int, affine: bool = True) -> int:
    """Parameters of BatchNorm/InstanceNorm/GroupNorm: a scale and a shift per channel when affine."""
    return 2 * num_features if affine else 0


_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "RNN": 1, "GRU": 3, "LSTM": 4}


def recurrent_params(
    mode: str,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bias: bool = True,
    bidirectional: bool = False,
    proj_size: int = 0,
) -> int:
    """Parameters of RNN/GRU/LSTM: per layer and direction, W_ih (gates·H × in), W_hh (gates·H × H_out),
    two bias vectors of gates·H, and LSTM's projection W_hr (proj × H) when proj_size is set."""
    gates = _GATES[mode] * hidden_size
    out_size = proj_size or hidden_size
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else directions * out_size
        per_direction = gates * layer_input + gates * out_size + (2 * gates if bias else 0)
        per_direction += proj_size * hidden_size if proj_size else 0
        total += directions * per_direction
    return total


def attention_params(
    embed_dim: int, kdim: int | None = None, vdim: int | None = None, bias: bool = True
) -> int:
    """Parameters of MultiheadAttention: query/key/value projections to embed_dim, the output
    projection, and their biases."""
    kdim, vdim = kdim or embed_dim, vdim or embed_dim
    weights = embed_dim * (embed_dim + kdim + vdim) + embed_dim * embed_dim
    return weights + (4 * embed_dim if bias else 0)
