"""A torch function in a forward (torch.cat, a residual +) whose operands do not fit together: the
shapes, where each came from, and which dim to make equal. Pure Python over a finished trace."""

from __future__ import annotations

from shapetrace.messages import Message, Seq, msg
from shapetrace.records import LayerRecord, Shape, TraceRecord

__all__ = ["operands"]

# where an operand came from: ("layer", name), ("input_of", where), ("model_input", index), or None
Origin = tuple[str, object] | None


def _origins(trace: TraceRecord, layer: LayerRecord, where: Message) -> list[Origin]:
    """Where each input tensor of a torch function came from: a layer, the input of the module whose
    forward called it, a model input; None where unknown."""
    owner = trace.layers[layer.parent] if layer.parent is not None else None
    owner_inputs = owner.input_shapes if owner is not None else trace.input_shapes
    origins: list[Origin] = []
    for source, shape in zip(layer.sources, layer.input_shapes, strict=False):
        if source is not None and owner is not None and source in owner.sources:
            origins.append(("input_of", where))
        elif source is None:
            origins.append(("input_of", where) if shape in owner_inputs else None)
        elif source.layer is not None:
            origins.append(("layer", trace.layers[source.layer].name))
        elif source.input is not None:
            origins.append(("model_input", source.input))
        else:
            origins.append(None)
    return origins


def _described(origin: Origin, shape: Shape) -> object:
    """An operand in the list of inputs: its shape and where it came from."""
    if origin is None:
        return shape
    kind, value = origin
    if kind == "input_of":
        return msg("hint.source_input_of", shape=shape, where=value)
    if kind == "model_input":
        return msg("hint.source_model_input", shape=shape, index=value)
    return msg("hint.source_layer", shape=shape, layer=value)


def _named(origin: Origin, position: int) -> object:
    """An operand in the fix: the layer that made it, or what it is."""
    if origin is None:
        return msg("hint.side_operand", index=position)
    kind, value = origin
    if kind == "input_of":
        return msg("hint.side_input_of", where=value)
    if kind == "model_input":
        return msg("hint.side_model_input", index=value)
    return value


def _clash(layer: LayerRecord) -> tuple[int, list[tuple[int, int]]] | None:
    """The dim where a torch.cat's or a broadcast's operands differ, and (position, size) of each
    operand with a size of its own there (a broadcast's 1s left out)."""
    refusal, shapes = layer.derivation, layer.input_shapes
    if refusal is None or refusal.code not in ("refuse.cat_sizes", "refuse.broadcast") or not shapes:
        return None
    if refusal.code == "refuse.cat_sizes":
        axis = refusal.value("axis")
        first = shapes.index(refusal.value("first"))
        other = shapes.index(refusal.value("other"), first + 1)
        return axis, [(first, shapes[first][axis]), (other, shapes[other][axis])]
    axis, rank = refusal.value("dim"), max(len(shape) for shape in shapes)
    sides = []
    for position, shape in enumerate(shapes):
        at = axis - rank + len(shape)  # broadcasting aligns the last dims
        if at >= 0 and shape[at] != 1:
            sides.append((position, shape[at]))
    return axis, sides


def _fix(layer: LayerRecord, origins: list[Origin]) -> dict[str, object] | None:
    """What to make equal, and how: the dim, each operand's size there and what made it."""
    clash = _clash(layer)
    if clash is None:
        return None
    axis, sides = clash
    gives = tuple(msg("hint.side_gives", side=_named(origins[at], at), size=size) for at, size in sides)
    rank = max(len(shape) for shape in layer.input_shapes)
    if rank >= 3 and axis >= 2:  # a spatial dim
        tail = "hint.tail_spatial"
    elif rank >= 3 and axis == 1:
        tail = "hint.tail_channels"
    else:
        tail = "hint.tail_other"
    return {"dim": axis, "sides": Seq(gives, msg("hint.sides_and")), "tail": msg(tail)}


def operands(trace: TraceRecord, layer: LayerRecord) -> Message | None:
    """A torch function (torch.cat, a residual +) whose operands do not fit together: the formulas'
    refusal, where each operand came from, and which dim to make equal."""
    if not layer.is_function or layer.derivation is None:
        return None
    owner = trace.layers[layer.parent] if layer.parent is not None else None
    if owner is not None:
        where = msg("hint.where", layer=owner.name, type=owner.type)
    else:
        where = msg("word.model_forward")
    origins = _origins(trace, layer, where)
    described = tuple(
        _described(origin, shape) for origin, shape in zip(origins, layer.input_shapes, strict=False)
    )
    values = {
        "function": layer.type.partition(":")[2], "where": where, "formula": layer.derivation,
        "sources": Seq(described, "; "),
    }  # fmt: skip
    fix = _fix(layer, origins)
    return msg("hint.function_fix", **values, **fix) if fix is not None else msg("hint.function", **values)
