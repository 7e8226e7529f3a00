"""The terminal table: one row per module call, indented as a tree, totals and conventions below."""

from __future__ import annotations

from shapetrace.messages import Lang, Terms
from shapetrace.records import LayerRecord, TraceRecord
from shapetrace.render.closed import closed_lines, layer_form_text
from shapetrace.render.common import (
    brief_config,
    format_bytes,
    format_count,
    format_shape,
    format_shapes,
    format_si,
    format_value,
    say,
    visible_layers,
    words,
)
from shapetrace.render.grid import tabulate

__all__ = [
    "render_table",
    "table_rows",
    "footer_lines",
    "failure_lines",
    "headers",
    "derivation_text",
    "field_text",
    "onnx_cell",
    "onnx_lines",
]

_ALIGN = ("left", "left", "left", "left", "right", "right", "left")
REUSED_MARK = "*"


def headers(lang: Lang = "en", explain: bool = False) -> tuple[str, ...]:
    names = tuple(say("report.headers", lang).split("|"))
    if not explain:
        return names
    return (
        *names,
        say("report.field_header", lang),
        say("form.header", lang),
        say("report.derivation", lang),
    )


def _square(values: tuple) -> str:
    """(195, 195) -> '195×195'; (7,) -> '7'."""
    return "×".join(f"{value:g}" if isinstance(value, float) else str(value) for value in values)


def field_text(layer: LayerRecord, lang: Lang = "en") -> str:
    field = layer.receptive_field
    if field is None:
        return ""
    jump = field.jump[0] if len(set(field.jump)) == 1 else _square(field.jump)
    return say("report.field", lang, size=_square(field.size), jump=jump)


def _layer_name(layer: LayerRecord) -> str:
    name = "  " * (layer.depth - 1) + layer.name
    if layer.reused:
        name += f" {REUSED_MARK}{layer.call_number}"
    return name


def _output(layer: LayerRecord, failing: str | None, lang: Lang, hides_mismatch: bool) -> str:
    if layer.failed:
        return say("report.failed_here" if layer.name == failing else "report.failed_inside", lang)
    actual = format_value(layer.outputs)
    if layer.check == "mismatch":
        expected = format_shapes(layer.expected_shapes) if layer.expected_shapes else "-"
        return say("report.mismatch_row", lang, actual=actual, expected=expected)
    if hides_mismatch:
        return say("report.mismatch_inside", lang, actual=actual)
    return actual


def _holding_mismatches(layers: list[LayerRecord], every: tuple[LayerRecord, ...]) -> set[int]:
    """Indexes of shown layers with a mismatch folded away beneath them (--depth)."""
    shown = {layer.index for layer in layers}
    holders: set[int] = set()
    for layer in every:
        if layer.check == "mismatch" and layer.index not in shown:
            parent = layer.parent
            while parent is not None and parent not in shown:
                parent = every[parent].parent
            if parent is not None:
                holders.add(parent)
    return holders


def derivation_text(layer: LayerRecord, lang: Lang = "en") -> str:
    """The formula, and the textbook's form where it differs, in `lang`."""
    if layer.derivation is None:
        return ""
    text = words(layer.derivation, lang)
    if layer.textbook_derivation is not None and layer.textbook_derivation != layer.derivation:
        text += "   [" + say("report.textbook", lang, textbook=layer.textbook_derivation) + "]"
    return text


def onnx_cell(layer: LayerRecord, lang: Lang = "en") -> str:
    """The ONNX column: ok, the exported shape where it differs, none where no node stands for it."""
    match = layer.onnx
    if match is None:
        return ""
    if match.status == "agree":
        if match.symbolic:
            return say("onnx.agree_symbolic", lang, names=", ".join(match.symbolic))
        return say("onnx.agree", lang)
    if match.status == "differ":
        return say("onnx.differ", lang, shape=format_shape(match.shape) if match.shape else "?")
    return say("onnx.absent", lang)


