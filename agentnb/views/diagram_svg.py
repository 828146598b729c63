"""A team's shape as data (`Shape`: nodes and arrows) and its drawing as SVG, the same bytes every time.

`agentnb.views.diagram` says what a team's shape is; this module lays it out and draws it.

Three layouts: a **ring** (round robin, handoff: participants on an ellipse, clockwise from the
top), a **hub** (a selector or a planner in the middle, the participants around it) and
**layers** (graphs and plans: left to right by longest path, edges that go back curve under
the drawing). No font is measured: a label's width is estimated from its length; every
coordinate is rounded to one decimal; arrowheads are polygons, not markers with ids that two
diagrams on one page would share.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from agentnb.views.colors import NOTE_COLOR

FONT_SIZE = 13
SMALL_SIZE = 11
CHAR_WIDTH = 7.6  # of a bold 13px system-ui character, a little generous so labels fit
SMALL_CHAR_WIDTH = 6.4
NODE_HEIGHT = 30
DETAIL_HEIGHT = 14
MARGIN = 14
HEAD = 8  # arrowhead length
LINE = NOTE_COLOR
LABEL_BACKGROUND = "fill:var(--jp-layout-color0,#ffffff);fill-opacity:0.9"

Point = tuple[float, float]


@dataclass(frozen=True)
class Node:
    """A box: a participant, a plan step, or the selector/planner at a hub's centre."""

    id: str
    label: str
    kind: str  # "agent", "human", "team", "remote", "hub" or "step"
    color: str
    detail: str = ""  # a second, smaller line: "person", "team of 3", a step's assignee


