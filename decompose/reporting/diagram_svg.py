"""The architecture picture laid out for inline SVG: three columns (routes, functions, resources), left to right.

The layout is a small layered drawing, computed here so the HTML page needs no script and fetches nothing:

- routes stack down the first column, grouped by the function that serves them;
- each function sits level with the middle of its routes (never overlapping the one above);
- resources are ordered by the mean height of the functions that use them (the barycentre heuristic of layered
  graph drawing, which keeps edges short and crossings few), then stacked;
- edges are cubic Bézier curves from a box's right side to the next box's left side; a function -> resource edge
  carries its IAM access levels at its middle, where the edges of one function have fanned apart.

Labels longer than their box are cut with `…`; the full text is in each box's `<title>` (a tooltip) and in the
report's tables. The template (`dry_run.html.j2`) escapes every string: this module only computes numbers and
plain text.
"""

from __future__ import annotations

from dataclasses import dataclass

from decompose.domain.report import Diagram, DiagramEdge, DiagramNode
from decompose.reporting.escaping import visible

COLUMN_X = {"route": 0, "more": 0, "function": 320, "resource": 690}  # wide gap before resources: edge labels
COLUMN_W = {"route": 260, "more": 260, "function": 210, "resource": 230}
TITLES = (("route", "Routes"), ("function", "Functions"), ("resource", "AWS resources"))
BOX_H = 40
GAP = 12
TOP = 36  # room for the column titles
CHAR_W = 7.0  # average width of a 12px sans-serif character
WIDTH = COLUMN_X["resource"] + COLUMN_W["resource"] + 2


@dataclass(frozen=True)
class Box:
    node: DiagramNode
    x: float
    y: float
    w: float
    h: float
    text: str  # the label as drawn (cut to fit)
    detail: str  # the second line as drawn

    @property
    def title(self) -> str:
        full = visible(self.node.label)
        return f"{full} ({visible(self.node.detail)})" if self.node.detail else full


@dataclass(frozen=True)
class Curve:
    edge: DiagramEdge
    d: str  # the SVG path
    label_x: float
    label_y: float
    highlight: bool


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    boxes: tuple[Box, ...]
    curves: tuple[Curve, ...]
    columns: tuple[tuple[float, str], ...] = tuple((COLUMN_X[kind] + 4, title) for kind, title in TITLES)


def layout(diagram: Diagram) -> Layout:
    """Positions of every box and curve of `diagram`."""
    y: dict[str, float] = {}
    served: dict[str, list[str]] = {}
    for edge in diagram.edges:
        served.setdefault(edge.target, []).append(edge.source)
    # routes, in the diagram's order (grouped by function), then each function beside its routes
    cursor = TOP
    for node in diagram.nodes:
        if node.kind in ("route", "more"):
            y[node.id] = cursor
            cursor += BOX_H + GAP
    routes_bottom = cursor
    cursor = TOP
    for node in diagram.of_kind("function"):
        mine = [y[s] for s in served.get(node.id, []) if s in y]
        wanted = sum(mine) / len(mine) if mine else cursor
        y[node.id] = max(wanted, cursor)
        cursor = y[node.id] + BOX_H + GAP
    functions_bottom = cursor
    users: dict[str, list[float]] = {}
    for edge in diagram.edges:
        if edge.source in y and edge.target not in y:
            users.setdefault(edge.target, []).append(y[edge.source])
    resources = sorted(
        diagram.of_kind("resource"), key=lambda n: sum(users.get(n.id, [0])) / max(len(users.get(n.id, [])), 1)
    )
    tallest = max(routes_bottom, functions_bottom)
    column = len(resources) * (BOX_H + GAP)
    cursor = max(TOP, TOP + (tallest - TOP - column) / 2)
    for node in resources:
        y[node.id] = cursor
        cursor += BOX_H + GAP
    height = max(tallest, cursor) + GAP
    boxes = tuple(_box(node, y[node.id]) for node in diagram.nodes)
    by_id = {b.node.id: b for b in boxes}
    highlighted = {n.id for n in diagram.nodes if n.highlight}
    curves = tuple(
        _curve(edge, by_id[edge.source], by_id[edge.target], edge.source in highlighted)
        for edge in diagram.edges
        if edge.source in by_id and edge.target in by_id
    )
    return Layout(WIDTH, height, boxes, curves)


def _box(node: DiagramNode, y: float) -> Box:
    width = COLUMN_W[node.kind]
    fits = int((width - 16) / CHAR_W)
    return Box(node, COLUMN_X[node.kind], y, width, BOX_H, _cut(node.label, fits), _cut(node.detail or "", fits + 4))


def _cut(text: str, limit: int) -> str:
    shown = visible(text)
    return shown if len(shown) <= limit else shown[: max(limit - 1, 1)] + "…"


def _curve(edge: DiagramEdge, source: Box, target: Box, highlight: bool) -> Curve:
    x1, y1 = source.x + source.w, source.y + source.h / 2
    x2, y2 = target.x - 6, target.y + target.h / 2  # stop short: the arrowhead ends at the box
    bend = (x2 - x1) / 2
    d = f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    t = 0.5
    bx = _bezier(t, x1, x1 + bend, x2 - bend, x2)
    by = _bezier(t, y1, y1, y2, y2)
    return Curve(edge, d, bx, by - 3, highlight)


def _bezier(t: float, p0: float, p1: float, p2: float, p3: float) -> float:
    u = 1 - t
    return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3
