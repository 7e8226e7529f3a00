"""Why a forward pass failed, in the user's terms: the numbers, the chain of shapes that led there,
and what to change. Pure Python over a finished, cross-checked trace; the hints are messages."""

from __future__ import annotations

from dataclasses import replace
from math import isqrt

from shapetrace.messages import Message, Seq, msg
from shapetrace.records import ErrorKind, LayerRecord, Shape, TraceRecord, WorkingSizes

__all__ = ["diagnose", "with_working_sizes", "WINDOW_REFUSALS"]

_SPATIAL = ("Conv", "ConvTranspose", "MaxPool", "AvgPool", "LPPool", "AdaptiveAvgPool", "AdaptiveMaxPool")
# the formulas' refusals that say a window no longer fits its input
WINDOW_REFUSALS = frozenset(
    {"formula.span", "formula.pool_below_one", "formula.kernel_larger", "formula.transpose_below_one"}
)


def _size(spatial: Shape) -> Seq:
    """A spatial size: 16×16."""
    return Seq(spatial, "×")


def _producer(layers: tuple[LayerRecord, ...], failing: LayerRecord) -> LayerRecord | None:
    """The last completed leaf call before `failing` whose output is what `failing` received."""
    wanted = failing.input_shapes[:1]
    for layer in reversed(layers[: failing.index]):
        if layer.is_leaf and not layer.failed and layer.output_shapes[:1] == wanted:
            return layer
    return None


