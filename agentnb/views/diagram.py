"""A team's shape as a picture: who takes part, and who may speak after whom.

`shape_of(team)` reads a team's configuration (its participants and its mode object) and
says what to draw: a ring for round robin, a hub for a selector, arrows for handoffs, edges
with their conditions for a graph, and for plan mode the plan's steps as a DAG (the fixed
plan, or the latest plan the planner wrote in the team's transcript). `TeamDiagram` shows a
shape as SVG (inline in HTML, and as an image) and as text, the same on every call, so a
saved notebook keeps it and nbval can compare it. Each participant has its chat colour.
"""

from __future__ import annotations

import html
from typing import Any

from agentnb.core.agent import Agent
from agentnb.core.events import PlanCreated, Replanned
from agentnb.core.human import Human
from agentnb.core.plan import Plan
from agentnb.views.colors import NOTE_COLOR, Colors
from agentnb.views.diagram_svg import Arrow, Node, Shape, draw
from agentnb.views.style import FONT, NO_MATH, current

MODE_NAMES = {
    "round_robin": "round robin",
    "selector": "selector",
    "handoff": "handoff",
    "sequential": "sequential",
    "graph": "graph",
    "plan": "plan",
}


def participant_node(participant: Any, colors: Colors) -> Node:
    """A participant's box: its name, its chat colour, and what kind of participant it is."""
    name = participant.name
    if isinstance(participant, Human):
        return Node(name, name, "human", colors.html(name), "person")
    if isinstance(participant, Agent):
        return Node(name, name, "agent", colors.html(name))
    if isinstance(getattr(participant, "url", None), str):  # an agent elsewhere (A2A's RemoteAgent)
        return Node(name, name, "remote", colors.html(name), "remote agent")
    members = getattr(participant, "names", None)
    detail = f"team of {len(members)}" if isinstance(members, list) else type(participant).__name__
    return Node(name, name, "team", colors.html(name), detail)


def shape_of(team: Any) -> Shape:
    """The shape of ``team`` as its mode sees it (see the module docstring)."""
    colors = Colors(team.names)
    nodes = tuple(participant_node(p, colors) for p in team.participants)
    mode = team.mode_object
    title = f"{team.name} · {MODE_NAMES.get(mode.name, mode.name)}"
    stops = f"stops: {team.condition!r}"
    if mode.name == "round_robin":
        names = team.names
        arrows = tuple(Arrow(a, names[(i + 1) % len(names)]) for i, a in enumerate(names))
        return Shape(title, "ring", nodes, arrows, ("each in turn, in this order, over and over", stops))
    if mode.name == "selector":
        return _selector(title, mode, nodes, stops)
    if mode.name == "handoff":
        return _handoff(title, mode, nodes, stops)
    if mode.name in ("graph", "sequential"):
        return _graph(title, mode, nodes, stops)
    if mode.name == "plan":
        return _plan(team, title, mode, nodes, colors, stops)
    return Shape(title, "ring", nodes, (), (f"{mode!r} decides who speaks", stops))


def _selector(title: str, mode: Any, nodes: tuple[Node, ...], stops: str) -> Shape:
    chooser = "selector_func" if mode.selector_func is not None else "selector"
    hub = Node("·selector", chooser, "hub", NOTE_COLOR, "picks who speaks")
    arrows = [Arrow(hub.id, n.id) for n in nodes] + [Arrow(n.id, hub.id, dashed=True) for n in nodes]
    how = (
        "a function picks the next speaker (or leaves it to the model)"
        if mode.selector_func is not None
        else "a model reads the chat and the participants' descriptions, and names the next speaker"
    )
    rules = [how]
    if mode.candidate_func is not None:
        rules.append("candidate_func narrows whom it may pick")
    elif not mode.allow_repeated:
        rules.append("nobody speaks twice in a row")
    return Shape(title, "hub", (hub, *nodes), tuple(arrows), (*rules, stops))


def _handoff(title: str, mode: Any, nodes: tuple[Node, ...], stops: str) -> Shape:
    arrows = tuple(
        Arrow(agent, tool.handoff_target)
        for agent, tools in mode.tools.items()
        for tool in tools
        if tool.handoff_target
    )
    notes = [f"{mode.first_agent} starts; an agent passes the conversation on with transfer_to_<name>"]
    if mode.humans:
        notes.append(f"an agent that replies without a handoff gives the floor to {mode.humans[0]}")
    return Shape(title, "ring", nodes, arrows, (*notes, stops))