def table_rows(
    layers: list[LayerRecord],
    failing: str | None = None,
    lang: Lang = "en",
    explain: bool = False,
    every: tuple[LayerRecord, ...] = (),
    onnx: bool = False,
) -> list[tuple[str, ...]]:
    """The table's rows, as strings, for these layers; `failing` names the module that raised,
    `every` is the whole trace, to mark containers that hide a mismatch; `onnx`: the ONNX column."""
    holders = _holding_mismatches(layers, every)
    rows = []
    for layer in layers:
        row = (
            _layer_name(layer),
            layer.type,
            brief_config(layer),
            _output(layer, failing, lang, layer.index in holders),
            format_count(layer.params) if layer.params else "-",
            format_count(layer.macs) if layer.macs else "-",
        )
        if onnx:
            row = (*row, onnx_cell(layer, lang))
        if explain:
            row = (*row, field_text(layer, lang), layer_form_text(layer), derivation_text(layer, lang))
        rows.append(row)
    return rows


def _totals_lines(trace: TraceRecord, wrap: bool, lang: Lang) -> list[str]:
    totals = trace.totals
    line = say(
        "report.input", lang, inputs=format_value(trace.inputs), dtype=trace.dtype, device=trace.device
    )
    if trace.outputs is not None:
        line += say("report.output", lang, outputs=format_value(trace.outputs))
    convention = say("report.convention", lang)
    chosen = []
    if trace.device_reason is not None and trace.device != "cpu":  # --device auto moved off the CPU: why
        chosen = [say("device.footer", lang, device=trace.device, reason=trace.device_reason)]
    return [
        line,
        *chosen,
        say(
            "report.params", lang,
            total=format_count(totals.params), trainable=format_count(totals.trainable_params),
            frozen=format_count(totals.non_trainable_params), size=format_bytes(totals.param_bytes),
        ),
        say(
            "report.macs", lang,
            macs=format_count(totals.macs), macs_si=format_si(totals.macs, "MAC"),
            flops=format_count(totals.flops), flops_si=format_si(totals.flops, "FLOP"),
        ),
        say("report.activations", lang, size=format_bytes(totals.activation_bytes)),
        *(convention.splitlines() if wrap else [convention.replace("\n", " ")]),
    ]  # fmt: skip


def _field_line(trace: TraceRecord, lang: Lang) -> list[str]:
    """The receptive field of the last spatial layer, and where fields stopped being known after it."""
    spatial = [layer for layer in trace.layers if layer.receptive_field is not None and layer.is_leaf]
    if not spatial:
        return []
    last = spatial[-1]
    field = last.receptive_field
    assert field is not None
    jump = field.jump[0] if len(set(field.jump)) == 1 else _square(field.jump)
    rank = len(trace.input_shapes[0]) if trace.input_shapes else 0
    unknown = [
        layer
        for layer in trace.layers
        if layer.is_leaf
        and layer.receptive_field is None
        and layer.output_shapes
        and len(layer.output_shapes[0]) == rank
        and any(size != 1 for size in layer.output_shapes[0][2:])  # not a global pool
    ]
    values = {"name": last.name, "type": last.type, "size": _square(field.size), "jump": jump}
    if unknown and unknown[-1].index > last.index:
        return [say("report.field_footer_partial", lang, **values, unknown=unknown[0].name)]
    return [say("report.field_footer", lang, **values)]


# findings on layers that ran and check out, worth a line under the table (see shapetrace.layouts)
LAYOUT_NOTES = ("check.time_major",)


def _layout_notes(trace: TraceRecord, lang: Lang) -> list[str]:
    """A line for each note on how a layer reads its input (a layer called twice alike: one line)."""
    lines: list[str] = []
    for layer in trace.layers:
        if layer.check != "mismatch" and layer.finding is not None and layer.finding.code in LAYOUT_NOTES:
            line = say(
                "report.layout_note", lang, name=layer.name, type=layer.type, note=words(layer.finding, lang)
            )
            lines += [line] if line not in lines else []
    return lines


