"""Closed forms of a spatial size along a chain of layers, as a function of the input size H.

Floors compose exactly: for whole numbers and positive m, s, ⌊(⌊(nH + a)/m⌋ + b)/s⌋ = ⌊(nH + a + b·m)/(m·s)⌋.
So after any chain of convolutions and pools (kernel, stride, padding, dilation; floor mode), padding
layers and layers that keep the size, every size is ⌊(nH + a)/m⌋ exactly, with n = 1 along such a chain
(transposed convolutions and integer upsampling multiply n while m is 1; an adaptive pool makes it a
constant, n = 0). Pure Python."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["SizeForm", "IDENTITY", "first_where"]


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


@dataclass(frozen=True)
class SizeForm:
    """A size as ⌊(n·H + a)/m⌋ of the input size H (n ≥ 0, m ≥ 1): n = 0 is a constant."""

    n: int = 1
    a: int = 0
    m: int = 1

    def at(self, size: int) -> int:
        """The size for input size `size`."""
        return (self.n * size + self.a) // self.m

    def window(self, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> SizeForm:
        """After a convolution or pool in floor mode: ⌊(x + 2p − d(k−1) − 1)/s⌋ + 1."""
        shift = 2 * padding - dilation * (kernel - 1) - 1 + stride
        return SizeForm(self.n, self.a + shift * self.m, self.m * stride)

    def ceil_window(self, kernel: int, stride: int, dilation: int = 1) -> SizeForm | None:
        """After a pool in ceil mode without padding: ⌈(x − d(k−1) − 1)/s⌉ + 1. PyTorch drops a last
        window that would start in the padding; without padding and with s no larger than the window,
        none does, and the form holds. Otherwise None: no closed form of this kind."""
        span = dilation * (kernel - 1) + 1
        if stride > span:
            return None
        shift = -span + 2 * stride - 1
        return SizeForm(self.n, self.a + shift * self.m, self.m * stride)

    def plus(self, amount: int) -> SizeForm:
        """After a layer that adds `amount` (padding on both sides; a negative amount crops)."""
        return SizeForm(self.n, self.a + amount * self.m, self.m)

    def times(self, factor: int, offset: int = 0) -> SizeForm | None:
        """factor·x + offset (transposed convolutions, integer upsampling): a closed form of this kind
        only while no floor has been taken (m = 1)."""
        if self.m != 1:
            return None
        return SizeForm(self.n * factor, self.a * factor + offset, 1)

    def transposed(
        self, kernel: int, stride: int, padding: int, output_padding: int, dilation: int
    ) -> SizeForm | None:
        """After a transposed convolution: (x − 1)s − 2p + d(k−1) + op + 1."""
        return self.times(stride, -stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1)

    def first_at_least(self, value: int) -> int | None:
        """The smallest H ≥ 1 whose size is at least `value` (sizes never shrink as H grows); None for a
        constant below it."""
        if self.n == 0:
            return 1 if self.at(1) >= value else None
        return max(1, _ceil_div(value * self.m - self.a, self.n))

    def solve(self, value: int) -> tuple[int, int] | None:
        """The input sizes H ≥ 1 whose size is exactly `value`, as (first, last); None where there are
        none (or, for a constant, where any size is, (1, None) is not returned: see `at`)."""
        if self.n == 0:
            return None
        first = max(1, _ceil_div(value * self.m - self.a, self.n))
        last = _ceil_div((value + 1) * self.m - self.a, self.n) - 1
        return (first, last) if first <= last else None

    def text(self, symbol: str = "H") -> str:
        """The form as a reader writes it: "H", "H − 4", "⌊(H − 33)/32⌋", "⌊(2H + 1)/3⌋", "1"."""
        if self.n == 0:
            return str(self.at(0))
        term = symbol if self.n == 1 else f"{self.n}{symbol}"
        if self.m == 1:
            return term if self.a == 0 else f"{term} {'+' if self.a > 0 else '−'} {abs(self.a)}"
        inner = term if self.a == 0 else f"{term} {'+' if self.a > 0 else '−'} {abs(self.a)}"
        return f"⌊({inner})/{self.m}⌋" if self.a else f"⌊{inner}/{self.m}⌋"


IDENTITY = SizeForm()


def first_where(sizes: range, works: Callable[[int], bool]) -> int:
    """The first size in `sizes` for which a monotone condition holds (sizes.stop where none does):
    a bisection."""
    low, high = sizes.start, sizes.stop
    while low < high:
        middle = (low + high) // 2
        if works(middle):
            high = middle
        else:
            low = middle + 1
    return low
