"""Receptive fields (Araujo, Norris & Sim, Distill 2019): for each spatial layer, the size, jump
(effective stride) and start (centre of the first unit's field) of its output units in input
coordinates, propagated over the traced graph; where paths meet, the larger field wins."""

from __future__ import annotations

from shapetrace import rules
from shapetrace.formulas import per_dim
from shapetrace.records import LayerRecord, ReceptiveField, TraceRecord
from shapetrace.views import input_spatial_dims, with_leaf_values

__all__ = ["receptive_fields"]


def _window(layer: LayerRecord, field: ReceptiveField) -> ReceptiveField:
    """One conv or pool: r' = r + (k_eff − 1)·j, j' = j·s, start' = start + ((k_eff − 1)/2 − p)·j."""
    dims = len(field.size)
    kernel = per_dim(layer.attribute("kernel_size"), dims)
    stride = per_dim(layer.attribute("stride") or kernel, dims)
    dilation = per_dim(layer.attribute("dilation", 1), dims)
    padding = layer.attribute("padding", 0)
    if padding == "valid":
        padding = 0
    sizes, jumps, starts = [], [], []
    for axis in range(dims):
        span = dilation[axis] * (kernel[axis] - 1) + 1
        left = (span - 1) // 2 if padding == "same" else per_dim(padding, dims)[axis]
        jump = field.jump[axis]
        sizes.append(field.size[axis] + (span - 1) * jump)
        jumps.append(jump * (1 if padding == "same" else stride[axis]))
        starts.append(field.start[axis] + ((span - 1) / 2 - left) * jump)
    return ReceptiveField(tuple(sizes), tuple(jumps), tuple(starts))


def _widest(fields: list[ReceptiveField]) -> ReceptiveField:
    """Where paths meet (a residual +, a torch.cat), each dimension takes the larger field."""
    dims = len(fields[0].size)
    chosen = [max(fields, key=lambda field, axis=axis: field.size[axis]) for axis in range(dims)]
    return ReceptiveField(
        tuple(chosen[axis].size[axis] for axis in range(dims)),
        tuple(chosen[axis].jump[axis] for axis in range(dims)),
        tuple(chosen[axis].start[axis] for axis in range(dims)),
    )


def _incoming(
    layer: LayerRecord, dims: int, fields: dict[int, ReceptiveField], identity: ReceptiveField
) -> list[ReceptiveField] | None:
    """The fields of a layer's spatial inputs; None where one of them is unknown (after a transposed
    conv, say) or the layer takes none."""
    incoming = []
    for source, shape in zip(layer.sources, layer.input_shapes, strict=False):
        if len(shape) != dims + 2:
            continue
        if source is not None and source.input is not None:
            incoming.append(identity)
        elif source is not None and source.layer in fields:
            incoming.append(fields[source.layer])
        else:
            return None
    return incoming or None


def _leaf_fields(trace: TraceRecord, dims: int) -> dict[int, ReceptiveField]:
    """The field of every leaf call whose output is a spatial map of the input, by layer index."""
    identity = ReceptiveField((1,) * dims, (1,) * dims, (0.0,) * dims)
    fields: dict[int, ReceptiveField] = {}
    for layer in trace.layers:
        if layer.failed or not layer.is_leaf or not layer.output_shapes or layer.check == "mismatch":
            continue  # a layer that does not do what its settings say: its field is unknown
        if len(layer.output_shapes[0]) != dims + 2:
            continue
        incoming = _incoming(layer, dims, fields, identity)
        if incoming is None:
            continue
        effect = rules.field_effect(layer.base_type)
        if effect == "window":
            fields[layer.index] = _window(layer, incoming[0])
        elif effect == "keep":
            fields[layer.index] = _widest(incoming)  # BN, ReLU, +, torch.cat: each unit sees the same pixels
    return fields


def receptive_fields(trace: TraceRecord) -> TraceRecord:
    """The trace with `receptive_field` set on every layer whose outputs are spatial maps of the input."""
    dims = input_spatial_dims(trace)
    if dims == 0:
        return trace
    # a container gets the field of its last spatial descendant with the same output shape
    return with_leaf_values(trace, _leaf_fields(trace, dims), "receptive_field")
