"""Where each box of a diagram goes: a layered (Sugiyama) layout by grandalf, top to bottom, branches
side by side, long arrows routed around the boxes they pass. Plain positions, nothing painted."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from grandalf.graphs import Edge, Graph, Vertex
from grandalf.layouts import SugiyamaLayout

from shapetrace.render.diagram import Arrow, Box, Diagram

__all__ = [
    "Placed",
    "Route",
    "Layout",
    "lay_out",
    "text_width",
    "box_lines",
    "CHAR",
    "LINE",
    "MARGIN",
    "SHAPE_CHAR",
]

CHAR = 7.2  # width of a monospace character at 12 px; East Asian wide characters take two
SHAPE_CHAR = 6.4  # at the 10.5 px of the shape labels
TITLE_SCALE = 1.25  # the title's 14 px bold, against 12 px
LINE = 15  # height of a text line
MARGIN = 20
_PAD = 8
_GAP_X, _GAP_Y = 24, 34  # between boxes side by side, between layers (room for the shape labels)


@dataclass(frozen=True)
class Placed:
    """A box and its rectangle (top-left corner, size)."""

    box: Box
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Route:
    """An arrow and the points it passes, from the bottom of its source to the top of its target."""

    arrow: Arrow
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Layout:
    title: str
    boxes: tuple[Placed, ...]
    routes: tuple[Route, ...]
    width: float
    height: float


def text_width(text: str) -> float:
    return CHAR * sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def box_lines(box: Box) -> tuple[str, ...]:
    """The text a box shows, top to bottom."""
    head = f"{box.label} × {box.count}" if box.count > 1 else box.label
    if box.kind in ("concat", "add", "input", "output"):
        return (head, *box.details)
    return (box.name, head, *box.details) if box.name else (head, *box.details)


def _size(box: Box) -> tuple[float, float]:
    if box.kind == "add":
        return 30.0, 30.0
    lines = box_lines(box)
    return max(70.0, max(text_width(line) for line in lines) + 2 * _PAD), len(lines) * LINE + 2 * _PAD - 4


class _View:
    """The size grandalf reads (the box with room beside its arrow for the shape label), the box's own
    size, and the centre grandalf writes."""

    def __init__(self, size: tuple[float, float], label: float) -> None:
        self.width, self.h = size
        self.w = max(self.width, 2 * label + 12)
        self.xy = (0.0, 0.0)


class _EdgeView:
    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []

    def setpath(self, points: list[tuple[float, float]]) -> None:
        self.points = list(points)


def _place_component(component: Graph) -> None:
    sugiyama = SugiyamaLayout(component)
    sugiyama.xspace, sugiyama.yspace = _GAP_X, _GAP_Y
    roots = [vertex for vertex in component.sV if not vertex.e_in()]
    sugiyama.init_all(roots=roots or None)
    sugiyama.draw(3)


def lay_out(diagram: Diagram) -> Layout:
    """Positions for every box and route for every arrow; the title above them."""
    by_key = {box.key: box for box in diagram.boxes}
    vertices = {box.key: Vertex(box.key) for box in diagram.boxes}
    labels: dict[str, float] = {}
    for arrow in diagram.arrows:
        labels[arrow.source] = max(labels.get(arrow.source, 0.0), SHAPE_CHAR * len(arrow.label))
    for box in diagram.boxes:
        vertices[box.key].view = _View(_size(box), labels.get(box.key, 0.0))
    edges = []
    for arrow in diagram.arrows:
        edge = Edge(vertices[arrow.source], vertices[arrow.target])
        edge.view = _EdgeView()
        edges.append((arrow, edge))
    graph = Graph(list(vertices.values()), [edge for _, edge in edges])
    left = MARGIN
    top = MARGIN + 2 * LINE  # below the title
    placed: dict[str, Placed] = {}
    shifts: dict[str, tuple[float, float]] = {}
    for component in graph.C:
        _place_component(component)
        views = [vertex.view for vertex in component.sV]
        x0 = min(view.xy[0] - view.w / 2 for view in views)
        y0 = min(view.xy[1] - view.h / 2 for view in views)
        for vertex in component.sV:
            view = vertex.view
            dx, dy = left - x0, top - y0
            shifts[vertex.data] = (dx, dy)
            placed[vertex.data] = Placed(
                by_key[vertex.data],
                view.xy[0] - view.width / 2 + dx, view.xy[1] - view.h / 2 + dy, view.width, view.h,
            )  # fmt: skip
        left += max(view.xy[0] + view.w / 2 for view in views) - x0 + 3 * _GAP_X
    routes = []
    for arrow, edge in edges:
        dx, dy = shifts[arrow.source]
        points = [(x + dx, y + dy) for x, y in edge.view.points]
        source, target = placed[arrow.source], placed[arrow.target]
        points[0] = (points[0][0], source.y + source.height)
        points[-1] = (points[-1][0], target.y)
        routes.append(Route(arrow, tuple(points)))
    width = max((p.x + p.width / 2 + vertices[key].view.w / 2 for key, p in placed.items()), default=0)
    width = max(width + MARGIN, text_width(diagram.title) * TITLE_SCALE + 2 * MARGIN)
    height = max((p.y + p.height for p in placed.values()), default=0) + MARGIN
    ordered = tuple(placed[box.key] for box in diagram.boxes)
    return Layout(diagram.title, ordered, tuple(routes), width, height)
