"""A self-contained SVG diagram of a trace: one box per call, top to bottom, output shapes between."""

from __future__ import annotations

from html import escape

from shapetrace.messages import Lang
from shapetrace.records import LayerRecord, TraceRecord
from shapetrace.render.common import brief_config, format_value, say

__all__ = ["render_svg"]

_WIDTH = 460
_BOX_HEIGHT = 34
_GAP = 26
_MARGIN = 20
_FILL = {"conv": "#dbeafe", "pool": "#dcfce7", "linear": "#fef3c7", "other": "#f3f4f6"}


def _fill(layer: LayerRecord) -> str:
    kind = layer.type.lower()
    for key in ("conv", "pool", "linear"):
        if key in kind:
            return _FILL[key]
    return _FILL["other"]


def _layers(trace: TraceRecord, depth: int | None) -> list[LayerRecord]:
    if depth is None:
        return [layer for layer in trace.layers if layer.is_leaf]
    return [
        layer for layer in trace.layers if layer.depth == depth or (layer.is_leaf and layer.depth < depth)
    ]


def render_svg(trace: TraceRecord, depth: int | None = None, lang: Lang = "en") -> str:
    """The diagram as SVG text: leaf calls by default, or the calls at `depth` (and shallower leaves)."""
    layers = _layers(trace, depth)
    step = _BOX_HEIGHT + _GAP
    height = 2 * _MARGIN + 30 + step * len(layers) + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}" font-family="monospace" font-size="12">',
        f'<text x="{_WIDTH // 2}" y="{_MARGIN + 4}" text-anchor="middle" font-size="14">'
        f"{escape(say('diagram.title', lang, model=trace.model, inputs=format_value(trace.inputs)))}</text>",
    ]
    top = _MARGIN + 30
    for position, layer in enumerate(layers):
        y = top + position * step
        stroke = "#dc2626" if layer.failed else "#374151"
        label = f"{layer.name}: {layer.type}"
        config = brief_config(layer)
        if config:
            label += f" ({config})"
        parts.append(
            f'<rect id="layer-{layer.index}" x="{_MARGIN}" y="{y}" width="{_WIDTH - 2 * _MARGIN}" '
            f'height="{_BOX_HEIGHT}" rx="5" fill="{_fill(layer)}" stroke="{stroke}"/>'
        )
        parts.append(f'<text x="{_WIDTH // 2}" y="{y + 21}" text-anchor="middle">{escape(label)}</text>')
        shape = say("report.failed_here", lang) if layer.failed else format_value(layer.outputs)
        arrow_top, arrow_bottom = y + _BOX_HEIGHT, y + step
        if position < len(layers) - 1:
            parts.append(
                f'<line x1="{_WIDTH // 2}" y1="{arrow_top}" x2="{_WIDTH // 2}" y2="{arrow_bottom}" '
                'stroke="#6b7280"/>'
            )
        parts.append(
            f'<text x="{_WIDTH // 2 + 8}" y="{arrow_top + 16}" fill="#374151">{escape(shape)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
