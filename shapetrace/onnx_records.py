"""The frozen records of an ONNX export: the inferred graph as plain data, and how each traced call
compares with it. Pure: no torch, no onnx (shapetrace.onnx_export fills them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shapetrace.messages import Message

__all__ = ["OnnxNode", "OnnxShape", "OnnxGraph", "OnnxMatch", "OnnxReport"]


@dataclass(frozen=True)
class OnnxNode:
    """One node of an exported ONNX graph: its name, op, the module scope the exporter gave it (the
    unqualified module names from the root down, as in "/net/net.0/Conv"), and its value names."""

    name: str
    op: str
    scope: tuple[str, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


OnnxShape = tuple[int | str | None, ...]  # a dim: its size, a symbolic name, or None where unknown


@dataclass(frozen=True)
class OnnxGraph:
    """An exported ONNX graph after shape inference: its nodes in graph order and every value's shape
    (None where inference gave none), plain data for the cross-check and the renderers."""

    nodes: tuple[OnnxNode, ...]
    shapes: tuple[tuple[str, OnnxShape | None], ...]  # every value: graph inputs, intermediates, outputs
    inputs: tuple[str, ...]  # the graph's data inputs (not its weights)
    outputs: tuple[str, ...]
    opset: int
    path: str | None = None  # where it was saved
    dynamic: tuple[str, ...] = ()  # the symbolic names of the input's spatial dims (--onnx-dynamic)

    def shape(self, value: str) -> OnnxShape | None:
        return dict(self.shapes).get(value)

    @property
    def unshaped(self) -> tuple[str, ...]:
        """The values that carry no complete shape (none, after a successful inference)."""
        return tuple(
            name for name, shape in self.shapes if shape is None or any(dim is None for dim in shape)
        )


@dataclass(frozen=True)
class OnnxMatch:
    """How one traced call compares with the exported graph: the ONNX value whose shape stands for its
    output agrees or differs, or no node carries the call's module (fused or folded away)."""

    status: Literal["agree", "differ", "absent"]
    node: str | None = None  # the ONNX node whose output is compared
    op: str | None = None
    shape: OnnxShape | None = None
    reason: Message | None = None  # why a call has no ONNX counterpart

    @property
    def symbolic(self) -> tuple[str, ...]:
        """The symbolic dims of the compared shape (an export with --onnx-dynamic): not compared."""
        return tuple(dim for dim in self.shape or () if isinstance(dim, str))


@dataclass(frozen=True)
class OnnxReport:
    """The ONNX export of a trace: the inferred graph, or why the exporter failed."""

    graph: OnnxGraph | None
    error: Message | None = None
