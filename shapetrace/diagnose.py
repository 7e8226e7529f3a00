"""Why a forward pass failed, in the user's terms: the numbers, the chain of shapes that led there,
and what to change. Pure Python over a finished, cross-checked trace; the hints are messages."""

from __future__ import annotations

from dataclasses import replace
from math import isqrt

from shapetrace import formulas
from shapetrace.layouts import features_elsewhere, flag_shape, python_shape, spatial_dims, unbatched
from shapetrace.messages import Message, Refusal, Seq, msg
from shapetrace.operands import operands
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
    dims = spatial_dims(layer)
    received = layer.input_shapes[0][-dims:] if layer.input_shapes and dims else ()
    values = {
        "layer": layer.name, "type": layer.type, "received": _size(received), "formula": layer.derivation,
        "chain": _spatial_chain(trace, layer),
    }  # fmt: skip
    padding = _padding_that_fits(layer, received)
    if padding is not None:
        return msg("hint.window_padding", **values, padding=padding)
    return msg("hint.window", **values)


def _fits(layer: LayerRecord, size: int, axis: int, padding: int) -> bool:
    """Whether the layer's window fits in one spatial dim of this size with this padding."""
    dims = spatial_dims(layer) or 1
    kernel = formulas.per_dim(layer.attribute("kernel_size"), dims)[axis]
    stride = formulas.per_dim(layer.attribute("stride") or kernel, dims)[axis]
    dilation = formulas.per_dim(layer.attribute("dilation", 1), dims)[axis]
    ceil = bool(layer.attribute("ceil_mode"))
    try:
        if layer.base_type.startswith("Conv"):
            formulas.conv_out(size, kernel, stride, padding, dilation)
        elif layer.base_type.startswith("MaxPool"):
            formulas.pool_out(size, kernel, stride, padding, dilation, ceil)
        else:
            formulas.avg_pool_out(size, kernel, stride, padding, ceil, layer.base_type == "AvgPool3d")
    except Refusal:
        return False
    return True


def _padding_that_fits(layer: LayerRecord, received: Shape) -> str | None:
    """The smallest padding (per dim, never less than the layer's own) with which the window of a
    convolution or a max or average pool fits its input, as the setting reads ('1', '(1, 2)'); None where
    none does (a pool allows at most half its kernel) or the layer has no such setting."""
    if not layer.base_type.startswith(("Conv1d", "Conv2d", "Conv3d", "MaxPool", "AvgPool")) or not received:
        return None
    if layer.attribute("padding_mode", "zeros") != "zeros" or isinstance(layer.attribute("padding", 0), str):
        return None
    dims = len(received)
    current = formulas.per_dim(layer.attribute("padding", 0), dims)
    kernel = formulas.per_dim(layer.attribute("kernel_size"), dims)
    dilation = formulas.per_dim(layer.attribute("dilation", 1), dims)
    found = []
    for axis, size in enumerate(received):
        span = dilation[axis] * (kernel[axis] - 1) + 1
        tried = range(current[axis], max(current[axis], span) + 1)
        padding = next((padding for padding in tried if _fits(layer, size, axis, padding)), None)
        if padding is None:
            return None
        found.append(padding)
    return str(found[0]) if len(set(found)) == 1 else python_shape(tuple(found))


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
            "hint.channels_input", **values, input_size=python_shape(example), cli_input=flag_shape(example)
        )
    maker = _channel_maker(trace, layer, len(shape) - axis)
    if maker is None:
        return msg("hint.channels_inner", **values)
    source, between = maker
    settings = [msg("hint.setting", layer=source.name, type=source.type, key="out_channels", count=expected)]
    for kept in between:  # a BatchNorm between them is built for the channels too
        key = next((key for key in ("num_features", "num_channels") if kept.attribute(key) == got), None)
        if key is not None:
            settings.append(msg("hint.setting", layer=kept.name, type=kept.type, key=key, count=expected))
    return msg("hint.channels_source", **values, settings=Seq(tuple(settings), msg("hint.settings_and")))


def _producer_of(trace: TraceRecord, layer: LayerRecord) -> LayerRecord | None:
    """The call that made the layer's first input; inside a container, the last leaf that gave the
    container's output."""
    source = layer.sources[0] if layer.sources else None
    if source is None or source.layer is None:
        return None
    producer = trace.layers[source.layer]
    while not producer.is_leaf and producer.outputs is not None:
        inside = [
            call
            for call in trace.layers[producer.index + 1 :]
            if _inside(trace, call, producer) and call.output_shapes[:1] == producer.output_shapes[:1]
        ]
        if not inside:
            return None
        producer = inside[-1]
    return producer


def _inside(trace: TraceRecord, call: LayerRecord, container: LayerRecord) -> bool:
    parent = call.parent
    while parent is not None and parent != container.index:
        parent = trace.layers[parent].parent
    return parent == container.index


def _channel_maker(
    trace: TraceRecord, layer: LayerRecord, from_end: int
) -> tuple[LayerRecord, list[LayerRecord]] | None:
    """The layer that sets the channels `layer` receives (one with out_channels), found by walking back
    along the dataflow through layers that keep the channel count (pools, activations, normalisation,
    dropout), and the layers walked through; None where the walk ends elsewhere. `from_end`: the
    channel dim, counted from the last."""
    between: list[LayerRecord] = []
    current = layer
    for _ in range(len(trace.layers)):
        producer = _producer_of(trace, current)
        if producer is None or producer.failed or not producer.output_shapes:
            return None
        if producer.attribute("out_channels") is not None:
            return producer, between
        before, after = (producer.input_shapes or ((),))[0], producer.output_shapes[0]
        if len(before) != len(after) or len(after) < from_end or before[-from_end] != after[-from_end]:
            return None  # this layer changes the channels, and has no out_channels to say so
        between.append(producer)
        current = producer
    return None


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
            "hint.embedding_input", **values, input_size=python_shape(shape), cli_input=flag_shape(shape)
        )
    return msg("hint.embedding_inner", **values)


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
    ("layout", features_elsewhere),
    ("features", _linear),
    ("window", _window),
    ("channels", _channels),
    ("dtype", _indices),
    ("function", operands),
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
    batch = unbatched(trace, failing)
    if batch is not None:
        return replace(trace, error=replace(error, hint=batch, kind="batch"))
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
