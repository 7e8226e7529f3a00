"""The handout of one model, as the seed note has it and more: lineage, definition, every layer's shape
with its derivation in both notations, where the parameters and the work are, the receptive field's
growth with each size's closed form and the inputs that fit, the architecture diagram and block
figures, the totals. This module prepares a plain view; the jinja2 templates in `templates/` lay it
out as Markdown or HTML."""

from __future__ import annotations

from typing import Any

from shapetrace.messages import Lang, Terms, entries
from shapetrace.records import LayerRecord, TraceRecord
from shapetrace.render.closed import closed_lines, layer_form_text
from shapetrace.render.common import (
    Document,
    brief_config,
    format_count,
    format_value,
    say,
    visible_layers,
    words,
)
from shapetrace.render.diagram import OVERVIEW_BOXES, block_diagram, build_diagram, figure_blocks
from shapetrace.render.layout import lay_out
from shapetrace.render.onnx_graph import onnx_closed_shapes, onnx_svg, onnx_values
from shapetrace.render.svg import paint
from shapetrace.render.table import failure_lines, footer_lines

__all__ = ["Document", "handout_view", "DEFINITION_LINES", "TOP"]

DEFINITION_LINES = 80  # a longer definition is folded
TOP = 5  # layers listed where parameters and work concentrate


def _words(lang: Lang, *codes: str) -> dict[str, str]:
    return {code.rpartition(".")[2]: say(code, lang) for code in codes}


def _row(layer: LayerRecord, failing: str | None, lang: Lang) -> dict[str, Any]:
    textbook = words(layer.textbook_derivation, lang) if layer.textbook_derivation != layer.derivation else ""
    output = (
        format_value(layer.outputs)
        if not layer.failed
        else say("report.failed_here" if layer.name == failing else "report.failed_inside", lang)
    )
    return {
        "index": layer.index,
        "name": layer.name,
        "depth": layer.depth,
        "type": layer.type,
        "config": brief_config(layer),
        "output": output,
        "params": format_count(layer.params) if layer.params else "",
        "macs": format_count(layer.macs) if layer.macs else "",
        "check": layer.check,
        "failed": layer.failed,
        "formula": words(layer.derivation, lang),
        "textbook": textbook,
        "textbook_label": say("report.textbook", lang, textbook=textbook) if textbook else "",
        "leaf": layer.is_leaf,
    }


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _concentration(trace: TraceRecord, lang: Lang) -> dict[str, Any]:
    """The leaves with the most parameters and the most MACs, with their share of the whole."""
    leaves = [layer for layer in trace.layers if layer.is_leaf and not layer.reused]
    totals = trace.totals
    by_params = sorted((layer for layer in leaves if layer.params), key=lambda layer: -layer.params)[:TOP]
    by_macs = sorted(
        (layer for layer in trace.layers if layer.is_leaf and layer.macs), key=lambda layer: -layer.macs
    )[:TOP]

    def entry(layer: LayerRecord, value: int, whole: int) -> dict[str, str]:
        return {
            "name": layer.name,
            "type": layer.type,
            "value": format_count(value),
            "share": _share(value, whole),
        }

    sentences = []
    if by_params:
        top = by_params[0]
        share = _share(top.params, totals.params)
        sentences.append(say("handout.largest_params", lang, layer=top.name, type=top.type, share=share))
    if by_macs:
        top = by_macs[0]
        share = _share(top.macs, totals.macs)
        sentences.append(say("handout.largest_macs", lang, layer=top.name, type=top.type, share=share))
    return {
        "params": [entry(layer, layer.params, totals.params) for layer in by_params],
        "macs": [entry(layer, layer.macs, totals.macs) for layer in by_macs],
        "sentences": sentences,
    }


def _fields(trace: TraceRecord) -> list[dict[str, str]]:
    rows = []
    for layer in trace.layers:
        field_ = layer.receptive_field
        if field_ is None or not layer.is_leaf:
            continue
        size = "×".join(map(str, field_.size))
        jump = "×".join(map(str, field_.jump)) if len(set(field_.jump)) > 1 else str(field_.jump[0])
        rows.append(
            {
                "name": layer.name,
                "type": layer.type,
                "output": format_value(layer.outputs),
                "size": size,
                "jump": jump,
                "form": layer_form_text(layer),
            }
        )
    return rows


