"""The architecture diagram as plain data: a box per layer (or per block folded at a depth) and an arrow
per tensor the trace saw flow between them, labelled with its shape. Where paths meet, a concatenation
or an addition is a node of its own. `layout` places the boxes and `svg` paints them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Literal

from shapetrace.messages import Lang
from shapetrace.records import LayerRecord, Source, TraceRecord
from shapetrace.render.common import brief_config, format_shape, format_shapes, format_value, say

__all__ = [
    "Box", "Arrow", "Diagram", "build_diagram", "block_diagram", "figure_blocks", "MAX_BOXES",
    "OVERVIEW_BOXES",
]  # fmt: skip

Kind = Literal[
    "input", "output", "conv", "pool", "linear", "norm", "activation", "reshape", "concat", "add", "block",
    "other",
]  # fmt: skip
MAX_BOXES = 120  # beyond this, blocks are folded (a coarser depth) rather than the boxes shrunk
OVERVIEW_BOXES = 32  # a handout's overview folds blocks until it fits about one printed page

_CONCAT = {"function:cat", "function:concat", "function:concatenate", "function:stack"}
_ADD = {"function:add", "function:add_", "function:sub", "function:sub_"}
_RESHAPE = {
    "Flatten",
    "Unflatten",
    "function:flatten",
    "function:view",
    "function:reshape",
    "function:permute",
}
_ACTIVATIONS = ("ReLU", "ReLU6", "Sigmoid", "Tanh", "GELU", "SiLU", "LeakyReLU", "ELU", "Mish", "Hardswish",
                "Softmax", "LogSoftmax", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
                "Identity")  # fmt: skip
_POINTWISE_FUNCTIONS = {f"function:{name}" for name in ("relu", "relu_", "gelu", "silu", "sigmoid", "tanh",
                        "dropout", "softmax", "log_softmax")}  # fmt: skip


@dataclass(frozen=True)
class Box:
    """One node: a layer, a block folded at the diagram's depth, a merge, or the model's input/output."""

    key: str  # "input", "output", or "L" and the trace.graph index of its call
    kind: Kind
    name: str  # the module's qualified name ("" for input, output and merges)
    label: str  # "Conv2d", "Inception", "concat", "+", "input"
    details: tuple[str, ...] = ()  # settings, "64 + 128 + 32 + 32 = 256", "+ ReLU"
    layers: tuple[int, ...] = ()  # the trace.graph indexes of the calls it stands for
    failed: bool = False
    count: int = 1  # a repeated block drawn once: "× 2"
    signature: tuple = ()  # what makes two blocks the same (type, shapes, the types inside)


@dataclass(frozen=True)
class Arrow:
    """A tensor from one box to another, labelled with its shape."""

    source: str
    target: str
    label: str


@dataclass(frozen=True)
class Diagram:
    title: str
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]
    depth: int | None  # calls deeper than this are folded into their block (None: every layer)


def _kind(layer: LayerRecord) -> Kind:
    key = layer.base_type
    if key in _CONCAT:
        return "concat"
    if key in _ADD and len(layer.input_shapes) > 1:
        return "add"
    if key in _RESHAPE:
        return "reshape"
    if key.startswith("Conv") or key.startswith("function:conv"):
        return "conv"
    if "Pool" in key:
        return "pool"
    if key in ("Linear", "LazyLinear", "Bilinear", "function:linear"):
        return "linear"
    if "Norm" in key:
        return "norm"
    if key in _ACTIVATIONS or key in _POINTWISE_FUNCTIONS or key in _ADD or key == "function:mul":
        return "activation"
    return "other"


def _units(graph: tuple[LayerRecord, ...], depth: int | None) -> dict[int, int]:
    """For every leaf call, the call it is drawn as: itself, or its ancestor at `depth`."""
    unit_of = {}
    for layer in graph:
        if layer.is_leaf:
            unit = layer
            while depth is not None and unit.depth > depth and unit.parent is not None:
                unit = graph[unit.parent]
            unit_of[layer.index] = unit.index
    return unit_of


def _box(unit: LayerRecord, members: list[LayerRecord], lang: Lang) -> Box:
    layers = tuple(member.index for member in members)
    failed = any(member.failed for member in members)
    key = f"L{unit.index}"
    if not unit.is_leaf:
        inside = tuple(sorted(Counter(member.type for member in members).items()))
        signature = (unit.type, unit.input_shapes, unit.output_shapes, inside)
        return Box(key, "block", unit.name, unit.type, (), layers, failed, 1, signature)
    kind = _kind(unit)
    if kind == "concat":
        derivation = unit.derivation
        parts = derivation.value("parts") if derivation is not None else None
        sums = (
            (f"{' + '.join(map(str, parts.items))} = {derivation.value('total')}",)
            if parts is not None
            else ()
        )
        return Box(key, kind, "", say("diagram.concat", lang), sums, layers, failed)
    if kind == "add":
        return Box(key, kind, "", "−" if "sub" in unit.base_type else "+", (), layers, failed)
    config = brief_config(unit)
    label = unit.type.removeprefix("function:")
    return Box(key, kind, unit.name, label, (config,) if config else (), layers, failed)


def _tensor_label(trace: TraceRecord, source: Source) -> str:
    if source.input is not None:
        shapes = trace.input_shapes
        return format_shape(shapes[source.input]) if source.input < len(shapes) else ""
    producer = trace.graph[source.layer]  # type: ignore[index]
    shapes = producer.output_shapes
    return format_shape(shapes[source.output]) if source.output < len(shapes) else ""


def _inside(graph: tuple[LayerRecord, ...], index: int, within: int | None) -> bool:
    """Whether call `index` runs inside call `within` (always, for None)."""
    parent = graph[index].parent
    while within is not None and parent is not None and parent != within:
        parent = graph[parent].parent
    return within is None or parent == within


def _collect(
    trace: TraceRecord, depth: int | None, lang: Lang, within: int | None = None
) -> tuple[dict[str, Box], list[Arrow]]:
    """Every box and arrow at this depth (of the calls inside `within`, if given), before any layers are
    drawn together."""
    graph = trace.graph
    unit_of = {index: unit for index, unit in _units(graph, depth).items() if _inside(graph, index, within)}
    members: dict[int, list[LayerRecord]] = {}
    for index, unit in unit_of.items():
        members.setdefault(unit, []).append(graph[index])
    entry = graph[within].inputs if within is not None else trace.inputs
    boxes = {"input": Box("input", "input", "", say("diagram.input", lang), (format_value(entry),))}
    boxes.update({f"L{unit}": _box(graph[unit], group, lang) for unit, group in sorted(members.items())})
    arrows: dict[tuple[str, str], Arrow] = {}

    def connect(source: Source | None, target: str) -> None:
        if source is None:
            return
        inner = source.input is None and source.layer in unit_of
        if not inner and within is None and source.input is None:
            return  # made by a call the diagram does not show
        origin = f"L{unit_of[source.layer]}" if inner else "input"  # type: ignore[index]
        if origin != target:
            arrows.setdefault((origin, target), Arrow(origin, target, _tensor_label(trace, source)))

    for unit, group in sorted(members.items()):
        for member in group:
            for source in member.sources:
                connect(source, f"L{unit}")
    if within is not None:
        _connect_block_output(trace, within, unit_of, boxes, arrows, lang)
    elif trace.error is None:
        boxes["output"] = Box(
            "output", "output", "", say("diagram.output", lang), (format_shapes(trace.output_shapes),)
        )
        for source in trace.graph_output_sources:
            connect(source, "output")
    return boxes, list(arrows.values())


def _connect_block_output(
    trace: TraceRecord, within: int, unit_of: dict[int, int], boxes: dict[str, Box],
    arrows: dict[tuple[str, str], Arrow], lang: Lang,
) -> None:  # fmt: skip
    """The block's output: the tensors of its calls that calls after it (or the model's output) use."""
    block = trace.graph[within]
    boxes["output"] = Box("output", "output", "", say("diagram.output", lang), (format_value(block.outputs),))
    used = [source for layer in trace.graph if layer.index not in unit_of for source in layer.sources]
    for source in (*used, *trace.graph_output_sources):
        if source is not None and source.input is None and source.layer in unit_of:
            origin = f"L{unit_of[source.layer]}"
            arrows.setdefault((origin, "output"), Arrow(origin, "output", _tensor_label(trace, source)))


def _absorb_pointwise(boxes: dict[str, Box], arrows: list[Arrow]) -> list[Arrow]:
    """Activations, normalisations and dropout that follow a layer feeding only them are drawn inside its
    box ("+ ReLU"), as the textbook's figures do; `boxes` changes in place."""
    merged = True
    while merged:
        merged = False
        outgoing = Counter(arrow.source for arrow in arrows)
        incoming: dict[str, list[Arrow]] = {}
        for arrow in arrows:
            incoming.setdefault(arrow.target, []).append(arrow)
        for key, box in boxes.items():
            feeds = incoming.get(key, [])
            if box.kind not in ("activation", "norm") or len(feeds) != 1:
                continue
            host = boxes[feeds[0].source]
            if host.kind in ("input", "concat", "add", "block") or outgoing[host.key] != 1:
                continue
            details = (*host.details, f"+ {box.label}")
            boxes[host.key] = replace(
                host, details=details, layers=host.layers + box.layers, failed=host.failed or box.failed
            )
            del boxes[key]
            arrows = [
                replace(a, source=host.key) if a.source == key else a for a in arrows if a.target != key
            ]
            merged = True
            break
    return arrows


