"""One spatial size's arithmetic written out with the numbers put in, in PyTorch's notation and in the
textbook's (d2l, whose p is the padding of both sides together): the lines `--explain` shows beside
each layer and `shapetrace formula` prints. Pure Python."""

from __future__ import annotations

from shapetrace.messages import Message, msg

__all__ = ["conv_line", "textbook_line", "pool_line", "transpose_line", "textbook_transpose_line"]


def conv_line(size: int, kernel: int, stride: int, padding: int, dilation: int, result: int) -> Message:
    """⌊(n + 2p − d·(k−1) − 1)/s⌋ + 1, p on each side."""
    return msg("derive.conv_line", n=size, k=kernel, s=stride, p=padding, d=dilation, result=result)


def textbook_line(
    size: int, kernel: int, stride: int, total_padding: int, dilation: int, result: int
) -> Message:
    """d2l's ⌊(n − k + p + s)/s⌋ with p the total padding (both sides); dilation enlarges k."""
    k = kernel if dilation == 1 else dilation * (kernel - 1) + 1
    code = "derive.textbook_unit_stride" if stride == 1 else "derive.textbook_line"
    return msg(code, n=size, k=k, p=total_padding, s=stride, result=result)


def pool_line(
    size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool, result: int
) -> Message:
    """A pool's line: the convolution's, or with ceil_mode ⌈…⌉, and the last window PyTorch drops."""
    if not ceil_mode:
        return conv_line(size, kernel, stride, padding, dilation, result)
    rounded_up = -(-(size + 2 * padding - dilation * (kernel - 1) - 1) // stride) + 1
    line = msg("derive.ceil_line", n=size, k=kernel, s=stride, p=padding, d=dilation, result=rounded_up)
    if rounded_up != result:  # PyTorch drops a last window that starts in the right padding
        return msg(
            "derive.ceil_dropped", line=line, rounded=rounded_up, s=stride, n=size, p=padding, result=result
        )
    return line


def transpose_line(
    size: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int, result: int
) -> Message:
    """(n−1)·s − 2p + d·(k−1) + op + 1."""
    return msg(
        "derive.transpose_line",
        n=size,
        k=kernel,
        s=stride,
        p=padding,
        d=dilation,
        op=output_padding,
        result=result,
    )


def textbook_transpose_line(
    size: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int, result: int
) -> Message:
    """The same in the textbook's terms: (n−1)·s + k − p + op, k the dilated span, p both sides."""
    span = dilation * (kernel - 1) + 1
    return msg(
        "derive.textbook_transpose", n=size, k=span, s=stride, p=2 * padding, op=output_padding, result=result
    )
