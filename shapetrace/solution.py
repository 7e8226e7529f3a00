"""Frozen records of a solve: which input sizes a model runs on, in ranges with their outcomes."""

from __future__ import annotations

from dataclasses import dataclass

from shapetrace.messages import Message
from shapetrace.records import Shape

__all__ = ["SizeRange", "Solution"]


@dataclass(frozen=True)
class SizeRange:
    """Consecutive input sizes with the same outcome: the output shapes, or where the pass fails."""

    first: int
    last: int
    output_shapes: tuple[Shape, ...] | None  # None: the forward pass fails
    layer: str | None = None
    reason: Message | None = None

    @property
    def ok(self) -> bool:
        return self.output_shapes is not None


@dataclass(frozen=True)
class Solution:
    """The input sizes lo..hi of `dims` (H and W together for 'square') and what each gives."""

    model: str
    input_shape: Shape  # the template; the solved dimensions vary
    dims: str  # "square", "H", "W" or "L" (1-d)
    lo: int
    hi: int
    ranges: tuple[SizeRange, ...]
    method: str  # "closed form" or "analytic" (replay; both confirmed by passes), or "exhaustive"
    passes: int  # real forward passes run
    seconds: float
    first_layer: str | None = None  # the first conv or pool on the input, and its size formula
    first_formula: str | None = None
    failure: Message | None = None  # the diagnosis at the given input, when no size works
    budget: float | None = None  # the seconds the search was given; None: no limit
    checked_to: int | None = None  # the last size checked: hi, or less where the budget ran out
    complete: bool = True  # every size lo..hi was checked
    device: str = "meta"  # where the real passes ran: "meta", or the model's own device where meta cannot

    def __post_init__(self) -> None:
        if self.checked_to is None:
            object.__setattr__(self, "checked_to", self.hi if self.complete else self.lo - 1)

    @property
    def valid(self) -> tuple[SizeRange, ...]:
        return tuple(size_range for size_range in self.ranges if size_range.ok)

    @property
    def working(self) -> tuple[tuple[int, int], ...]:
        """The sizes that work as (first, last) spans, adjacent ranges (split by output shape) joined."""
        joined: list[tuple[int, int]] = []
        for size_range in self.valid:
            if joined and joined[-1][1] + 1 == size_range.first:
                joined[-1] = (joined[-1][0], size_range.last)
            else:
                joined.append((size_range.first, size_range.last))
        return tuple(joined)
