"""The analyses of a recorded trace, in the order each needs the last: the cross-check, receptive
fields (which skip mismatched layers), closed forms of the sizes (which name the receptive field's
jump), notes on how layers read their inputs, and the diagnosis of a failure (which reads the
refusals)."""

from __future__ import annotations

from shapetrace.closed_forms import closed_forms
from shapetrace.crosscheck import crosscheck
from shapetrace.diagnose import diagnose
from shapetrace.layouts import note_layouts
from shapetrace.lazy import Pending
from shapetrace.receptive import receptive_fields
from shapetrace.records import TraceRecord, evolve

__all__ = ["analyse", "analyse_later"]


def analyse(trace: TraceRecord) -> TraceRecord:
    """The recorded trace, cross-checked, with receptive fields, closed forms, layout notes and, if it
    failed, a diagnosis."""
    return diagnose(note_layouts(closed_forms(receptive_fields(crosscheck(trace)))))


def analyse_later(trace: TraceRecord) -> TraceRecord:
    """The trace, its analyses run on the first read of a field they fill: a trace read only for its
    shapes, parameters and MACs never runs them. The records handed back are tagged copies; the
    pending run holds the untagged ones (no cycle: a trace nobody reads is freed at once)."""
    pending = Pending(lambda: analyse(trace))
    layers = tuple(pending.tag(layer, layer.index) for layer in trace.layers)
    return evolve(pending.tag(trace), layers=layers)
