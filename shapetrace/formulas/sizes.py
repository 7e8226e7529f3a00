"""Output sizes of one spatial dimension through convolutions and pools, as PyTorch computes them."""

from __future__ import annotations

from typing import Any

from shapetrace.messages import Refusal

__all__ = [
    "per_dim", "same_padding", "conv_out", "conv_transpose_out", "pool_out", "avg_pool_out", "adaptive_out",
    "require",
]  # fmt: skip


def require(condition: bool, code: str, **values: Any) -> None:
    """Refuse (a ValueError carrying the message `code`) unless `condition` holds."""
    if not condition:
        raise Refusal(code, **values)


def per_dim(value: Any, dims: int) -> tuple:
    """A layer setting for each of `dims` dimensions: 3 -> (3, 3); (3,) -> (3, 3); (3, 1) stays."""
    if isinstance(value, tuple | list):
        return tuple(value) * dims if len(value) == 1 and dims > 1 else tuple(value)
    return (value,) * dims


def _check_window(kernel: int, stride: int, dilation: int) -> None:
    require(kernel >= 1, "formula.kernel_min", kernel=kernel)
    require(stride >= 1, "formula.stride_min", stride=stride)
    require(dilation >= 1, "formula.dilation_min", dilation=dilation)


def same_padding(kernel: int, dilation: int = 1) -> tuple[int, int]:
    """(left, right) padding of padding='same': the total d*(k-1), the extra element on the right."""
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


def conv_out(size: int, kernel: int, stride: int = 1, padding: int | str = 0, dilation: int = 1) -> int:
    """Output size of a convolution: floor((size + 2*padding - dilation*(kernel-1) - 1) / stride) + 1.

    `padding` may be 'valid' (0) or 'same' (output = input; PyTorch allows it only with stride 1).
    """
    _check_window(kernel, stride, dilation)
    require(size >= 1, "formula.size_min", size=size)
    if padding == "valid":
        padding = 0
    if padding == "same":
        require(stride == 1, "formula.same_strided")
        return size
    require(isinstance(padding, int), "formula.padding_type", padding=repr(padding))
    require(padding >= 0, "formula.padding_negative", padding=padding)
    padded = size + 2 * padding
    span = dilation * (kernel - 1) + 1
    require(
        padded >= span,
        "formula.span",
        size=size, padding=padding, padded=padded, dilation=dilation, kernel=kernel, span=span,
    )  # fmt: skip
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
    require(size >= 1, "formula.size_min", size=size)
    require(padding >= 0, "formula.padding_negative", padding=padding)
    require(output_padding >= 0, "formula.output_padding_negative", output_padding=output_padding)
    require(
        output_padding < stride or output_padding < dilation,
        "formula.output_padding_large",
        output_padding=output_padding, stride=stride, dilation=dilation,
    )  # fmt: skip
    result = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    require(
        result >= 1,
        "formula.transpose_below_one",
        size=size, stride=stride, padding=padding, dilation=dilation, kernel=kernel,
        output_padding=output_padding, result=result,
    )  # fmt: skip
    return result


def _pooled(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape: with ceil_mode the last window must start inside the input
    or the left padding, else it is dropped."""
    span = dilation * (kernel - 1) + 1
    numerator = size + 2 * padding - span + (stride - 1 if ceil_mode else 0)
    result = numerator // stride + 1
    if ceil_mode and (result - 1) * stride >= size + padding:
        result -= 1
    require(
        result >= 1,
        "formula.pool_below_one",
        size=size, padding=padding, span=span, ceil=f" + {stride - 1}" if ceil_mode else "", stride=stride,
        result=result, padded=size + 2 * padding,
    )  # fmt: skip
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
    _check_pool_padding(size, kernel, padding)
    return _pooled(size, kernel, stride, padding, dilation, ceil_mode)


def _check_pool_padding(size: int, kernel: int, padding: int) -> None:
    require(size >= 1, "formula.size_min", size=size)
    require(padding >= 0, "formula.padding_negative", padding=padding)
    require(padding <= kernel // 2, "formula.pool_padding_half", padding=padding, kernel=kernel)


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
    require(size >= 1, "formula.size_min", size=size)
    if kernel_must_fit:
        require(size >= kernel, "formula.kernel_larger", size=size, kernel=kernel)
    _check_pool_padding(size, kernel, padding)
    return _pooled(size, kernel, stride, padding, 1, ceil_mode)


def adaptive_out(size: int, output_size: int | None) -> int:
    """Output size of an adaptive pool: the requested size, or the input's where it is None."""
    require(size >= 1, "formula.size_min", size=size)
    if output_size is None:
        return size
    require(output_size >= 0, "formula.output_size_negative", output_size=output_size)
    return output_size
