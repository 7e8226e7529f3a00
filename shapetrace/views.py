"""Views of a finished trace: the trace without its function rows, as the table shows it by default."""

from __future__ import annotations

import dataclasses

from shapetrace.records import Source, TraceRecord, evolve

__all__ = ["without_function_rows"]


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
    return dataclasses.replace(
        trace,
        layers=layers,
        output_sources=output_sources,
        hidden_graph=trace.layers,
        hidden_output_sources=trace.output_sources,
    )
