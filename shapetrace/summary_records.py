"""Frozen records of a torchinfo-style summary (`shapetrace.summary()`): its rows and its totals, plain
data made from a trace (`shapetrace.views`) or, without an input, from the module tree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapetrace.records import LayerRecord, Shape

__all__ = ["ParamTensor", "SummaryRow", "SummaryTotals"]


@dataclass(frozen=True)
class ParamTensor:
    """One parameter tensor a module holds itself (`weight`, `bias`): its shape and element count."""

    name: str
    shape: Shape
    count: int


@dataclass(frozen=True)
class SummaryRow:
    """One row of a torchinfo-style summary: a module call of the trace, or, without an input, a module
    of the model's tree (then the shapes and MACs are None). Named after torchinfo's LayerInfo fields."""

    var_name: str  # qualified name as in named_modules(); "" for the model itself
    class_name: str
    depth: int  # the model itself is depth 0
    depth_index: int  # 1 for the first row at this depth, 2 for the next, ... (torchinfo's "1-2")
    is_leaf_layer: bool
    num_params: int  # the module's and its children's parameters, each tensor once
    trainable_params: int
    own_params: int  # the parameters the module holds itself (not its children's)
    params: tuple[ParamTensor, ...] = ()  # those tensors, for verbose=2
    input_size: tuple[Shape, ...] | None = None  # None: the model did not run (no input given)
    output_size: tuple[Shape, ...] | None = None
    macs: int | None = None
    call_number: int = 1
    kernel_size: Any = None
    groups: Any = None
    layer: LayerRecord | None = None  # the trace's record of the call, for shapetrace's own columns

    @property
    def is_recursive(self) -> bool:
        """A second (third, ...) call of the same module: its parameters are counted at the first."""
        return self.call_number > 1


@dataclass(frozen=True)
class SummaryTotals:
    """The totals under a summary, in bytes where they are sizes; None where no input was given.

    `pass_bytes` has torchinfo's meaning: twice (forward and gradient) the bytes of the outputs of leaf
    calls that hold parameters."""

    params: int
    trainable_params: int
    param_bytes: int
    mult_adds: int | None = None
    input_bytes: int | None = None
    output_bytes: int | None = None  # every leaf call's outputs, once
    pass_bytes: int | None = None

    @property
    def total_bytes(self) -> int:
        return self.param_bytes + (self.input_bytes or 0) + (self.pass_bytes or 0)