@dataclass(frozen=True)
class Arrow:
    """``source`` may be followed by ``target``; ``label`` says when (a graph edge's condition)."""

    source: str
    target: str
    label: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class Shape:
    """What to draw: the boxes and arrows, how to lay them out ("ring", "hub" or "layers"), and
    notes for the caption."""

    title: str
    layout: str
    nodes: tuple[Node, ...]
    arrows: tuple[Arrow, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Box:
    """A node's centre and size."""

    x: float
    y: float
    w: float
    h: float
    round: bool = False  # an ellipse (a hub) rather than a rectangle

    def edge_towards(self, point: Point) -> Point:
        """Where the line from the centre towards ``point`` leaves the box."""
        dx, dy = point[0] - self.x, point[1] - self.y
        if dx == 0 and dy == 0:
            return self.x, self.y
        a, b = self.w / 2, self.h / 2
        if self.round:
            t = 1 / math.sqrt((dx / a) ** 2 + (dy / b) ** 2)
        else:
            t = min(a / abs(dx) if dx else math.inf, b / abs(dy) if dy else math.inf)
        return self.x + dx * t, self.y + dy * t


def size(node: Node) -> tuple[float, float]:
    """A node's width and height, from its label and detail."""
    width = max(len(node.label) * CHAR_WIDTH, len(node.detail) * SMALL_CHAR_WIDTH) + 24
    height = NODE_HEIGHT + (DETAIL_HEIGHT if node.detail else 0)
    if node.kind == "hub":
        return width * 1.25, height * 1.3
    return max(width, 64.0), height


def around(nodes: list[Node], cx: float, cy: float, rx: float, ry: float) -> dict[str, Box]:
    """Nodes on an ellipse, clockwise from the top."""
    boxes = {}
    for i, node in enumerate(nodes):
        angle = -math.pi / 2 + 2 * math.pi * i / len(nodes)
        w, h = size(node)
        boxes[node.id] = Box(cx + rx * math.cos(angle), cy + ry * math.sin(angle), w, h)
    return boxes


def ring(nodes: list[Node]) -> dict[str, Box]:
    n = len(nodes)
    widest = max(size(node)[0] for node in nodes)
    if n == 1:
        return around(nodes, 0, 0, 0, 0)
    if n == 2:  # side by side, one arrow over and one under
        (a, wa_ha), (b, wb_hb) = ((node, size(node)) for node in nodes)
        gap = (wa_ha[0] + wb_hb[0]) / 2 + 70
        return {a.id: Box(-gap / 2, 0, *wa_ha), b.id: Box(gap / 2, 0, *wb_hb)}
    return around(nodes, 0, 0, widest / 2 + 40 + 14 * n, 40 + 14 * n)


def hub(nodes: list[Node]) -> dict[str, Box]:
    centre, others = nodes[0], nodes[1:]
    w, h = size(centre)
    widest = max((size(node)[0] for node in others), default=0)
    boxes = around(others, 0, 0, w / 2 + widest / 2 + 30 + 8 * len(others), h / 2 + 50 + 10 * len(others))
    boxes[centre.id] = Box(0, 0, w, h, round=True)
    return boxes


def back_arrows(nodes: list[Node], arrows: list[Arrow]) -> set[int]:
    """Indexes of the arrows that close a loop (found depth first from the nodes nobody points to)."""
    out: dict[str, list[int]] = {n.id: [] for n in nodes}
    for i, arrow in enumerate(arrows):
        out[arrow.source].append(i)
    entered = {a.target for a in arrows if a.source != a.target}
    starts = [n.id for n in nodes if n.id not in entered] or [nodes[0].id]
    state: dict[str, int] = {}  # 1: on the path, 2: done
    back: set[int] = set()

    def visit(node: str) -> None:
        state[node] = 1
        for i in out[node]:
            target = arrows[i].target
            if state.get(target) == 1:
                back.add(i)
            elif target not in state:
                visit(target)
        state[node] = 2

    for node in [*starts, *(n.id for n in nodes)]:
        if node not in state:
            visit(node)
    return back


def layers(nodes: list[Node], arrows: list[Arrow], back: set[int]) -> dict[str, Box]:
    """Left to right by the longest chain of forward arrows; each column centred on one line."""
    level = {n.id: 0 for n in nodes}
    forward = [a for i, a in enumerate(arrows) if i not in back]
    for _ in nodes:  # longest path over a DAG: relax as often as there are nodes
        for arrow in forward:
            level[arrow.target] = max(level[arrow.target], level[arrow.source] + 1)
    columns: dict[int, list[Node]] = {}
    for node in nodes:
        columns.setdefault(level[node.id], []).append(node)
    boxes: dict[str, Box] = {}
    x = 0.0
    for depth in sorted(columns):
        column = columns[depth]
        width = max(size(node)[0] for node in column)
        labels = [len(a.label) for a in forward if level[a.target] == depth and a.label]
        x += (min(60 + max(labels) * SMALL_CHAR_WIDTH, 220) if labels else 60) if depth else 0
        heights = [size(node)[1] for node in column]
        y = -(sum(heights) + 22 * (len(column) - 1)) / 2
        for node, height in zip(column, heights, strict=True):
            boxes[node.id] = Box(x + width / 2, y + height / 2, size(node)[0], height)
            y += height + 22
        x += width
    return boxes


@dataclass(frozen=True)
class Route:
    """How one arrow is drawn: its path, its head and where its label goes."""

    path: str
    head: list[Point]
    label_at: Point
    extent: list[Point]


def curve(start: Box, end: Box, control: Point) -> Route:
    """A quadratic curve from ``start``'s edge to ``end``'s, bent towards ``control``."""
    p0, p1 = start.edge_towards(control), end.edge_towards(control)
    mid = (0.25 * p0[0] + 0.5 * control[0] + 0.25 * p1[0], 0.25 * p0[1] + 0.5 * control[1] + 0.25 * p1[1])
    path = f"M{p0[0]:.1f},{p0[1]:.1f} Q{control[0]:.1f},{control[1]:.1f} {p1[0]:.1f},{p1[1]:.1f}"
    return Route(path, arrowhead(control, p1), mid, [p0, p1, mid])


def loop(box: Box) -> Route:
    """An arrow from a node back to itself, over its top."""
    top, left, right = box.y - box.h / 2, box.x - box.w / 4, box.x + box.w / 4
    path = (
        f"M{left:.1f},{top:.1f} C{left - 10:.1f},{top - 40:.1f} {right + 10:.1f},{top - 40:.1f} "
        f"{right:.1f},{top:.1f}"
    )
    return Route(path, arrowhead((right + 4, top - 20), (right, top)), (box.x, top - 30), [(box.x, top - 34)])


def arrowhead(towards_from: Point, tip: Point) -> list[Point]:
    """The three corners of an arrowhead at ``tip``, pointing away from ``towards_from``."""
    dx, dy = tip[0] - towards_from[0], tip[1] - towards_from[1]
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    bx, by = tip[0] - ux * HEAD, tip[1] - uy * HEAD
    return [tip, (bx - uy * HEAD / 2, by + ux * HEAD / 2), (bx + uy * HEAD / 2, by - ux * HEAD / 2)]


def bend(a: Box, b: Box, amount: float, outward_from: Point | None = None) -> Point:
    """A control point beside the middle of a-b: to the left of the direction, or away from a centre."""
    mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
    dx, dy = b.x - a.x, b.y - a.y
    nx, ny = dy, -dx  # the left-hand normal (y grows downwards)
    if outward_from is not None and math.hypot(mx - outward_from[0], my - outward_from[1]) > 1:
        nx, ny = mx - outward_from[0], my - outward_from[1]
    length = math.hypot(nx, ny) or 1.0
    return mx + nx / length * amount, my + ny / length * amount


def routes(shape: Shape, boxes: dict[str, Box]) -> list[Route]:
    arrows = list(shape.arrows)
    back = back_arrows(list(shape.nodes), arrows) if shape.layout == "layers" else set()
    bottom = max(b.y + b.h / 2 for b in boxes.values())
    found, below = [], 0
    for i, arrow in enumerate(arrows):
        a, b = boxes[arrow.source], boxes[arrow.target]
        distance = math.hypot(b.x - a.x, b.y - a.y)
        if arrow.source == arrow.target:
            found.append(loop(a))
        elif shape.layout == "ring":
            outward = (0.0, 0.0) if shape.arrows and _is_cycle(shape) else None
            found.append(curve(a, b, bend(a, b, 0.14 * distance, outward)))
        elif shape.layout == "hub":
            found.append(curve(a, b, bend(a, b, 10)))
        elif i in back:
            below += 1
            control = ((a.x + b.x) / 2, bottom + 44 + 30 * below)
            found.append(curve(a, b, control))
        else:
            others = [box for key, box in boxes.items() if key not in (arrow.source, arrow.target)]
            control = next(
                (
                    c
                    for c in (bend(a, b, amount) for amount in (0, 40, -40, 80, -80))
                    if not crosses(a, b, c, others)
                ),
                bend(a, b, 40),
            )
            found.append(curve(a, b, control))
    return found


def crosses(a: Box, b: Box, control: Point, others: list[Box]) -> bool:
    """Whether the curve from ``a`` to ``b`` bent towards ``control`` runs through another box."""
    for step in range(1, 20):
        t = step / 20
        x = (1 - t) ** 2 * a.x + 2 * (1 - t) * t * control[0] + t**2 * b.x
        y = (1 - t) ** 2 * a.y + 2 * (1 - t) * t * control[1] + t**2 * b.y
        if any(abs(x - o.x) < o.w / 2 + 4 and abs(y - o.y) < o.h / 2 + 4 for o in others):
            return True
    return False


def _is_cycle(shape: Shape) -> bool:
    """Whether the arrows go once round the ring in order (round robin): bend them outwards."""
    ids = [n.id for n in shape.nodes]
    return [(a.source, a.target) for a in shape.arrows] == [
        (n, ids[(i + 1) % len(ids)]) for i, n in enumerate(ids)
    ]


def draw(shape: Shape, scale: float = 1.0, *, inline: bool = False) -> str:
    """The shape as an SVG document (``inline``: sized to shrink inside an HTML output)."""
    nodes = list(shape.nodes)
    if shape.layout == "hub":
        boxes = hub(nodes)
    elif shape.layout == "layers":
        boxes = layers(nodes, list(shape.arrows), back_arrows(nodes, list(shape.arrows)))
    else:
        boxes = ring(nodes)
    drawn = routes(shape, boxes)
    points = [
        (b.x + sx * b.w / 2, b.y + sy * b.h / 2) for b in boxes.values() for sx in (-1, 1) for sy in (-1, 1)
    ]
    for route, arrow in zip(drawn, shape.arrows, strict=True):
        points.extend(route.extent)
        half = len(arrow.label) * SMALL_CHAR_WIDTH / 2 + 4
        points.extend(
            [
                (route.label_at[0] - half, route.label_at[1] - 9),
                (route.label_at[0] + half, route.label_at[1] + 9),
            ]
        )
    left, top = min(p[0] for p in points) - MARGIN, min(p[1] for p in points) - MARGIN
    width, height = max(p[0] for p in points) + MARGIN - left, max(p[1] for p in points) + MARGIN - top
    parts = [_arrow_svg(arrow, route) for arrow, route in zip(shape.arrows, drawn, strict=True)]
    parts += [_node_svg(node, boxes[node.id]) for node in nodes]
    parts += [
        _label_svg(arrow, route) for arrow, route in zip(shape.arrows, drawn, strict=True) if arrow.label
    ]
    sized = 'style="max-width:100%;height:auto" ' if inline else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" {sized}width="{width * scale:.0f}" '
        f'height="{height * scale:.0f}" '
        f'viewBox="0 0 {width:.1f} {height:.1f}" role="img" font-family="system-ui,sans-serif" '
        f'font-size="{FONT_SIZE}"><title>{html.escape(shape.title)}</title>'
        f'<g transform="translate({-left:.1f},{-top:.1f})">{"".join(parts)}</g></svg>'
    )


