"""The torchinfo-style summary: the rows a user picked the columns of, drawn as a tree, the totals and the
memory estimate under them; as text and as an HTML table (for Jupyter)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from tabulate import tabulate
from wcwidth import wcswidth

from shapetrace.messages import Lang, Message
from shapetrace.render.common import format_count, format_shape, say, words
from shapetrace.render.table import derivation_text, field_text
from shapetrace.summary_records import SummaryRow, SummaryTotals

__all__ = ["COLUMNS", "ROW_SETTINGS", "DEFAULT_COLUMNS", "SummaryOptions", "render_summary", "summary_html"]

# torchinfo's columns, then shapetrace's own
COLUMNS = (
    "input_size", "output_size", "num_params", "params_percent", "kernel_size", "groups", "mult_adds",
    "trainable", "check", "formula", "receptive_field",
)  # fmt: skip
ROW_SETTINGS = ("depth", "var_names", "ascii_only", "hide_recursive_layers")
DEFAULT_COLUMNS = ("output_size", "num_params")
BLANK = "--"
_HEADERS = {
    "input_size": "summary.col_input_size", "output_size": "summary.col_output_size",
    "num_params": "summary.col_num_params", "params_percent": "summary.col_params_percent",
    "kernel_size": "summary.col_kernel_size", "groups": "summary.col_groups",
    "mult_adds": "summary.col_mult_adds", "trainable": "summary.col_trainable", "check": "summary.col_check",
    "formula": "summary.col_formula", "receptive_field": "summary.col_receptive_field",
}  # fmt: skip
_LABEL_HEADERS = {  # (var_names, depth) -> the first column's header
    (False, False): "summary.layer", (False, True): "summary.layer_depth",
    (True, False): "summary.layer_var", (True, True): "summary.layer_var_depth",
}  # fmt: skip
MEGABYTE = 1_000_000  # torchinfo's "MB": 10^6 bytes, so that its figures and ours compare


@dataclass(frozen=True)
class SummaryOptions:
    """What the summary shows: the columns in order, the row settings, rows down to `depth`, a row per
    parameter tensor (`verbose` 2), the narrowest a column is drawn."""

    columns: tuple[str, ...] = DEFAULT_COLUMNS
    row_settings: tuple[str, ...] = ("depth",)
    depth: int | None = 3  # None: every row
    verbose: int = 1
    col_width: int = 25


def _branch(depth: int, ascii_only: bool) -> str:
    """torchinfo's tree: '├─' under the model, '│    └─' below that ('+ ', '|    + ' in ASCII)."""
    if depth == 0:
        return ""
    if depth == 1:
        return "+ " if ascii_only else "├─"
    return ("|    " if ascii_only else "│    ") * (depth - 1) + ("+ " if ascii_only else "└─")


def _label(row: SummaryRow, settings: tuple[str, ...]) -> str:
    text = row.class_name
    if "var_names" in settings and row.var_name:
        text += f" ({row.var_name.rsplit('.', 1)[-1]})"
    if "depth" in settings and row.depth > 0:
        text += f": {row.depth}-{row.depth_index}"
    return _branch(row.depth, "ascii_only" in settings) + text


def _shapes(shapes: tuple[tuple[int, ...], ...] | None, failed: bool, lang: Lang) -> str:
    if failed:
        return say("summary.failed", lang)
    if not shapes:
        return BLANK
    return ", ".join(format_shape(shape) for shape in shapes)


def _collapsed(value: object) -> str:
    if value is None:
        return BLANK
    if isinstance(value, tuple):
        return format_shape(value)
    return str(value)


def _trainable(row: SummaryRow, lang: Lang) -> str:
    if not row.num_params:
        return BLANK
    if row.trainable_params == row.num_params:
        return say("summary.trainable_all", lang)
    return say("summary.trainable_none" if not row.trainable_params else "summary.trainable_partial", lang)


def _cell(column: str, row: SummaryRow, folded: bool, total: int, lang: Lang) -> str:
    """One cell; `folded`: the row's children are not shown, so it stands for them."""
    layer = row.layer
    if column in ("input_size", "output_size"):
        shapes = row.input_size if column == "input_size" else row.output_size
        ran = row.input_size is not None
        return _shapes(shapes, ran and column == "output_size" and shapes is None, lang)
    if column in ("num_params", "params_percent"):
        if row.is_recursive:
            return say("summary.recursive", lang)
        count = row.num_params if folded else row.own_params
        if not count:
            return BLANK
        return format_count(count) if column == "num_params" else f"{100 * count / max(total, 1):.2f}%"
    if column == "kernel_size":
        return _collapsed(row.kernel_size)
    if column == "groups":
        return _collapsed(row.groups)
    if column == "mult_adds":
        return format_count(row.macs) if row.macs and folded else BLANK
    if column == "trainable":
        return _trainable(row, lang)
    if layer is None:
        return BLANK
    if column == "check":
        return layer.check
    if column == "formula":
        return derivation_text(layer, lang) or BLANK
    return field_text(layer, lang) or BLANK  # receptive_field


def _visible(rows: Sequence[SummaryRow], options: SummaryOptions) -> list[SummaryRow]:
    hide = "hide_recursive_layers" in options.row_settings
    deepest = options.depth if options.depth is not None else max((row.depth for row in rows), default=0)
    return [row for row in rows if row.depth <= deepest and not (hide and row.is_recursive)]


