"""The diagram painted as one self-contained SVG: boxes coloured by kind, arrows with the shape of the
tensor they carry, merges as round nodes, a failed layer in red. No fonts or scripts are fetched."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from shapetrace.messages import Lang
from shapetrace.records import TraceRecord
from shapetrace.render.diagram import OVERVIEW_BOXES, Diagram, build_diagram
from shapetrace.render.layout import LINE, MARGIN, Layout, Placed, Route, box_lines, lay_out

__all__ = ["render_svg", "render_side_by_side", "paint"]

_STYLE = (
    "text{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:12px;"
    "fill:#1f2937}.title{font-size:14px;font-weight:bold}.shape{font-size:10.5px;fill:#4b5563;paint-order:stroke;stroke:#fff;stroke-width:3px}"
    ".box rect,.box ellipse,.box circle{stroke:#374151;stroke-width:1}"
    ".conv rect{fill:#dbeafe}.pool rect{fill:#dcfce7}.linear rect{fill:#fef3c7}.norm rect{fill:#ede9fe}"
    ".activation rect,.other rect,.reshape rect{fill:#f3f4f6}.block rect{fill:#e0f2fe;stroke-dasharray:4 2}"
    ".input rect,.output rect{fill:#ffffff}.concat ellipse{fill:#fde68a}.add circle{fill:#fecaca}"
    ".failed rect,.failed ellipse,.failed circle{fill:#fee2e2;stroke:#dc2626;stroke-width:2}"
    ".failed text{fill:#991b1b}.arrow{fill:none;stroke:#6b7280;stroke-width:1.2}"
)


def _path(route: Route, prefix: str) -> str:
    points = route.points
    commands = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
    commands += [f"L{x:.1f},{y:.1f}" for x, y in points[1:]]
    source, target = route.arrow.source, route.arrow.target
    return (
        f'<path class="arrow" d="{" ".join(commands)}" marker-end="url(#{prefix}head)" '
        f'data-from="{escape(prefix + source)}" data-to="{escape(prefix + target)}"/>'
    )


def _shape_labels(layout: Layout) -> list[str]:
    """Each tensor's shape once, just below the box that makes it, beside its arrow."""
    seen: set[tuple[str, str]] = set()
    labels = []
    for route in layout.routes:
        key = (route.arrow.source, route.arrow.label)
        if not route.arrow.label or key in seen:
            continue
        seen.add(key)
        (x, y), (x1, _) = route.points[0], route.points[1]
        anchor = "end" if x1 < x - 1 else "start"
        offset = -5 if anchor == "end" else 5
        labels.append(
            f'<text class="shape" x="{x + offset:.1f}" y="{y + 12:.1f}" text-anchor="{anchor}">'
            f"{escape(route.arrow.label)}</text>"
        )
    return labels


def _shape(placed: Placed) -> str:
    box, x, y, width, height = placed.box, placed.x, placed.y, placed.width, placed.height
    if box.kind == "add":
        return f'<circle cx="{x + width / 2:.1f}" cy="{y + height / 2:.1f}" r="{width / 2:.1f}"/>'
    if box.kind == "concat":
        return (
            f'<ellipse cx="{x + width / 2:.1f}" cy="{y + height / 2:.1f}" '
            f'rx="{width / 2:.1f}" ry="{height / 2:.1f}"/>'
        )
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" rx="5"/>'


def _box(placed: Placed, prefix: str) -> str:
    box = placed.box
    classes = f"box {box.kind}" + (" failed" if box.failed else "")
    lines = box_lines(box)
    centre = placed.x + placed.width / 2
    first = placed.y + placed.height / 2 - (len(lines) - 1) * LINE / 2 + 4
    texts = "".join(
        f'<text x="{centre:.1f}" y="{first + row * LINE:.1f}" text-anchor="middle"'
        + (' font-weight="bold"' if row == 0 and box.name else "")
        + f">{escape(line)}</text>"
        for row, line in enumerate(lines)
    )
    layers = " ".join(map(str, box.layers))
    data = f'data-kind="{box.kind}" data-layers="{layers}" data-count="{box.count}"'
    if box.kind == "concat" and box.details:
        data += f' data-sum="{escape(box.details[0])}"'
    return f'<g class="{classes}" id="{escape(prefix + box.key)}" {data}>{_shape(placed)}{texts}</g>'


def paint(layout: Layout, prefix: str = "") -> str:
    """The SVG text of a laid-out diagram; `prefix` starts every id, so that several diagrams can share
    a page."""
    width, height = layout.width, layout.height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img">',
        "<defs>"
        f'<marker id="{prefix}head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#6b7280"/></marker>'
        f"<style>{_STYLE}</style></defs>",
        f'<text class="title" x="{MARGIN}" y="{MARGIN + 4}">{escape(layout.title)}</text>',
        *(_path(route, prefix) for route in layout.routes),
        *_shape_labels(layout),
        *(_box(placed, prefix) for placed in layout.boxes),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def render_svg(trace: TraceRecord, depth: int | None = None, lang: Lang = "en") -> str:
    """The trace's architecture diagram as SVG: every layer, or the blocks at `depth`."""
    diagram: Diagram = build_diagram(trace, depth, lang)
    return paint(lay_out(diagram))


def render_side_by_side(traces: Sequence[TraceRecord], depth: int | None = None, lang: Lang = "en") -> str:
    """Several models' diagrams in one SVG, left to right, each folded to fit about a page."""
    layouts = [lay_out(build_diagram(trace, depth, lang, max_boxes=OVERVIEW_BOXES)) for trace in traces]
    width = sum(layout.width for layout in layouts) + MARGIN * (len(layouts) - 1)
    height = max(layout.height for layout in layouts)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" role="img">']  # fmt: skip
    left = 0.0
    for position, layout in enumerate(layouts):
        inner = paint(layout, prefix=f"m{position}-").replace("<svg ", f'<svg x="{left:.0f}" y="0" ', 1)
        parts.append(inner.rstrip())
        left += layout.width + MARGIN
    return "\n".join([*parts, "</svg>"]) + "\n"
