"""Which dim of an input holds what: an input without its batch dim, a recurrent layer that reads the
batch as time, features on another dim than the last. Pure Python over a finished, cross-checked
trace; what it finds is a message."""

from __future__ import annotations

import re

from shapetrace.messages import Message, msg
from shapetrace.records import LayerRecord, Shape, TraceRecord, evolve

__all__ = ["unbatched", "features_elsewhere", "note_layouts", "spatial_dims", "python_shape", "flag_shape"]

_WINDOWED = ("Conv", "MaxPool", "AvgPool", "LPPool", "AdaptiveAvgPool", "AdaptiveMaxPool")
_RECURRENT = ("RNNBase", "RNN", "LSTM", "GRU")


def python_shape(shape: Shape) -> str:
    """(1, 3, 32, 32), as input_size= takes it."""
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def flag_shape(shape: Shape) -> str:
    """1,3,32,32, as --input takes it."""
    return ",".join(map(str, shape))


def spatial_dims(layer: LayerRecord) -> int | None:
    """How many spatial dims a convolution or pool works on (Conv2d: 2), from its class name."""
    found = re.search(r"([123])d$", layer.base_type)
    return int(found.group(1)) if found and layer.base_type.startswith(_WINDOWED) else None


def unbatched(trace: TraceRecord, failing: LayerRecord | None) -> Message | None:
    """The model's one input lacks its batch dim: the first convolution or pool ran it as one unbatched
    sample ([C, H, W] for Conv2d), and a later layer failed on what that left."""
    if len(trace.input_shapes) != 1:
        return None
    shape = trace.input_shapes[0]
    first = next((layer for layer in trace.layers if layer.is_leaf and spatial_dims(layer)), None)
    if first is None or first.failed or not first.input_shapes or (failing and failing.index <= first.index):
        return None
    dims = spatial_dims(first)
    if dims is None or len(first.input_shapes[0]) != dims + 1 or len(shape) != dims + 1:
        return None
    fixed = (1, *shape)
    then = (
        msg("hint.unbatched_then", layer=failing.name, type=failing.type, received=failing.input_shapes[0])
        if failing is not None and failing.input_shapes
        else ""
    )
    return msg(
        "hint.unbatched",
        shape=shape, first=first.name, first_type=first.type, then=then,
        input_size=python_shape(fixed), cli_input=flag_shape(fixed),
    )  # fmt: skip


def _moved_last(rank: int, dim: int) -> tuple[str, tuple[int, ...]]:
    """The call that moves `dim` last, the other dims keeping their order, and that order."""
    order = (*(axis for axis in range(rank) if axis != dim), dim)
    if dim == rank - 2:
        return f"transpose({dim}, {rank - 1})", order
    return "permute(" + ", ".join(map(str, order)) + ")", order


def features_elsewhere(trace: TraceRecord, layer: LayerRecord) -> Message | None:
    """A recurrent layer whose input_size features are on another dim than the last: (batch, features,
    time) fed to an LSTM that takes (batch, time, features)."""
    refusal = layer.derivation
    if layer.base_type not in _RECURRENT or refusal is None or refusal.code != "refuse.recurrent_features":
        return None
    features, shape = layer.attribute("input_size"), layer.input_shapes[0]
    dims = [dim for dim in range(len(shape) - 1) if shape[dim] == features]
    if not dims:
        return None
    move, order = _moved_last(len(shape), dims[-1])
    return msg(
        "hint.features_elsewhere",
        layer=layer.name, type=layer.type, features=features, shape=shape, dim=dims[-1], move=move,
        moved=tuple(shape[axis] for axis in order),
    )  # fmt: skip


def _time_major(layer: LayerRecord) -> Message | None:
    """A recurrent layer without batch_first fed (A, B, features) with A ≠ B reads A as the time steps:
    say so, since (batch, time, features) is the other common layout."""
    if layer.base_type not in _RECURRENT or layer.failed or layer.attribute("batch_first") is not False:
        return None
    first = layer.inputs.items[0][1] if layer.inputs.items else None
    shape = first.tensor.shape if first is not None and first.tensor is not None else ()
    if len(shape) != 3 or shape[-1] != layer.attribute("input_size") or shape[0] == shape[1]:
        return None
    return msg("check.time_major", shape=shape, steps=shape[0], batch=shape[1])


def note_layouts(trace: TraceRecord) -> TraceRecord:
    """The trace with a note (a finding) on every recurrent layer that reads dim 0 as time where dim 0
    may be the batch; a layer that has a finding already keeps it."""
    notes = {
        layer.index: note for layer in trace.layers if layer.finding is None and (note := _time_major(layer))
    }
    if not notes:
        return trace
    layers = tuple(
        evolve(layer, finding=notes[layer.index]) if layer.index in notes else layer for layer in trace.layers
    )
    return evolve(trace, layers=layers)