def _linear(trace: TraceRecord, layer: LayerRecord) -> Message | None:
    if layer.base_type not in ("Linear", "NonDynamicallyQuantizableLinear"):
        return None
    expected = layer.attribute("in_features")
    if not layer.input_shapes or expected is None or layer.input_shapes[0][-1:] == (expected,):
        return None
    got = layer.input_shapes[0][-1]
    values = {"layer": layer.name, "type": layer.type, "expected": expected, "got": got}
    producer = _producer(trace.layers, layer)
    if producer is None or producer.type != "Flatten":
        return msg("hint.linear", **values, shape=layer.input_shapes[0])
    source = producer.input_shapes[0]
    flattened = source[producer.attribute("start_dim", 1) % len(source) :]
    values.update(producer=producer.name, source=source, dims=Seq(flattened, "·"))
    channels, spatial = (flattened[0], flattened[1:]) if len(flattened) > 1 else (None, ())
    if channels and expected % channels == 0 and len(spatial) == 2:
        side = isqrt(expected // channels)
        if side * side == expected // channels:
            return msg("hint.linear_flatten_square", **values, side=side, channels=channels)
    return msg("hint.linear_flatten", **values)


def _spatial_chain(trace: TraceRecord, failing: LayerRecord) -> Seq:
    """The spatial sizes from the input to `failing`'s input, each change named by its layer."""
    previous = trace.input_shapes[0][2:] if trace.input_shapes else None
    steps: list[object] = [msg("hint.chain_input", size=_size(previous))] if previous is not None else []
    for layer in trace.layers[: failing.index]:
        if not layer.is_leaf or layer.failed or not layer.output_shapes:
            continue
        spatial = layer.output_shapes[0][2:]
        if spatial and spatial != previous and len(spatial) == len(previous or ()):
            steps.append(f"{layer.name} {'×'.join(map(str, spatial))}")
            previous = spatial
    return Seq(tuple(steps), " → ")


def _window(trace: TraceRecord, layer: LayerRecord) -> Message | None:
    """A convolution or pool whose window no longer fits its input."""
    if layer.derivation is None or layer.derivation.code not in WINDOW_REFUSALS:
        return None
    if not layer.base_type.startswith(_SPATIAL):
        return None
    received = layer.input_shapes[0][2:] if layer.input_shapes else ()
    return msg(
        "hint.window",
        layer=layer.name, type=layer.type, received=_size(received), formula=layer.derivation,
        chain=_spatial_chain(trace, layer),
    )  # fmt: skip


def _channels_word(count: int) -> Message:
    return msg("word.channel" if count == 1 else "word.channels", count=count)


def _channels(trace: TraceRecord, layer: LayerRecord) -> Message | None:
    expected = layer.attribute("in_channels")
    refusal = layer.derivation
    if expected is None or not layer.input_shapes or refusal is None or refusal.code != "refuse.channels":
        return None
    shape = layer.input_shapes[0]
    kernel = layer.attribute("kernel_size") or ()
    axis = len(shape) - len(kernel) - 1  # the channel dimension
    got = shape[axis] if kernel else None
    values = {"layer": layer.name, "type": layer.type, "expected": _channels_word(expected), "got": got}
    if trace.input_shapes[:1] == (shape,):  # the model's own input: the input is what to change
        example = (*shape[:axis], expected, *shape[axis + 1 :])
        return msg(
            "hint.channels_input", **values, input_size=_python_shape(example), cli_input=_flag_shape(example)
        )
    return msg("hint.channels_inner", **values)


def _python_shape(shape: Shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _flag_shape(shape: Shape) -> str:
    return ",".join(map(str, shape))


def _indices(trace: TraceRecord, layer: LayerRecord) -> Message | None:
    """An embedding fed floats: it takes integer token ids."""
    if layer.base_type not in ("Embedding", "EmbeddingBag"):
        return None
    first = next(layer.inputs.tensors(), None)
    if first is None or first.dtype.startswith(("int", "uint")):
        return None
    values = {"layer": layer.name, "type": layer.type, "dtype": first.dtype}
    if bool(layer.sources) and layer.sources[0] is not None and layer.sources[0].input is not None:
        shape = first.shape
        return msg(
            "hint.embedding_input", **values, input_size=_python_shape(shape), cli_input=_flag_shape(shape)
        )
    return msg("hint.embedding_inner", **values)


def _function(trace: TraceRecord, layer: LayerRecord) -> Message | None:
    """A torch function (torch.cat, a residual +) whose inputs do not fit together."""
    if not layer.is_function or layer.derivation is None:
        return None
    owner = trace.layers[layer.parent] if layer.parent is not None else None
    where = (
        msg("hint.where", layer=owner.name, type=owner.type)
        if owner is not None
        else msg("word.model_forward")
    )
    owner_inputs = owner.input_shapes if owner is not None else trace.input_shapes
    sources: list[object] = []
    for source, shape in zip(layer.sources, layer.input_shapes, strict=False):
        if (
            source is not None
            and owner is not None
            and source in owner.sources
            or source is None
            and shape in owner_inputs
        ):
            sources.append(msg("hint.source_input_of", shape=shape, where=where))
        elif source is not None and source.layer is not None:
            sources.append(msg("hint.source_layer", shape=shape, layer=trace.layers[source.layer].name))
        elif source is not None and source.input is not None:
            sources.append(msg("hint.source_model_input", shape=shape, index=source.input))
        else:
            sources.append(shape)
    function = layer.type.partition(":")[2]
    return msg(
        "hint.function",
        function=function,
        where=where,
        formula=layer.derivation,
        sources=Seq(tuple(sources), "; "),
    )


# Exceptions that tensor operations raise on shapes, dtypes and devices; anything else is the code's own.
_TENSOR_ERRORS = ("RuntimeError", "ValueError", "IndexError", "")


def _code(trace: TraceRecord) -> Message | None:
    """A failure that is not about sizes (a NameError, a TypeError, a failed assert): say so, and
    where, keeping the context (what the module received, or which layer had returned)."""
    error = trace.error
    if error is None or error.exception_type in _TENSOR_ERRORS:
        return None
    where = msg("hint.at", location=error.location) if error.location else ""
    context = msg("hint.context", hint=error.hint) if error.hint else ""
    if error.exception_type == "AssertionError":
        return msg("hint.code_assert", where=where, context=context)
    if error.exception_type == "SystemExit":
        return msg("hint.code_exit", where=where, context=context)
    return msg("hint.code", exception=error.exception_type, where=where, context=context)


_EXPLAINERS: tuple[tuple[ErrorKind, object], ...] = (
    ("features", _linear),
    ("window", _window),
    ("channels", _channels),
    ("dtype", _indices),
    ("function", _function),
)


def diagnose(trace: TraceRecord) -> TraceRecord:
    """The trace with its error's hint replaced by a diagnosis where one applies."""
    error = trace.error
    if error is None:
        return trace
    code = _code(trace)
    if code is not None:
        return replace(trace, error=replace(error, hint=code, kind="code"))
    failing = next(
        (layer for layer in reversed(trace.layers) if layer.name == error.layer and layer.failed), None
    )
    if failing is None:
        return trace
    for kind, explain in _EXPLAINERS:
        hint = explain(trace, failing)  # type: ignore[operator]
        if hint is not None:
            return replace(trace, error=replace(error, hint=hint, kind=kind))
    return trace


def with_working_sizes(trace: TraceRecord, found: WorkingSizes) -> TraceRecord:
    """The diagnosis followed by the square input sizes the solver found to work."""
    if trace.error is None:
        return trace
    return replace(trace, error=replace(trace.error, working_sizes=found))
