"""Side-by-side comparison of several traced models."""

from __future__ import annotations

from collections.abc import Sequence

from tabulate import tabulate

from shapetrace.messages import Lang, Terms
from shapetrace.records import TraceRecord
from shapetrace.render.common import format_bytes, format_count, format_si, format_value, say

__all__ = ["render_comparison"]


def _column(trace: TraceRecord, lang: Lang) -> list[str]:
    totals = trace.totals
    return [
        format_value(trace.inputs),
        format_value(trace.outputs) if trace.error is None else say("compare.failed", lang),
        str(sum(1 for layer in trace.layers if layer.is_leaf)),
        format_count(totals.params),
        format_bytes(totals.param_bytes),
        f"{format_count(totals.macs)} ({format_si(totals.macs)})",
        format_bytes(totals.activation_bytes),
    ]


_ROWS = ("input", "output", "leaf_calls", "params", "param_size", "macs", "activations")


def render_comparison(traces: Sequence[TraceRecord], lang: Lang = "en", terms: Terms = "api") -> str:
    """One column per model, one row per measure; failures are shown with their layer."""
    columns = [_column(trace, lang) for trace in traces]
    rows = [
        (say(f"compare.{label}", lang), *(column[i] for column in columns)) for i, label in enumerate(_ROWS)
    ]
    headers = ("", *(trace.model for trace in traces))
    text = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)
    failures = [
        say("compare.failure", lang, model=trace.model, layer=trace.error.layer, message=trace.error.message)
        for trace in traces
        if trace.error is not None
    ]
    return "\n".join([text, *failures]) + "\n"
