"""Why a forward pass failed, in the user's terms: the numbers, the chain of shapes that led there,
and what to change. Pure Python over a finished, cross-checked trace."""

from __future__ import annotations

from dataclasses import replace
from math import isqrt

from shapetrace.records import LayerRecord, Shape, Trace

__all__ = ["diagnose", "with_working_sizes"]

_SPATIAL = ("Conv", "ConvTranspose", "MaxPool", "AvgPool", "LPPool", "AdaptiveAvgPool", "AdaptiveMaxPool")


def _dims(shape: Shape) -> str:
    """A product of sizes: 256·6·6."""
    return "·".join(map(str, shape))


def _size(spatial: Shape) -> str:
    """A spatial size: 16×16."""
    return "×".join(map(str, spatial))


def _producer(layers: tuple[LayerRecord, ...], failing: LayerRecord) -> LayerRecord | None:
    """The last completed leaf call before `failing` whose output is what `failing` received."""
    wanted = failing.input_shapes[:1]
    for layer in reversed(layers[: failing.index]):
        if layer.is_leaf and not layer.failed and layer.output_shapes[:1] == wanted:
            return layer
    return None


def _linear(trace: Trace, layer: LayerRecord) -> str | None:
    if layer.base_type not in ("Linear", "NonDynamicallyQuantizableLinear"):
        return None
    expected = layer.attribute("in_features")
    if not layer.input_shapes or expected is None or layer.input_shapes[0][-1:] == (expected,):
        return None
    got = layer.input_shapes[0][-1]
    why = f"{layer.name} ({layer.type}) expects {expected:,} input features but receives {got:,}"
    producer = _producer(trace.layers, layer)
    if producer is None or producer.type != "Flatten":
        shape = list(layer.input_shapes[0])
        return f"{why} (its input is {shape}). Fix: set in_features={got}, or change what feeds it."
    source = producer.input_shapes[0]
    start = producer.attribute("start_dim", 1) % len(source)
    flattened = source[start:]
    why = f"{why}: {producer.name} (Flatten) turned {list(source)} into {_dims(flattened)} = {got:,}"
    fix = f"set in_features={got}"
    channels, spatial = (flattened[0], flattened[1:]) if len(flattened) > 1 else (None, ())
    if channels and expected % channels == 0 and len(spatial) == 2:
        side = isqrt(expected // channels)
        if side * side == expected // channels:
            fix += (
                f", or feed an input that leaves a {side}×{side} feature map before {producer.name} "
                f"({channels}·{side}·{side} = {expected:,})"
            )
    return f"{why}. Fix: {fix}."


def _spatial_chain(trace: Trace, failing: LayerRecord) -> str:
    """The spatial sizes from the input to `failing`'s input, each change named by its layer."""
    steps = [f"input {_size(trace.input_shapes[0][2:])}"] if trace.input_shapes else []
    previous = trace.input_shapes[0][2:] if trace.input_shapes else None
    for layer in trace.layers[: failing.index]:
        if not layer.is_leaf or layer.failed or not layer.output_shapes:
            continue
        spatial = layer.output_shapes[0][2:]
        if spatial and spatial != previous and len(spatial) == len(previous or ()):
            steps.append(f"{layer.name} {_size(spatial)}")
            previous = spatial
    return " → ".join(steps)


def _window(trace: Trace, layer: LayerRecord) -> str | None:
    """A convolution or pool whose window no longer fits its input."""
    words = ("smaller than the kernel", "does not fit", "smaller than the kernel's span", "is below 1")
    if not layer.formula or not any(word in layer.formula for word in words):
        return None
    if not any(layer.base_type.startswith(kind) for kind in _SPATIAL):
        return None
    received = layer.input_shapes[0][2:] if layer.input_shapes else ()
    return (
        f"the spatial size ran out at {layer.name} ({layer.type}): it receives {_size(received)} and "
        f"{layer.formula}. Sizes on the way: {_spatial_chain(trace, layer)}. Fix: use a larger input."
    )


def _channels(trace: Trace, layer: LayerRecord) -> str | None:
    expected = layer.attribute("in_channels")
    if (
        expected is None
        or not layer.input_shapes
        or not layer.formula
        or "input channels" not in layer.formula
    ):
        return None
    shape = layer.input_shapes[0]
    got = shape[-len(layer.attribute("kernel_size", ())) - 1] if layer.attribute("kernel_size") else None
    first = trace.input_shapes[:1] == (shape,)
    if first:
        axis = len(shape) - len(layer.attribute("kernel_size", ()) or ()) - 1  # the channel dimension
        example = ",".join(map(str, (*shape[:axis], expected, *shape[axis + 1 :])))
        fix = f"give an input with {_channels_word(expected)} (--input {example})"
        fix += f" or build it with in_channels={got}"
    else:
        fix = f"build it with in_channels={got}, or make the layer before it give {_channels_word(expected)}"
    return f"{layer.name} ({layer.type}) expects {_channels_word(expected)} but receives {got}. Fix: {fix}."


def _channels_word(count: int) -> str:
    return f"{count} channel" if count == 1 else f"{count} channels"


def _indices(trace: Trace, layer: LayerRecord) -> str | None:
    """An embedding fed floats: it takes integer token ids, which --dtype int64 makes."""
    if layer.base_type not in ("Embedding", "EmbeddingBag"):
        return None
    first = next(layer.inputs.tensors(), None)
    if first is None or first.dtype.startswith(("int", "uint")):
        return None
    from_input = bool(layer.sources) and layer.sources[0] is not None and layer.sources[0].input is not None
    fix = (
        "give integer token ids: --dtype int64, or a typed input such as --input "
        + ",".join(map(str, first.shape))
        + ":int64"
        if from_input
        else "convert what feeds it to integer indices (.long())"
    )
    return (
        f"{layer.name} ({layer.type}) looks up rows by integer index but receives {first.dtype}. Fix: {fix}."
    )


def _function(trace: Trace, layer: LayerRecord) -> str | None:
    """A torch function (torch.cat, a residual +) whose inputs do not fit together."""
    if not layer.type.startswith("function:") or not layer.formula:
        return None
    owner = trace.layers[layer.parent] if layer.parent is not None else None
    where = f"{owner.name} ({owner.type})" if owner is not None else "the model's forward"
    owner_inputs = owner.input_shapes if owner is not None else trace.input_shapes
    sources = []
    for source, shape in zip(layer.sources, layer.input_shapes, strict=False):
        if source is not None and owner is not None and source in owner.sources:
            sources.append(f"{list(shape)}, the input of {where}")
        elif source is not None and source.layer is not None:
            sources.append(f"{list(shape)} from {trace.layers[source.layer].name}")
        elif source is not None and source.input is not None:
            sources.append(f"{list(shape)}, model input {source.input}")
        elif shape in owner_inputs:
            sources.append(f"{list(shape)}, the input of {where}")
        else:
            sources.append(str(list(shape)))
    return f"{layer.type[len('function:') :]} in {where}: {layer.formula}. Its inputs: {'; '.join(sources)}."


# Exceptions that tensor operations raise on shapes, dtypes and devices; anything else is the code's own.
_TENSOR_ERRORS = ("RuntimeError", "ValueError", "IndexError", "")


def _code(trace: Trace) -> str | None:
    """A failure that is not about sizes (a NameError, a TypeError, a failed assert): say so, and
    where, keeping the context (what the module received, or which layer had returned)."""
    error = trace.error
    if error.exception_type in _TENSOR_ERRORS:
        return None
    where = f" at {error.location}" if error.location else ""
    context = f" ({error.hint})" if error.hint else ""
    if error.exception_type == "AssertionError":
        return f"an assert in the model's code failed{where}{context}."
    if error.exception_type == "SystemExit":
        return f"the model's code called sys.exit{where}{context}."
    return (
        f"not a shape problem: {error.exception_type}{where}, a bug in the model's code rather than "
        f"a size that does not fit{context}."
    )


def diagnose(trace: Trace) -> Trace:
    """The trace with its error's hint replaced by a diagnosis where one applies."""
    error = trace.error
    if error is None:
        return trace
    failing = next(
        (layer for layer in reversed(trace.layers) if layer.name == error.layer and layer.failed), None
    )
    code = _code(trace)
    if code:
        return replace(trace, error=replace(error, hint=code, kind="code"))
    if failing is None:
        return trace
    for kind, explain in (
        ("features", _linear),
        ("window", _window),
        ("channels", _channels),
        ("dtype", _indices),
        ("function", _function),
    ):
        hint = explain(trace, failing)
        if hint:
            return replace(trace, error=replace(error, hint=hint, kind=kind))
    return trace


def with_working_sizes(trace: Trace, ranges: list[tuple[int, int]], lo: int, hi: int) -> Trace:
    """The diagnosis followed by the square input sizes the solver found to work."""
    if trace.error is None:
        return trace
    if ranges:
        sizes = ", ".join(str(first) if first == last else f"{first}-{last}" for first, last in ranges)
        found = f"Inputs {sizes} (H = W) work."
    else:
        found = f"No square input from {lo} to {hi} works."
    return replace(trace, error=replace(trace.error, hint=f"{trace.error.hint} {found}"))
