"""The ONNX cross-check: each traced call against the exported graph's value for it, pure over records.

torch.onnx names every node after the module calls it ran in ("/net/net.0/Conv"): each level is a
module's unqualified name (torch's `_unqualified_variable_name`: the name from its last non-numeric
atom on, so "1.0.conv1" is "conv1" and "net.0" stays "net.0"). A call's counterpart is the last node
in its scope whose output leaves the scope; a call with no node in its scope was fused into another
node (BatchNorm into the convolution before it) or folded away (Dropout in eval mode)."""

from __future__ import annotations

from shapetrace.messages import Message, msg
from shapetrace.records import (
    LayerRecord,
    OnnxGraph,
    OnnxMatch,
    OnnxNode,
    OnnxReport,
    OnnxShape,
    TraceRecord,
    evolve,
)

__all__ = ["scope_of", "node_scope", "check_onnx", "match_layer"]

_FUSED = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d")
_FOLDED = (
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "AlphaDropout",
    "FeatureAlphaDropout",
    "Identity",
)


def _unqualified(name: str) -> str:
    atoms = name.split(".")
    for position in range(len(atoms) - 1, -1, -1):
        if not atoms[position].isnumeric():
            return ".".join(atoms[position:])
    return name


def scope_of(qualified: str) -> tuple[str, ...]:
    """A module's qualified name as the exporter's scope: "1.0.conv1" -> ("1", "1.0", "conv1")."""
    atoms = qualified.split(".")
    return tuple(_unqualified(".".join(atoms[: end + 1])) for end in range(len(atoms)))


def node_scope(node_name: str) -> tuple[str, ...]:
    """The scope in an exported node's name: "/net/net.0/Conv" -> ("net", "net.0"); () at the top."""
    if not node_name.startswith("/"):
        return ()
    return tuple(node_name.split("/")[1:-1])


def _absent_reason(layer: LayerRecord) -> Message:
    if layer.base_type in _FUSED:
        return msg("onnx.fused", type=layer.type)
    if layer.base_type in _FOLDED:
        return msg("onnx.folded", type=layer.type)
    return msg("onnx.no_node", type=layer.type)


def _within(scope: tuple[str, ...], key: tuple[str, ...], reused: bool) -> bool:
    """A node's scope lies inside a module's. The exporter names the scopes of a module's later calls
    "right.0_1", "right.0_2", ...; they count only for a module that was called more than once, so that
    GoogLeNet's "p1_1" is never taken for a call of a module "p1"."""
    if len(scope) < len(key):
        return False
    for part, name in zip(scope, key, strict=False):
        if part != name and not (reused and part.startswith(name + "_") and part[len(name) + 1 :].isdigit()):
            return False
    return True


def _exits(graph: OnnxGraph, inside: list[OnnxNode]) -> list[OnnxNode]:
    """The nodes among `inside` whose outputs are read by other nodes or are the graph's outputs."""
    members = {id(node) for node in inside}
    outside = set(graph.outputs)
    for node in graph.nodes:
        if id(node) not in members:
            outside.update(node.inputs)
    return [node for node in inside if any(value in outside for value in node.outputs)]


def _fits(shape: OnnxShape, traced: tuple[int, ...]) -> bool:
    """The exported shape stands for the traced one: every fixed dim equal, a symbolic dim (a name,
    from an export with dynamic sizes) standing for any size."""
    return len(shape) == len(traced) and all(
        isinstance(dim, str) or dim == size for dim, size in zip(shape, traced, strict=True)
    )


def match_layer(layer: LayerRecord, graph: OnnxGraph, calls: int = 1) -> OnnxMatch | None:
    """The call's counterpart in the graph and whether its shape agrees; None for a torch function
    row or a call that raised (nothing to compare). `calls`: how often the module was called; its
    k-th call is the k-th exit from its scope where there are as many exits as calls."""
    if layer.is_function or layer.failed:
        return None
    key = scope_of(layer.name)
    inside = [node for node in graph.nodes if _within(node.scope, key, calls > 1)]
    if not inside:
        return OnnxMatch("absent", reason=_absent_reason(layer))
    exits = _exits(graph, inside) or inside[-1:]
    node = exits[layer.call_number - 1] if calls > 1 and len(exits) == calls else exits[-1]
    shape = graph.shape(node.outputs[0])
    traced = layer.output_shapes[0] if layer.output_shapes else None
    agree = shape is not None and traced is not None and _fits(shape, tuple(traced))
    return OnnxMatch("agree" if agree else "differ", node=node.name, op=node.op, shape=shape)


def check_onnx(trace: TraceRecord, graph: OnnxGraph) -> TraceRecord:
    """The trace with each call's ONNX counterpart (`layer.onnx`) and the graph (`trace.onnx`)."""
    calls: dict[str, int] = {}
    for layer in trace.layers:
        calls[layer.name] = max(calls.get(layer.name, 0), layer.call_number)
    layers = tuple(evolve(layer, onnx=match_layer(layer, graph, calls[layer.name])) for layer in trace.layers)
    return evolve(trace, layers=layers, onnx=OnnxReport(graph))
