"""Graph teams: edges decide who runs next; fan-out branches run concurrently, fan-in waits.

An edge is ``(source, target)`` or ``(source, target, condition)``; a condition is text the
source's reply must contain, a dict of fields its structured reply (``data``) must have,
or a function of that reply (a `TextMessage`) returning bool. Nodes without incoming
edges start. After a node finishes, each of its edges whose condition holds activates its
target. A target joins its parents in one of two ways: ``"all"`` (the default) waits
until no node still in flight could reach it, so a node fed by several branches waits for
all of them and a loop back is allowed; ``"any"`` starts as soon as one parent activates
it. A run stopped part-way resumes where it stopped: the graph's progress is a fold over
the recorded events, like every part of a team's state.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from agentnb.core.dag import find_cycle
from agentnb.core.errors import ConfigError
from agentnb.core.events import USER, Event, Handoff, SpeakerSelected, TextMessage
from agentnb.core.modes.base import Choice, Mode, RunView, Start

Condition = Callable[[TextMessage | None], bool] | str | Mapping[str, Any] | None
Join = Literal["all", "any"]


@dataclass(frozen=True, slots=True)
class Edge:
    """``source`` → ``target``, taken when ``condition`` holds for the source's reply.

    ``join`` says how ``target`` waits for its parents: ``"all"`` or ``"any"`` (every edge
    into one target must agree).
    """

    source: str
    target: str
    condition: Condition = None
    join: Join = "all"

    def taken(self, reply: TextMessage | None) -> bool:
        condition = self.condition
        if condition is None:
            return True
        if isinstance(condition, str):
            return reply is not None and condition in reply.content
        if isinstance(condition, Mapping):
            data = reply.data if reply is not None else None
            return isinstance(data, dict) and all(data.get(k) == v for k, v in condition.items())
        return bool(condition(reply))

    def label(self) -> str:
        if self.condition is None:
            return ""
        if isinstance(self.condition, str):
            return f"if {self.condition!r}"
        if isinstance(self.condition, Mapping):
            return "if " + ", ".join(f"{k}={v!r}" for k, v in self.condition.items())
        return f"if {getattr(self.condition, '__name__', 'condition')}"


class Edges:
    """Validated edges with what the mode needs: starts, out-edges, ancestors, joins."""

    def __init__(self, names: Sequence[str], edges: Sequence[Edge | tuple[Any, ...]]) -> None:
        self.names = list(names)
        self.edges = [e if isinstance(e, Edge) else edge_from_tuple(e) for e in edges]
        known = set(names)
        for edge in self.edges:
            for end in (edge.source, edge.target):
                if end not in known:
                    raise ConfigError(
                        f"edges: {end!r} in edge ({edge.source!r}, {edge.target!r}) is not a "
                        f"participant; participants are: {', '.join(names)}"
                    )
            if edge.join not in ("all", "any"):
                raise ConfigError(f"edges: join must be 'all' or 'any', got {edge.join!r}")
        self.out: dict[str, list[Edge]] = {n: [] for n in names}
        parents: dict[str, set[str]] = {n: set() for n in names}
        self.joins: dict[str, Join] = {}
        for edge in self.edges:
            self.out[edge.source].append(edge)
            parents[edge.target].add(edge.source)
            if self.joins.setdefault(edge.target, edge.join) != edge.join:
                raise ConfigError(
                    f"edges: the edges into {edge.target!r} disagree on join ('all' and 'any'); "
                    "give them all the same join"
                )
        loop = find_cycle({n: [e.target for e in self.out[n] if e.condition is None] for n in names})
        if loop:
            raise ConfigError(
                f"edges: {' -> '.join(loop)} is a loop with no condition on any edge, so it would "
                "run until max_turns; put a condition on one of its edges, e.g. "
                f"({loop[-2]!r}, {loop[-1]!r}, 'REVISE')"
            )
        self.starts = [n for n in names if not parents[n]] or [names[0]]
        self.ancestors = {n: _reachable_backwards(n, parents) for n in names}


def edge_from_tuple(spec: tuple[Any, ...]) -> Edge:
    if not isinstance(spec, tuple) or len(spec) not in (2, 3):
        raise ConfigError(f"edges: expected (source, target) or (source, target, condition), got {spec!r}")
    if not all(isinstance(end, str) for end in spec[:2]):
        raise ConfigError(f"edges: source and target are participant names, got {spec!r}")
    return Edge(*spec)


def _reachable_backwards(node: str, parents: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(parents[node])
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(parents[current])
    return seen


class GraphState(NamedTuple):
    """Which nodes run and which wait. ``absorbed`` holds, for an ``"any"`` node that has
    started, the other parents that were still running then: their later activations belong
    to the same wave and are ignored."""

    running: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()
    absorbed: tuple[tuple[str, frozenset[str]], ...] = ()

    @property
    def pending(self) -> bool:
        return bool(self.running or self.waiting)


class Graph(Mode):
    """A graph of participants: ``edges`` decide who runs after whom (see the module docstring).

    ``Graph(sequential=True)`` (mode "sequential") runs the participants once each, in order.
    """

    name = "graph"
    concurrent = True

    def __init__(
        self, edges: Sequence[Edge | tuple[Any, ...]] | None = None, *, sequential: bool = False
    ) -> None:
        if edges is not None and (isinstance(edges, str) or not isinstance(edges, Sequence)):
            raise ConfigError(f"edges: expected a list of (source, target[, condition]) edges, got {edges!r}")
        if sequential and edges is not None:
            raise ConfigError("edges: sequential mode runs participants in the order given; use mode='graph'")
        self.given = (
            None if edges is None else [e if isinstance(e, Edge) else edge_from_tuple(e) for e in edges]
        )
        self.sequential = sequential
        self.name = "sequential" if sequential else "graph"
        self.edges: Edges | None = None

    def bind(self, names: Sequence[str], participants: Sequence[Any]) -> None:
        chain = list(itertools.pairwise(names)) if self.sequential else self.given or []
        self.edges = Edges(names, chain)

    @property
    def graph(self) -> Edges:
        if self.edges is None:
            raise ConfigError("Graph: this mode is not bound to a team yet (give it to Team(mode=...))")
        return self.edges

    def initial(self) -> GraphState:
        return GraphState()

    def step(self, s: GraphState, event: Event) -> GraphState:
        if event.scope:
            return s
        kind = event.__class__
        if kind is TextMessage and event.source == USER:  # a new task starts the graph over
            return GraphState(waiting=tuple(self.graph.starts))
        if kind is SpeakerSelected:
            node = event.speaker  # type: ignore[attr-defined]
            running = s.running if node in s.running else (*s.running, node)
            absorbed = s.absorbed
            if self.graph.joins.get(node) == "any":
                ancestors = self.graph.ancestors[node]
                wave = frozenset(r for r in running if r in ancestors)
                absorbed = (*((n, a) for n, a in absorbed if n != node), (node, wave))
            return GraphState(running, tuple(n for n in s.waiting if n != node), absorbed)
        if (kind is TextMessage and event.source != USER) or kind is Handoff:
            node = event.source
            if node not in s.running:
                return s
            reply = event if kind is TextMessage else None
            state = s._replace(running=tuple(n for n in s.running if n != node))
            for edge in self.graph.out[node]:
                if edge.taken(reply):  # type: ignore[arg-type]
                    state = self._activate(state, edge.target, node)
            return state
        return s

    @staticmethod
    def _activate(s: GraphState, target: str, parent: str) -> GraphState:
        wave = dict(s.absorbed).get(target)
        if wave and parent in wave:
            rest = tuple((n, a - {parent} if n == target else a) for n, a in s.absorbed)
            return s._replace(absorbed=rest)
        return s if target in s.waiting else s._replace(waiting=(*s.waiting, target))

    def ready(self, s: GraphState, in_flight: Any) -> list[str]:
        """Nodes that may start now: cut-off ones (running, not in flight), then waiting ones
        whose ``"all"`` join has no ancestor still running."""
        out = [n for n in s.running if n not in in_flight]
        graph = self.graph
        for node in s.waiting:
            if node in s.running or node in out or node in in_flight:
                continue
            if graph.joins.get(node) != "any" and any(r in graph.ancestors[node] for r in s.running):
                continue
            out.append(node)
        return out

    def peek(self, s: GraphState, names: Sequence[str]) -> tuple[str, ...]:
        return tuple(self.ready(s, ()))

    def next(self, run: RunView) -> list[Start | Event]:
        starts: list[Start | Event] = []
        for node in self.ready(run.mode_state, run.in_flight):
            reason = "start" if node in self.graph.starts else "graph edge"
            starts.append(Start(node, run.participant(node), Choice(node, reason)))
        return starts

    def done(self, s: GraphState, ran: bool) -> str:
        if not ran and not s.pending:
            return "the graph has finished its task: give the team a new task"
        return "graph finished: no edge left to take"

    def describe(self) -> str:
        if self.sequential:
            return "Sequential()"
        return f"Graph({len(self.given or [])} edges)"

    def signature(self) -> str:
        """Every edge (a condition that is a function by its name): graphs that differ only in
        their edges fold different states."""
        if self.sequential:
            return "Sequential()"
        parts = []
        for e in self.given or []:
            condition = e.condition
            if callable(condition):
                condition = getattr(condition, "__qualname__", type(condition).__name__)
            parts.append(f"{e.source}->{e.target} {condition!r} {e.join}")
        return f"Graph({'; '.join(parts)})"


class Sequential(Graph):
    """Each participant once, in the order given (a graph whose edges are that chain)."""

    def __init__(self) -> None:
        super().__init__(sequential=True)
