"""Views of a finished trace: the trace without its function rows, as the table shows it by default;
the trace as a torchinfo-style summary's rows and totals."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from shapetrace.records import LayerRecord, Source, TraceRecord, evolve
from shapetrace.summary_records import ParamTensor, SummaryRow, SummaryTotals

__all__ = ["without_function_rows", "summary_rows", "summary_totals"]


def without_function_rows(trace: TraceRecord) -> TraceRecord:
    """The trace without its function rows (recorded for the graph, shown only on request), the
    remaining rows renumbered and their links kept."""
    kept = [layer for layer in trace.layers if not layer.is_function]
    if len(kept) == len(trace.layers):
        return trace
    renumbered = {layer.index: position for position, layer in enumerate(kept)}

    def source(old: Source | None) -> Source | None:
        if old is None or old.layer is None:
            return old
        return dataclasses.replace(old, layer=renumbered[old.layer]) if old.layer in renumbered else None

    layers = tuple(
        evolve(
            layer,
            index=renumbered[layer.index],
            parent=renumbered.get(layer.parent) if layer.parent is not None else None,
            sources=tuple(source(item) for item in layer.sources),
        )
        for layer in kept
    )
    output_sources = tuple(source(item) for item in trace.output_sources)
    return evolve(
        trace,
        layers=layers,
        output_sources=output_sources,
        hidden_graph=trace.layers,
        hidden_output_sources=trace.output_sources,
    )


def summary_rows(
    trace: TraceRecord, own: Mapping[str, tuple[ParamTensor, ...]] | None = None
) -> tuple[SummaryRow, ...]:
    """The trace as torchinfo's rows: the model itself at depth 0, then every call in call order.
    `own`: each module's own parameter tensors by qualified name (the trace alone does not hold them;
    without it, a module's own count is its total less its children's)."""
    children: dict[int | None, list[LayerRecord]] = {}
    for layer in trace.layers:
        children.setdefault(layer.parent, []).append(layer)
    counters: dict[int, int] = {}

    def own_of(name: str, total: int, kids: list[LayerRecord]) -> tuple[int, tuple[ParamTensor, ...]]:
        if own is not None:
            tensors = own.get(name, ())
            return sum(tensor.count for tensor in tensors), tensors
        return max(total - sum(kid.params for kid in kids if not kid.reused), 0), ()

    root_own, root_tensors = own_of("", trace.totals.params, children.get(None, []))
    rows = [
        SummaryRow(
            var_name="", class_name=trace.model, depth=0, depth_index=1, is_leaf_layer=not trace.layers,
            num_params=trace.totals.params, trainable_params=trace.totals.trainable_params,
            own_params=root_own, params=root_tensors, input_size=trace.input_shapes,
            output_size=trace.output_shapes if trace.outputs is not None else None, macs=trace.totals.macs,
        )
    ]  # fmt: skip
    for layer in trace.layers:
        counters[layer.depth] = counters.get(layer.depth, 0) + 1
        count, tensors = own_of(layer.name, layer.params, children.get(layer.index, []))
        rows.append(
            SummaryRow(
                var_name=layer.name, class_name=layer.type, depth=layer.depth,
                depth_index=counters[layer.depth], is_leaf_layer=layer.is_leaf, num_params=layer.params,
                trainable_params=layer.trainable_params, own_params=count, params=tensors,
                input_size=layer.input_shapes, output_size=None if layer.failed else layer.output_shapes,
                macs=layer.macs, call_number=layer.call_number, kernel_size=layer.attribute("kernel_size"),
                groups=layer.attribute("groups"), layer=layer,
            )
        )  # fmt: skip
    return tuple(rows)


def summary_totals(trace: TraceRecord) -> SummaryTotals:
    """The totals torchinfo prints, from the trace: parameters each tensor once, MACs as PyTorch counts
    them, the inputs' bytes, and the forward/backward pass size in torchinfo's meaning (twice the
    outputs of the leaf calls that hold parameters)."""
    leaves = [layer for layer in trace.layers if layer.is_leaf and not layer.is_function and not layer.failed]
    return SummaryTotals(
        params=trace.totals.params,
        trainable_params=trace.totals.trainable_params,
        param_bytes=trace.totals.param_bytes,
        mult_adds=trace.totals.macs,
        input_bytes=trace.inputs.nbytes,
        output_bytes=sum(layer.outputs.nbytes for layer in leaves if layer.outputs is not None),
        pass_bytes=2
        * sum(layer.outputs.nbytes for layer in leaves if layer.params and layer.outputs is not None),
    )


def input_spatial_dims(trace: TraceRecord) -> int:
    """How many spatial dims the (first) model input has: its dims after batch and channels."""
    shapes = trace.input_shapes
    return len(shapes[0]) - 2 if shapes and len(shapes[0]) >= 3 else 0


def with_leaf_values(trace: TraceRecord, values: Mapping[int, object], field: str) -> TraceRecord:
    """`field` set to `values[index]` on those layers, and on each container to the value of its last
    such descendant with the same output shape (what the container's output is, as far as it tells)."""
    layers = list(trace.layers)
    for index, value in values.items():
        layers[index] = evolve(layers[index], **{field: value})
    assigned: set[int] = set()
    for index in sorted(values, reverse=True):
        parent = layers[index].parent
        while parent is not None:
            container = layers[parent]
            if (
                parent not in assigned
                and not container.failed
                and container.output_shapes == layers[index].output_shapes
            ):
                layers[parent] = evolve(container, **{field: values[index]})
                assigned.add(parent)
            parent = container.parent
    return dataclasses.replace(trace, layers=tuple(layers))
