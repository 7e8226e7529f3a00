"""The terminal table: one row per module call, indented as a tree, totals and conventions below."""

from __future__ import annotations

from tabulate import tabulate

from shapetrace.records import LayerRecord, Trace
from shapetrace.render.common import (
    MAC_CONVENTION,
    brief_config,
    format_bytes,
    format_count,
    format_si,
    format_value,
    visible_layers,
)

__all__ = ["render_table", "table_rows", "footer_lines", "HEADERS"]

HEADERS = ("Layer", "Type", "Config", "Output shape", "Params", "MACs")
_ALIGN = ("left", "left", "left", "left", "right", "right")
REUSED_MARK = "*"
FAILED_MARK = "FAILED here"
FAILED_INSIDE_MARK = "(failed inside)"


def _layer_name(layer: LayerRecord) -> str:
    name = "  " * (layer.depth - 1) + layer.name
    if layer.reused:
        name += f" {REUSED_MARK}{layer.call_number}"
    return name


def _output(layer: LayerRecord, failing: str | None) -> str:
    if not layer.failed:
        return format_value(layer.outputs)
    return FAILED_MARK if layer.name == failing else FAILED_INSIDE_MARK


def table_rows(layers: list[LayerRecord], failing: str | None = None) -> list[tuple[str, ...]]:
    """The table's rows, as strings, for these layers; `failing` names the module that raised."""
    rows = []
    for layer in layers:
        output = _output(layer, failing)
        rows.append(
            (
                _layer_name(layer),
                layer.type,
                brief_config(layer),
                output,
                format_count(layer.params) if layer.params else "-",
                format_count(layer.macs) if layer.macs else "-",
            )
        )
    return rows


def footer_lines(trace: Trace, wrap: bool = True) -> list[str]:
    """Totals, the MAC convention and notes; `wrap=False` keeps each statement on one line."""
    totals = trace.totals
    lines = [
        f"Input: {format_value(trace.inputs)} {trace.dtype} on {trace.device}"
        + (f"  ->  output: {format_value(trace.outputs)}" if trace.outputs is not None else ""),
        f"Params: {format_count(totals.params)} total, {format_count(totals.trainable_params)} "
        f"trainable, {format_count(totals.non_trainable_params)} non-trainable "
        f"({format_bytes(totals.param_bytes)})",
        f"MACs: {format_count(totals.macs)} ({format_si(totals.macs, 'MAC')})   "
        f"FLOPs = 2 x MACs = {format_count(totals.flops)} ({format_si(totals.flops, 'FLOP')})",
        f"Activations (outputs of leaf calls): {format_bytes(totals.activation_bytes)}",
        *(MAC_CONVENTION if wrap else [" ".join(MAC_CONVENTION)]),
    ]
    if any(layer.reused for layer in trace.layers):
        lines.append(
            f"{REUSED_MARK}N: the N-th call of a module used more than once; "
            "its parameters count once in the totals."
        )
    return lines


def render_table(trace: Trace, depth: int | None = None) -> str:
    """The whole table as text: a title, the rows, the footer, and the error if forward failed."""
    layers = visible_layers(trace, depth)
    title = f"shapetrace: {trace.model}"
    failing = trace.error.layer if trace.error is not None else None
    body = tabulate(
        table_rows(layers, failing),
        headers=HEADERS,
        colalign=_ALIGN,
        tablefmt="simple",
        preserve_whitespace=True,
        disable_numparse=True,
    )
    lines = [title, "", body, "", *footer_lines(trace)]
    if trace.error is not None:
        kind = f" ({trace.error.layer_type})" if trace.error.layer_type else ""
        lines += ["", f"Forward pass failed in '{trace.error.layer}'{kind}: {trace.error.message}"]
        if trace.error.hint:
            lines.append(f"Hint: {trace.error.hint}")
    return "\n".join(lines) + "\n"