def onnx_lines(trace: TraceRecord, lang: Lang = "en") -> list[str]:
    """The ONNX export's line: how many calls agree with the exported graph, then one line for each
    that differs or has no node; or the exporter's failure."""
    report = trace.onnx
    if report is None:
        return []
    if report.graph is None:
        return [words(report.error, lang)]
    graph = report.graph
    matched = [layer for layer in trace.layers if layer.onnx is not None]
    compared = [layer for layer in matched if layer.onnx.status != "absent"]
    lines = [
        say(
            "onnx.footer", lang,
            path=graph.path or say("onnx.in_memory", lang), opset=graph.opset, nodes=len(graph.nodes),
            values=len(graph.shapes), shaped=len(graph.shapes) - len(graph.unshaped),
            agree=sum(layer.onnx.status == "agree" for layer in compared), compared=len(compared),
        )
    ]  # fmt: skip
    if graph.dynamic:
        symbolic = [layer for layer in compared if layer.onnx.status == "agree" and layer.onnx.symbolic]
        lines.append(say("onnx.footer_symbolic", lang, names=", ".join(graph.dynamic), count=len(symbolic)))
    absent: dict[str, list[str]] = {}  # reason -> names: 17 fused BatchNorms make one line
    for layer in matched:
        match = layer.onnx
        if match.status == "differ":
            lines.append(
                say(
                    "onnx.footer_differ", lang,
                    name=layer.name, type=layer.type, node=match.node,
                    shape=format_shape(match.shape) if match.shape else "?",
                    traced=format_value(layer.outputs),
                )
            )  # fmt: skip
        elif match.status == "absent":
            names = absent.setdefault(words(match.reason, lang), [])
            names += [] if layer.name in names else [layer.name]
    for reason, names in absent.items():
        lines.append(say("onnx.footer_absent", lang, names=", ".join(names), reason=reason))
    return lines


def footer_lines(trace: TraceRecord, wrap: bool = True, lang: Lang = "en") -> list[str]:
    """Totals, cross-check counts, the MAC convention and notes; `wrap=False`: one line a statement."""
    lines = _totals_lines(trace, wrap, lang)
    if trace.layers:
        lines.append(say("report.checks", lang, **trace.checks))
    lines += _field_line(trace, lang)
    for layer in trace.layers:
        if layer.check == "mismatch":
            lines.append(say("report.mismatch_note", lang, name=layer.name, note=words(layer.finding, lang)))
    lines += _layout_notes(trace, lang)
    lines += onnx_lines(trace, lang)
    if any(layer.reused for layer in trace.layers):
        lines.append(say("report.reused", lang))
    lines += [say("note.footer", lang, note=words(note, lang)) for note in trace.notes]
    return lines


def failure_lines(trace: TraceRecord, lang: Lang = "en", terms: Terms = "api") -> list[str]:
    error = trace.error
    if error is None:
        return []
    kind = say("report.failure_kind", type=error.layer_type) if error.layer_type else ""
    lines = [say("report.failure", lang, layer=error.layer, kind=kind, message=error.message)]
    if error.advice is not None:
        lines.append(say("report.hint", lang, terms, hint=words(error.advice, lang, terms)))
    return lines


def render_table(
    trace: TraceRecord,
    depth: int | None = None,
    explain: bool = False,
    lang: Lang = "en",
    terms: Terms = "api",
) -> str:
    """The whole table as text: a title, the rows, the footer, and the error if forward failed."""
    failing = trace.error.layer if trace.error is not None else None
    onnx = trace.onnx is not None and trace.onnx.graph is not None
    names = headers(lang, explain)
    if onnx:
        names = (*names[:6], say("onnx.header", lang), *names[6:])
    body = tabulate(
        table_rows(visible_layers(trace, depth), failing, lang, explain, trace.layers, onnx),
        headers=names,
        colalign=_ALIGN[:6] + (("left",) if onnx else ()) + (("left", "left", "left") if explain else ()),
        tablefmt="simple",
        preserve_whitespace=True,
        disable_numparse=True,
    )
    lines = [say("report.title", model=trace.model), "", body, "", *footer_lines(trace, lang=lang)]
    if explain:
        lines += closed_lines(trace, lang)
    failure = failure_lines(trace, lang, terms)
    return "\n".join(lines + ([""] + failure if failure else [])) + "\n"