def _fold_repeats(boxes: dict[str, Box], arrows: list[Arrow]) -> list[Arrow]:
    """A chain of identical blocks (same type, shapes and contents) is drawn once, with a count."""
    merged = True
    while merged:
        merged = False
        outgoing: dict[str, list[Arrow]] = {}
        incoming = Counter(arrow.target for arrow in arrows)
        for arrow in arrows:
            outgoing.setdefault(arrow.source, []).append(arrow)
        for key, box in boxes.items():
            follow = outgoing.get(key, [])
            if box.kind != "block" or len(follow) != 1 or incoming[follow[0].target] != 1:
                continue
            twin = boxes[follow[0].target]
            if twin.kind != "block" or twin.signature != box.signature:
                continue
            boxes[key] = replace(box, count=box.count + twin.count, layers=box.layers + twin.layers)
            del boxes[twin.key]
            arrows = [
                replace(a, source=key) if a.source == twin.key else a for a in arrows if a.target != twin.key
            ]
            merged = True
            break
    return arrows


def _depths(trace: TraceRecord, depth: int | None) -> list[int | None]:
    if depth is not None:
        return [depth]
    deepest = max((layer.depth for layer in trace.graph), default=1)
    return [None, *range(deepest - 1, 0, -1)]


def build_diagram(
    trace: TraceRecord, depth: int | None = None, lang: Lang = "en", max_boxes: int = MAX_BOXES
) -> Diagram:
    """The diagram of the trace's dataflow, folded at `depth`; without one, the finest folding that
    needs at most `max_boxes` boxes."""
    title = say("diagram.title", lang, model=trace.model, inputs=format_value(trace.inputs))
    candidates = _depths(trace, depth)
    for position, candidate in enumerate(candidates):
        boxes, arrows = _collect(trace, candidate, lang)
        arrows = _absorb_pointwise(boxes, arrows)
        if candidate is not None:
            arrows = _fold_repeats(boxes, arrows)
        if len(boxes) <= max_boxes or position == len(candidates) - 1:
            break
    return Diagram(title, tuple(boxes.values()), tuple(arrows), candidate)


def block_diagram(trace: TraceRecord, index: int, lang: Lang = "en") -> Diagram:
    """Every layer inside the block that call `index` ran (its first instance, in a handout)."""
    block = trace.graph[index]
    boxes, arrows = _collect(trace, None, lang, within=index)
    arrows = _absorb_pointwise(boxes, arrows)
    title = say(
        "diagram.title", lang, model=f"{block.name} ({block.type})", inputs=format_value(block.inputs)
    )
    return Diagram(title, tuple(boxes.values()), tuple(arrows), None)


def figure_blocks(trace: TraceRecord, diagram: Diagram) -> list[int]:
    """For each kind of block the diagram folds (its type and the layers inside), its first instance."""
    seen: set[tuple] = set()
    chosen = []
    for box in diagram.boxes:
        if box.kind != "block":
            continue
        inside = tuple(
            sorted(
                Counter(
                    trace.graph[index].base_type for index in box.layers[: len(box.layers) // box.count]
                ).items()
            )
        )
        key = (box.label, inside)
        if key not in seen:
            seen.add(key)
            chosen.append(int(box.key[1:]))
    return chosen