def _polygon(points: list[Point]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _arrow_svg(arrow: Arrow, route: Route) -> str:
    dash = ' stroke-dasharray="4 3"' if arrow.dashed else ""
    return (
        f'<path d="{route.path}" fill="none" stroke="{LINE}" stroke-width="1.5"{dash}/>'
        f'<polygon points="{_polygon(route.head)}" fill="{LINE}"/>'
    )


def _label_svg(arrow: Arrow, route: Route) -> str:
    x, y = route.label_at
    half = len(arrow.label) * SMALL_CHAR_WIDTH / 2 + 3
    return (
        f'<rect x="{x - half:.1f}" y="{y - 8:.1f}" width="{2 * half:.1f}" height="16" rx="3" '
        f'style="{LABEL_BACKGROUND}"/>'
        f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="{SMALL_SIZE}" '
        f'fill="{LINE}">{html.escape(arrow.label)}</text>'
    )


def _node_svg(node: Node, box: Box) -> str:
    x, y, color = box.x - box.w / 2, box.y - box.h / 2, node.color
    paint = f'fill="{color}" fill-opacity="0.12" stroke="{color}" stroke-width="2"'
    if box.round:
        shape = (
            f'<ellipse cx="{box.x:.1f}" cy="{box.y:.1f}" rx="{box.w / 2:.1f}" ry="{box.h / 2:.1f}" {paint}/>'
        )
    else:
        dash = {"human": ' stroke-dasharray="5 3"', "remote": ' stroke-dasharray="2 3"'}.get(node.kind, "")
        shape = (
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" rx="6" {paint}{dash}/>'
        )
        if node.kind == "team":  # a team inside the team: a second border
            shape += (
                f'<rect x="{x + 3:.1f}" y="{y + 3:.1f}" width="{box.w - 6:.1f}" height="{box.h - 6:.1f}" '
                f'rx="4" fill="none" stroke="{color}" stroke-width="1"/>'
            )
    label_y = box.y + (-2 if node.detail else 4.5)
    text = (
        f'<text x="{box.x:.1f}" y="{label_y:.1f}" text-anchor="middle" font-weight="600" '
        f'fill="{color}">{html.escape(node.label)}</text>'
    )
    if node.detail:
        text += (
            f'<text x="{box.x:.1f}" y="{box.y + 12:.1f}" text-anchor="middle" font-size="{SMALL_SIZE}" '
            f'fill="{NOTE_COLOR}">{html.escape(node.detail)}</text>'
        )
    return shape + text
