"""Markdown and self-contained HTML versions of the table (no network resources)."""

from __future__ import annotations

import html

from tabulate import tabulate

from shapetrace.messages import Lang, Terms
from shapetrace.records import TraceRecord
from shapetrace.render.common import visible_layers
from shapetrace.render.table import failure_lines, footer_lines, headers, table_rows

__all__ = ["render_markdown", "render_html"]


def _rows(trace: TraceRecord, depth: int | None, lang: Lang, explain: bool) -> list[tuple[str, ...]]:
    failing = trace.error.layer if trace.error is not None else None
    return table_rows(visible_layers(trace, depth), failing, lang, explain, trace.layers)


def _notes(trace: TraceRecord, lang: Lang, terms: Terms) -> list[str]:
    return footer_lines(trace, wrap=False, lang=lang) + failure_lines(trace, lang, terms)


def render_markdown(
    trace: TraceRecord,
    lang: Lang = "en",
    depth: int | None = None,
    explain: bool = False,
    terms: Terms = "api",
) -> str:
    """A Markdown page: title, the layer table (GitHub pipes), the totals and any failure as a list."""
    rows = []
    for name, *rest in _rows(trace, depth, lang, explain):
        indent = len(name) - len(name.lstrip(" "))
        rows.append(("&nbsp;" * indent + f"`{name.strip()}`", *rest))  # pipes tables drop spaces
    table = tabulate(rows, headers=headers(lang, explain), tablefmt="github", disable_numparse=True)
    notes = "\n".join(f"- {line}" for line in _notes(trace, lang, terms))
    return "\n".join([f"# {trace.model}", "", table, "", notes]) + "\n"


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em}"
    "table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #ddd}"
    "td:nth-child(5),td:nth-child(6){text-align:right;font-variant-numeric:tabular-nums}"
    "td:first-child{white-space:pre;font-family:monospace}"
)


def render_html(
    trace: TraceRecord,
    lang: Lang = "en",
    depth: int | None = None,
    explain: bool = False,
    terms: Terms = "api",
) -> str:
    """A self-contained HTML page with the layer table and the totals; it loads nothing."""
    table = tabulate(
        _rows(trace, depth, lang, explain),
        headers=headers(lang, explain),
        tablefmt="html",
        disable_numparse=True,
        preserve_whitespace=True,
    )
    notes = "".join(f"<li>{html.escape(line)}</li>" for line in _notes(trace, lang, terms))
    title = html.escape(trace.model)
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_STYLE}</style></head>\n"
        f"<body><h1>{title}</h1>\n{table}\n<ul>{notes}</ul></body></html>\n"
    )
