"""Replay a traced graph on other input shapes with the shape rules alone: what would each layer
produce, and where would the pass fail? Pure Python over records; this is the solver's analysis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapetrace import rules
from shapetrace.messages import Message, Refusal
from shapetrace.records import LayerRecord, Shape, Source, TraceRecord, bind

__all__ = ["Outcome", "NotReplayable", "Replayer"]


class NotReplayable(Exception):
    """The graph has a call whose output shape the rules cannot derive for other inputs."""


@dataclass(frozen=True)
class Outcome:
    """The replay's verdict for one input: the model's output shapes, or where and why it fails."""

    output_shapes: tuple[Shape, ...] | None
    layer: str | None = None
    reason: Message | None = None  # why the pass fails: the formulas' refusal, or the exception's text

    @property
    def ok(self) -> bool:
        return self.output_shapes is not None


def _input_shape(source: Source | None, recorded: Shape, produced: dict[int, tuple[Shape, ...]],
                 inputs: tuple[Shape, ...]) -> Shape:  # fmt: skip
    if source is None:
        return recorded  # a parameter, a buffer or a constant: its shape does not follow the input
    if source.input is not None:
        return inputs[source.input]
    if source.layer in produced:
        return produced[source.layer][source.output]
    raise NotReplayable(f"an input of unknown origin (layer {source.layer})")


def _read(source: Source | None, recorded: Shape) -> tuple[int, Any, int]:
    """Where a layer's input shape comes from, for the hot loop: (0, input, 0), (1, layer, output), or
    (2, the recorded shape, 0) for a parameter, a buffer or a constant, which does not follow the input."""
    if source is None:
        return 2, recorded, 0
    if source.input is not None:
        return 0, source.input, 0
    return 1, source.layer, source.output


class Replayer:
    """Replays one traced graph on many inputs; each layer's binding is worked out once."""

    def __init__(self, trace: TraceRecord) -> None:
        if trace.error is not None or not trace.output_sources:
            raise NotReplayable("the trace must come from a forward pass that succeeded")
        if trace.shape_reads:
            raise NotReplayable(
                "forward code reads tensor shapes: it may depend on them in ways no rule sees"
            )
        self.trace = trace
        self.steps = []  # (layer, binding order, arguments, attributes, memo) for every leaf
        for layer in trace.layers:
            if not layer.is_leaf:
                continue
            if len(layer.sources) != len(layer.input_shapes):
                raise NotReplayable(f"{layer.name}: inputs not followed")
            markers = tuple((position,) for position in range(len(layer.input_shapes)))
            order, arguments = bind(layer.inputs, layer.parameters, markers)
            binding = tuple(marker[0] for marker in order)
            reads = tuple(
                _read(source, recorded)
                for source, recorded in zip(layer.sources, layer.input_shapes, strict=True)
            )
            self.steps.append((layer, binding, arguments, dict(layer.attributes), {}, reads))

    def __call__(self, inputs: tuple[Shape, ...]) -> Outcome:
        produced: dict[int, tuple[Shape, ...]] = {}
        for layer, order, arguments, attributes, memo, reads in self.steps:
            try:  # the hot loop: one size after another, every layer
                shapes = tuple(
                    [
                        inputs[at] if kind == 0 else produced[at][output] if kind == 1 else at
                        for kind, at, output in reads
                    ]
                )
            except KeyError as missing:
                raise NotReplayable(f"an input of unknown origin (layer {missing})") from None
            result = memo.get(shapes)  # deep layers see the same small maps for many input sizes
            if result is None:
                try:
                    result = _step(layer, shapes, order, arguments, attributes)
                except Refusal as refusal:
                    result = refusal.message
                memo[shapes] = result
            if isinstance(result, Message):
                return Outcome(None, layer.name, result)
            produced[layer.index] = result
        outputs = tuple(
            _input_shape(source, recorded, produced, inputs)
            for source, recorded in zip(self.trace.output_sources, self.trace.output_shapes, strict=True)
        )
        return Outcome(outputs)


def _step(
    layer: LayerRecord, shapes: tuple[Shape, ...], order: tuple[int, ...], arguments: dict, attributes: dict
) -> tuple[Shape, ...]:
    """The layer's output shapes for these input shapes; Refusal where it would fail."""
    if shapes == layer.input_shapes and layer.outputs is not None:
        return layer.output_shapes  # as traced
    try:
        derivation = rules.derive(
            layer.base_type, rules.Call(attributes, tuple(shapes[i] for i in order), arguments)
        )
    except rules.NotCheckable as reason:
        raise NotReplayable(f"{layer.name}: {reason}") from None
    except Refusal:
        raise
    except Exception as bug:  # a rule (of the user's, say) that cannot handle these shapes
        raise NotReplayable(f"{layer.name}: the rule failed ({type(bug).__name__}: {bug})") from None
    if derivation is not None:
        return derivation.shapes
    raise NotReplayable(f"{layer.name} ({layer.type}) has no shape rule")
