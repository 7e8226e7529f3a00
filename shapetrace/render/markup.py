"""Markdown and self-contained HTML versions of the table (no network resources)."""

from __future__ import annotations

import html

from tabulate import tabulate

from shapetrace.records import Trace
from shapetrace.render.table import HEADERS, footer_lines, table_rows

__all__ = ["render_markdown", "render_html"]


def render_markdown(trace: Trace, lang: str = "en", depth: int | None = None) -> str:
    """A Markdown page: title, the layer table (GitHub pipes), and the totals as a list."""
    from shapetrace.render.common import visible_layers

    rows = [(f"`{row[0].strip()}`", *row[1:]) for row in table_rows(visible_layers(trace, depth))]
    table = tabulate(rows, headers=HEADERS, tablefmt="github", disable_numparse=True)
    notes = "\n".join(f"- {line}" for line in footer_lines(trace, wrap=False))
    parts = [f"# {trace.model}", "", table, "", notes]
    if trace.error is not None:
        parts += ["", f"**Forward pass failed in `{trace.error.layer}`:** {trace.error.message}"]
    return "\n".join(parts) + "\n"


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em}"
    "table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #ddd}"
    "td:nth-child(5),td:nth-child(6){text-align:right;font-variant-numeric:tabular-nums}"
    "td:first-child{white-space:pre;font-family:monospace}"
)


def render_html(trace: Trace, lang: str = "en", depth: int | None = None) -> str:
    """A self-contained HTML page with the layer table and the totals; it loads nothing."""
    from shapetrace.render.common import visible_layers

    table = tabulate(
        table_rows(visible_layers(trace, depth)),
        headers=HEADERS,
        tablefmt="html",
        disable_numparse=True,
    )
    notes = "".join(f"<li>{html.escape(line)}</li>" for line in footer_lines(trace, wrap=False))
    error = ""
    if trace.error is not None:
        error = (
            f"<p><strong>Forward pass failed in {html.escape(trace.error.layer)}:</strong> "
            f"{html.escape(trace.error.message)}</p>"
        )
    title = html.escape(trace.model)
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_STYLE}</style></head>\n"
        f"<body><h1>{title}</h1>\n{table}\n<ul>{notes}</ul>{error}</body></html>\n"
    )
