"""What a student works with: d2l's layer-by-layer print lines, and a quiz that hides the output shapes
(and the parameter counts) with its answer key."""

from __future__ import annotations

from typing import Any

from shapetrace.messages import Lang
from shapetrace.records import LayerRecord, TraceRecord
from shapetrace.render.common import brief_config, format_count, format_value, say, words

__all__ = ["render_d2l", "d2l_depth", "quiz_view", "BLANK"]

BLANK = "________________"


def d2l_depth(trace: TraceRecord) -> int:
    """The depth d2l prints at: the first with two or more calls (the children of the main Sequential)."""
    for depth in range(1, max((layer.depth for layer in trace.layers), default=1) + 1):
        if sum(1 for layer in trace.layers if layer.depth == depth) >= 2:
            return depth
    return 1


def _size(layer: LayerRecord) -> str:
    if layer.outputs is not None and layer.outputs.kind == "tensor":
        return f"torch.Size({format_value(layer.outputs)})"
    return format_value(layer.outputs)


def render_d2l(trace: TraceRecord, lang: Lang = "en", explain: bool = False, depth: int | None = None) -> str:
    """One line per call, as d2l's `print(layer.__class__.__name__, 'output shape:\\t', X.shape)` gives
    it; `explain` adds the derivation as a trailing comment, in the textbook's notation where it has one."""
    depth = depth or d2l_depth(trace)
    lines = []
    for layer in trace.layers:
        if layer.depth != depth or layer.is_function:
            continue
        size = say("report.failed_here", lang) if layer.failed else _size(layer)
        line = say("d2l.line", lang, type=layer.type, size=size)
        derivation = layer.textbook_derivation or layer.derivation
        if explain and derivation is not None:
            line += f"  # {words(derivation, lang)}"
        lines.append(line)
    if trace.error is not None:
        lines.append(
            say("report.failure", lang, layer=trace.error.layer, kind="", message=trace.error.message)
        )
    return "\n".join(lines) + "\n"


def _textbook(layer: LayerRecord, lang: Lang) -> str:
    """The textbook's form of the derivation, labelled ("d2l: ..."), where it differs."""
    if layer.textbook_derivation is None or layer.textbook_derivation == layer.derivation:
        return ""
    return say("report.textbook", lang, textbook=words(layer.textbook_derivation, lang))


def quiz_view(
    trace: TraceRecord, lang: Lang = "en", hide_params: bool = False, key: bool = False
) -> dict[str, Any]:
    """The worksheet (or, with `key`, its answers and their derivations) for the trace's layers."""
    rows = []
    for layer in trace.layers:
        if layer.is_function:
            continue
        shape = format_value(layer.outputs) if key else BLANK
        params = format_count(layer.params) if layer.params else "0"
        rows.append({
            "name": layer.name,
            "depth": layer.depth,
            "type": layer.type,
            "config": brief_config(layer),
            "output": shape,
            "params": params if key or not hide_params else BLANK,
            "derivation": words(layer.derivation, lang) if key and layer.is_leaf else "",
            "textbook": _textbook(layer, lang) if key and layer.is_leaf else "",
        })  # fmt: skip
    fill = "quiz.fill_both" if hide_params else "quiz.fill_shapes"
    headers = say("report.headers", lang).split("|")
    return {
        "lang": lang,
        "model": trace.model,
        "key": key,
        "title": say("quiz.key_title" if key else "quiz.title", lang, model=trace.model),
        "instructions": say(fill, lang, inputs=format_value(trace.inputs)),
        "reminder": say("quiz.reminder", lang),
        "headers": headers[:5],
        "derivation": say("report.derivation", lang),
        "rows": rows,
        "blank": BLANK,
        "generated": say("handout.generated", lang),
    }