def _graph(title: str, mode: Any, nodes: tuple[Node, ...], stops: str) -> Shape:
    graph = mode.graph
    arrows = tuple(
        Arrow(e.source, e.target, e.label() + (" (any)" if e.join == "any" else "")) for e in graph.edges
    )
    if mode.name == "sequential":
        notes = ["each once, in the order given", stops]
    else:
        notes = [f"starts: {', '.join(graph.starts)}; branches from one node run at the same time", stops]
    return Shape(title, "layers", nodes, arrows, tuple(notes))


def latest_plan(team: Any) -> tuple[Plan | None, int]:
    """The plan the team ran last (from its transcript) and its revision; else its fixed plan."""
    for event in reversed(team.transcript):
        if isinstance(event, Replanned) and not event.scope:
            return event.plan, event.revision
        if isinstance(event, PlanCreated) and not event.scope:
            return event.plan, 0
    planner = team.mode_object.planner
    return (planner, 0) if isinstance(planner, Plan) else (None, 0)


def _plan(team: Any, title: str, mode: Any, nodes: tuple[Node, ...], colors: Colors, stops: str) -> Shape:
    plan, revision = latest_plan(team)
    if plan is None:
        planner = mode.planner
        hub = Node(planner.name, planner.name, "hub", colors.html(planner.name), "plans the steps")
        notes = (
            "the planner writes a plan of steps for these participants when the team runs; "
            "draw the team again after a run to see the plan",
            stops,
        )
        return Shape(title, "hub", (hub, *nodes), tuple(Arrow(hub.id, n.id) for n in nodes), notes)
    steps = tuple(
        Node(f"step:{s.id}", s.id, "step", colors.html(s.assignee), s.assignee) for s in plan.order()
    )
    arrows = tuple(Arrow(f"step:{d}", f"step:{s.id}") for s in plan.order() for d in s.depends_on)
    if revision:
        source = f"revision {revision} of the planner's plan"
    else:
        source = "the fixed plan" if isinstance(mode.planner, Plan) else "the planner's plan"
    notes = (f"{source}: a step starts when the steps it depends on are done", stops)
    return Shape(f"{title} · {plan.goal}" if plan.goal else title, "layers", steps, arrows, notes)


class TeamDiagram:
    """A team's shape drawn as SVG (inline in HTML, and as an image) and as text; see `shape_of`."""

    def __init__(self, team: Any) -> None:
        self.shape = shape_of(team)
        self.scale = current().text / 14

    def __repr__(self) -> str:
        return self.text()

    def svg(self) -> str:
        """The picture as a standalone SVG document."""
        return draw(self.shape, self.scale)

    def text(self) -> str:
        """The shape in words: one line per arrow."""
        shape = self.shape
        labels = {n.id: n.label for n in shape.nodes}
        lines = [shape.title]
        kinds = {n.id: f" ({n.detail})" if n.detail and n.kind != "hub" else "" for n in shape.nodes}
        lines.append("  " + ", ".join(labels[n.id] + kinds[n.id] for n in shape.nodes))
        for arrow in shape.arrows:
            when = f"  {arrow.label}" if arrow.label else ""
            lines.append(f"  {labels[arrow.source]} -> {labels[arrow.target]}{when}")
        lines.extend(f"  {note}" for note in shape.notes)
        return "\n".join(lines)

    def html(self) -> str:
        """The SVG inline, with the title above it and the notes under it."""
        style = current()
        notes = "".join(f"<div>{html.escape(note)}</div>" for note in self.shape.notes)
        return (
            f'<div class="agentnb-diagram {NO_MATH}" style="{FONT};font-size:{style.small}px;padding:4px 0">'
            f"<div><b>{html.escape(self.shape.title)}</b></div>"
            f"{draw(self.shape, self.scale, inline=True)}"
            f'<div style="color:{style.note_color}">{notes}</div></div>'
        )

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": self.text(), "text/html": self.html(), "image/svg+xml": self.svg()}