def _table(
    rows: Sequence[SummaryRow], totals: SummaryTotals, options: SummaryOptions, lang: Lang
) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The header and the cells, the label first; with verbose 2 a row under each module per tensor."""
    var, depth = "var_names" in options.row_settings, "depth" in options.row_settings
    header = (
        say(_LABEL_HEADERS[var, depth], lang),
        *(say(_HEADERS[column], lang) for column in options.columns),
    )
    visible = _visible(rows, options)
    body = []
    for position, row in enumerate(visible):
        following = visible[position + 1] if position + 1 < len(visible) else None
        folded = following is None or following.depth <= row.depth  # nothing of its own shown below it
        body.append(
            (_label(row, options.row_settings),
             *(_cell(column, row, folded, totals.params, lang) for column in options.columns))
        )  # fmt: skip
        if options.verbose >= 2 and not row.is_recursive:  # the tensors, at the module's first call
            for tensor in row.params:
                label = _branch(row.depth + 1, "ascii_only" in options.row_settings) + tensor.name
                cells = (
                    format_count(tensor.count) if column == "num_params" else "" for column in options.columns
                )
                body.append((f"{label} {format_shape(tensor.shape)}", *cells))
    return header, body


def _megabytes(count: int) -> str:
    return f"{count / MEGABYTE:.2f}"


def _mult_adds(count: int) -> tuple[str, str]:
    """torchinfo's unit for the total: G from 10^9, else M."""
    return ("G", f"{count / 1e9:.2f}") if count >= 1e9 else ("M", f"{count / 1e6:.2f}")


def totals_lines(totals: SummaryTotals, lang: Lang = "en") -> list[list[str]]:
    """The blocks under the table: the counts, then the memory estimate, then how they were counted."""
    counts = [
        say("summary.total_params", lang, count=format_count(totals.params)),
        say("summary.trainable_params", lang, count=format_count(totals.trainable_params)),
        say("summary.frozen_params", lang, count=format_count(totals.params - totals.trainable_params)),
    ]
    if totals.mult_adds is None:
        counts.append(say("summary.no_mult_adds", lang))
        memory = [say("summary.params_size", lang, size=_megabytes(totals.param_bytes))]
        return [counts, memory, [say("summary.no_input_note", lang)]]
    unit, value = _mult_adds(totals.mult_adds)
    counts.append(
        say("summary.mult_adds", lang, unit=unit, value=value, count=format_count(totals.mult_adds))
    )
    memory = [
        say("summary.input_size", lang, size=_megabytes(totals.input_bytes or 0)),
        say("summary.pass_size", lang, size=_megabytes(totals.pass_bytes or 0)),
        say("summary.params_size", lang, size=_megabytes(totals.param_bytes)),
        say("summary.total_size", lang, size=_megabytes(totals.total_bytes)),
    ]
    return [counts, memory, say("summary.convention", lang).splitlines()]


_ASCII = str.maketrans({"×": "x", "·": "*", "⌊": "floor(", "⌋": ")", "⌈": "ceil(", "⌉": ")", "²": "^2",
                        "→": "->", "−": "-", "√": "sqrt", "…": "..."})  # fmt: skip


def _ascii(text: str) -> str:
    """ascii_only: the formulas' symbols spelled out, anything else outside ASCII as '?'."""
    return text.translate(_ASCII).encode("ascii", "replace").decode("ascii")


def _width(text: str) -> int:
    """Columns a text takes in a terminal (a Chinese character two): wcwidth, as tabulate measures."""
    return max(wcswidth(text), len(text))


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _widths(header: tuple[str, ...], body: list[tuple[str, ...]], col_width: int) -> list[int]:
    widths = []
    for position, title in enumerate(header):
        longest = max([_width(title), *(_width(row[position]) for row in body)]) + 2
        widths.append(longest if position == 0 else max(col_width, longest))
    return widths


def render_summary(
    rows: Sequence[SummaryRow],
    totals: SummaryTotals,
    options: SummaryOptions = SummaryOptions(),
    lang: Lang = "en",
    notes: Sequence[Message] = (),
) -> str:
    """The summary as torchinfo lays it out: '=' rules, the header, one line a row, the totals; then
    the trace's `notes` (a compiled or TorchScript model, packed weights: how it was counted)."""
    header, body = _table(rows, totals, options, lang)
    if "ascii_only" in options.row_settings:
        body = [tuple(_ascii(cell) for cell in row) for row in body]
    widths = _widths(header, body, options.col_width)

    def line(cells: tuple[str, ...]) -> str:
        return "".join(_pad(cell, width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    rule = "=" * sum(widths)
    lines = [rule, line(header), rule, *(line(row) for row in body), rule]
    for block in totals_lines(totals, lang):
        lines += [*block, rule]
    lines += _note_lines(notes, lang)
    return "\n".join(lines) + "\n"


def _note_lines(notes: Sequence[Message], lang: Lang) -> list[str]:
    return [say("note.footer", lang, note=words(note, lang)) for note in notes]


def summary_html(
    rows: Sequence[SummaryRow],
    totals: SummaryTotals,
    options: SummaryOptions = SummaryOptions(),
    lang: Lang = "en",
    diagram: str = "",
    notes: Sequence[Message] = (),
) -> str:
    """The summary as an HTML table, the totals and the notes as a list, then `diagram` (inline SVG)."""
    header, body = _table(rows, totals, options, lang)
    table = tabulate(body, headers=header, tablefmt="html", disable_numparse=True, preserve_whitespace=True)
    # the tree keeps its indents
    table = table.replace("<table>", '<table style="white-space: pre; text-align: left">', 1)
    lines = [line for block in totals_lines(totals, lang) for line in block] + _note_lines(notes, lang)
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    figure = f'<div class="shapetrace-diagram">{diagram}</div>' if diagram else ""
    return f'<div class="shapetrace-summary">{table}<ul>{items}</ul>{figure}</div>'
