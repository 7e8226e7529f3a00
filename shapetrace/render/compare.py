"""The comparison of several traced models as a table, a JSON document, and the view its handout
templates lay out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shapetrace.messages import Lang, Terms
from shapetrace.records import TraceRecord
from shapetrace.render.common import format_bytes, format_count, format_si, format_value, say, words
from shapetrace.render.comparison import Stage, align, changes, stages
from shapetrace.render.grid import tabulate

__all__ = ["render_comparison", "comparison_view", "comparison_to_dict", "render_stages_csv"]

_ROWS = ("input", "output", "leaf_calls", "params", "param_size", "macs", "activations")


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


def _totals_rows(traces: Sequence[TraceRecord], lang: Lang) -> list[tuple[str, ...]]:
    columns = [_column(trace, lang) for trace in traces]
    return [
        (say(f"compare.{label}", lang), *(column[i] for column in columns)) for i, label in enumerate(_ROWS)
    ]


def _failures(traces: Sequence[TraceRecord], lang: Lang) -> list[str]:
    return [
        say("compare.failure", lang, model=trace.model, layer=trace.error.layer, message=trace.error.message)
        for trace in traces
        if trace.error is not None
    ]


def _cell(stage: Stage | None, explain: bool) -> tuple[str, ...]:
    if stage is None:
        return ("", "", "") if explain else ("", "")
    return (stage.text, stage.output, stage.formula) if explain else (stage.text, stage.output)


def comparison_view(
    traces: Sequence[TraceRecord], lang: Lang = "en", explain: bool = False
) -> dict[str, Any]:
    """The comparison as plain values in `lang`: totals, aligned stages, what changed."""
    rows = align([stages(trace, lang) for trace in traces])
    return {
        "models": [trace.model for trace in traces],
        "title": say("compare.title", lang, models=" → ".join(trace.model for trace in traces)),
        "totals": _totals_rows(traces, lang),
        "stages": [[_cell(stage, explain) for stage in row] for row in rows],
        "changes": [
            {
                "title": say("compare.from_to", lang, first=first, second=second),
                "items": [words(change, lang) for change in found] or [say("compare.nothing_changed", lang)],
            }
            for first, second, found in changes(list(traces))
        ],
        "failures": _failures(traces, lang),
        "explain": explain,
    }


def render_comparison(
    traces: Sequence[TraceRecord], lang: Lang = "en", terms: Terms = "api", explain: bool = False
) -> str:
    """The comparison as terminal text: totals, stages side by side, and what changed."""
    view = comparison_view(traces, lang, explain)
    headers = ("", *view["models"])
    totals = tabulate(view["totals"], headers=headers, tablefmt="simple", disable_numparse=True)
    per_model = 3 if explain else 2
    stage_headers = [say("compare.stage_column", lang)]
    for model in view["models"]:
        stage_headers += [
            model,
            say("report.headers", lang).split("|")[3],
            *([say("report.derivation", lang)] if explain else []),
        ][:per_model]
    stage_rows = [
        (str(number), *(value for cell in row for value in cell))
        for number, row in enumerate(view["stages"], 1)
    ]
    aligned = tabulate(stage_rows, headers=stage_headers, tablefmt="simple", disable_numparse=True)
    lines = [totals, "", say("compare.stages", lang), "", aligned, "", say("compare.changes", lang)]
    for change in view["changes"]:
        lines.append(f"  {change['title']}:")
        lines += [f"    - {item}" for item in change["items"]]
    return "\n".join([*lines, *view["failures"]]) + "\n"


def comparison_to_dict(traces: Sequence[TraceRecord], terms: Terms = "api") -> dict[str, Any]:
    """The `shapetrace/compare/1` document: each model's `shapetrace/1` document, the aligned stages and
    what changed, in English."""
    from shapetrace.render.data import trace_to_dict

    rows = align([stages(trace) for trace in traces])
    return {
        "schema": "shapetrace/compare/1",
        "models": [trace_to_dict(trace, terms) for trace in traces],
        "stages": [
            [
                None
                if stage is None
                else {
                    "kind": stage.kind,
                    "text": stage.text,
                    "output": stage.output,
                    "formula": stage.formula,
                    "layers": list(stage.layers),
                }  # fmt: skip
                for stage in row
            ]
            for row in rows
        ],
        "changes": [
            {"from": first, "to": second, "items": [words(change) for change in found]}
            for first, second, found in changes(list(traces))
        ],
    }


def render_stages_csv(traces: Sequence[TraceRecord]) -> str:
    """The aligned stages as CSV: a row per stage, a stage and an output column per model."""
    import csv
    import io

    from shapetrace.render.data import spreadsheet_safe

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["stage", *(f"{trace.model} {column}" for trace in traces for column in ("stage", "output"))]
    writer.writerow([spreadsheet_safe(cell) for cell in header])
    for number, row in enumerate(align([stages(trace) for trace in traces]), 1):
        writer.writerow(
            [number, *(spreadsheet_safe(value) for stage in row for value in _cell(stage, False))]
        )
    return buffer.getvalue()