def _slug(name: str) -> str:
    """A model name as it can start an id in HTML."""
    return "".join(char if char.isalnum() else "-" for char in name)


def _definition(trace: TraceRecord, lang: Lang) -> dict[str, Any]:
    lines = trace.definition.splitlines()
    folded = len(lines) > DEFINITION_LINES
    shown = lines[: DEFINITION_LINES - 5] if folded else lines
    note = say("handout.definition_folded", lang, count=len(lines) - len(shown)) if folded else ""
    return {"text": "\n".join(shown), "note": note}


def _figures(trace: TraceRecord, lang: Lang, depth: int | None) -> dict[str, Any]:
    """The overview diagram, and one figure for the inside of each kind of block it folds away."""
    overview = build_diagram(trace, depth, lang, max_boxes=OVERVIEW_BOXES)
    blocks = []
    if overview.depth is not None:
        for index in figure_blocks(trace, overview):
            layer = trace.graph[index]
            title = say("handout.block", lang, name=layer.name, type=layer.type)
            blocks.append(
                {
                    "title": title,
                    "svg": paint(
                        lay_out(block_diagram(trace, index, lang)), prefix=f"{_slug(trace.model)}-L{index}-"
                    ),
                    "key": f"L{index}",
                }
            )
    note = say("handout.diagram_folded", lang, depth=overview.depth) if overview.depth is not None else ""
    return {
        "overview": paint(lay_out(overview), prefix=f"{_slug(trace.model)}-"),
        "blocks": blocks,
        "note": note,
    }


def _onnx(trace: TraceRecord, lang: Lang) -> dict[str, Any] | None:
    """The exported graph drawn with its shapes and the table of its values, where there is one."""
    graph = trace.onnx.graph if trace.onnx is not None else None
    if graph is None:
        return None
    closed = onnx_closed_shapes(trace) if graph.dynamic else None  # symbolic sizes: the closed forms beside
    codes = ["handout.onnx_value", "handout.onnx_shape"] + ["handout.onnx_closed"] * (closed is not None)
    codes.append("handout.onnx_node")
    return {
        "title": say("handout.onnx", lang),
        "intro": say("handout.onnx_intro", lang, path=graph.path or say("onnx.in_memory", lang)),
        "svg": onnx_svg(graph, trace.model, prefix=f"{_slug(trace.model)}-onnx-"),
        "values": onnx_values(graph, lang, closed),
        "headers": [say(code, lang) for code in codes],
        "closed": closed is not None,
    }


def handout_view(
    trace: TraceRecord, lang: Lang = "en", terms: Terms = "api", depth: int | None = None
) -> dict[str, Any]:
    """Everything the handout templates show, as plain values, in `lang`."""
    failing = trace.error.layer if trace.error is not None else None
    lineage_code = f"lineage.{trace.model.lower()}"
    summary_code = f"zoo.{trace.model.lower()}"
    catalog = entries()
    return {
        "lang": lang,
        "model": trace.model,
        "summary": say(summary_code, lang) if summary_code in catalog else "",
        "lineage": say(lineage_code, lang) if lineage_code in catalog else "",
        "words": {
            **_words(
                lang,
                "handout.lineage",
                "handout.definition",
                "handout.shapes",
                "handout.derivations",
                "handout.concentration",
                "handout.top_params",
                "handout.top_macs",
                "handout.share",
                "handout.fields",
                "handout.fields_intro",
                "handout.field_size",
                "handout.field_jump",
                "handout.diagram",
                "handout.totals",
                "handout.failure",
                "handout.generated",
            ),
            "headers": say("report.headers", lang).split("|"),
            "form_header": say("form.header", lang),
            "intro": say("handout.shapes_intro", lang, inputs=format_value(trace.inputs)),
        },  # fmt: skip
        "definition": _definition(trace, lang),
        "rows": [_row(layer, failing, lang) for layer in visible_layers(trace, depth)],
        "concentration": _concentration(trace, lang),
        "fields": _fields(trace),
        "closed": closed_lines(trace, lang),
        "figures": _figures(trace, lang, depth),
        "onnx": _onnx(trace, lang),
        "totals": footer_lines(trace, wrap=False, lang=lang),
        "failure": failure_lines(trace, lang, terms),
    }
