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

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from agentnb.core.events import USER, Event, Handoff, SpeakerSelected, Stop, TextMessage, TokenDelta
from agentnb.core.plan import find_cycle
from agentnb.core.speakers import Policy

if TYPE_CHECKING:
    from agentnb.core.team import Team

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


class Graph:
    """Validated edges with what the executor needs: starts, out-edges, ancestors, joins."""

    def __init__(self, names: Sequence[str], edges: Sequence[Edge | tuple[Any, ...]]) -> None:
        self.names = list(names)
        self.edges = [e if isinstance(e, Edge) else edge_from_tuple(e) for e in edges]
        known = set(names)
        for edge in self.edges:
            for end in (edge.source, edge.target):
                if end not in known:
                    raise ValueError(
                        f"edges: {end!r} in edge ({edge.source!r}, {edge.target!r}) is not a "
                        f"participant; participants are: {', '.join(names)}"
                    )
            if edge.join not in ("all", "any"):
                raise ValueError(f"edges: join must be 'all' or 'any', got {edge.join!r}")
        self.out: dict[str, list[Edge]] = {n: [] for n in names}
        parents: dict[str, set[str]] = {n: set() for n in names}
        self.joins: dict[str, Join] = {}
        for edge in self.edges:
            self.out[edge.source].append(edge)
            parents[edge.target].add(edge.source)
            if self.joins.setdefault(edge.target, edge.join) != edge.join:
                raise ValueError(
                    f"edges: the edges into {edge.target!r} disagree on join ('all' and 'any'); "
                    "give them all the same join"
                )
        loop = find_cycle({n: [e.target for e in self.out[n] if e.condition is None] for n in names})
        if loop:
            raise ValueError(
                f"edges: {' -> '.join(loop)} is a loop with no condition on any edge, so it would "
                "run until max_turns; put a condition on one of its edges, e.g. "
                f"({loop[-2]!r}, {loop[-1]!r}, 'REVISE')"
            )
        self.starts = [n for n in names if not parents[n]] or [names[0]]
        self.ancestors = {n: _reachable_backwards(n, parents) for n in names}


def edge_from_tuple(spec: tuple[Any, ...]) -> Edge:
    if not isinstance(spec, tuple) or len(spec) not in (2, 3):
        raise ValueError(f"edges: expected (source, target) or (source, target, condition), got {spec!r}")
    if not all(isinstance(end, str) for end in spec[:2]):
        raise ValueError(f"edges: source and target are participant names, got {spec!r}")
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


class GraphProgress(Policy):
    """Which nodes run and which wait: updated only from recorded events (a fold).

    ``absorbed`` holds, for an ``"any"`` node that has started, the other parents that
    were still running then: their later activations belong to the same wave and are
    ignored.
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.running: list[str] = []
        self.waiting: list[str] = []
        self.absorbed: dict[str, set[str]] = {}

    def reset(self) -> None:
        self.running, self.waiting, self.absorbed = [], [], {}

    def snapshot(self) -> Any:
        return (tuple(self.running), tuple(self.waiting), {k: frozenset(v) for k, v in self.absorbed.items()})

    def restore(self, state: Any) -> None:
        running, waiting, absorbed = state
        self.running, self.waiting = list(running), list(waiting)
        self.absorbed = {k: set(v) for k, v in absorbed.items()}

    def pending(self) -> bool:
        return bool(self.running or self.waiting)

    def begin_run(self) -> None:
        if self.pending():  # a run stopped part-way: nodes cut off run again, waiting ones wait
            self.waiting = [*self.running, *(n for n in self.waiting if n not in self.running)]
            self.running = []
        else:
            self.waiting = list(self.graph.starts)
            self.absorbed = {}

    def observe(self, event: Event) -> None:
        if event.scope:
            return
        kind = event.__class__
        if kind is SpeakerSelected:
            node = event.speaker  # type: ignore[attr-defined]
            if node in self.waiting:
                self.waiting.remove(node)
            self.running.append(node)
            if self.graph.joins.get(node) == "any":
                ancestors = self.graph.ancestors[node]
                self.absorbed[node] = {r for r in self.running if r in ancestors}
        elif (kind is TextMessage and event.source != USER) or kind is Handoff:
            node = event.source
            if node not in self.running:
                return
            self.running.remove(node)
            reply = event if kind is TextMessage else None
            for edge in self.graph.out[node]:
                if edge.taken(reply):  # type: ignore[arg-type]
                    self._activate(edge.target, node)

    def _activate(self, target: str, parent: str) -> None:
        absorbed = self.absorbed.get(target)
        if absorbed and parent in absorbed:
            absorbed.discard(parent)
            return
        if target not in self.waiting:
            self.waiting.append(target)

    def ready(self) -> list[str]:
        """Waiting nodes that may start now."""
        out = []
        for node in self.waiting:
            if node in self.running:
                continue
            if self.graph.joins.get(node) != "any" and any(
                r in self.graph.ancestors[node] for r in self.running
            ):
                continue
            out.append(node)
        return out


async def run_graph(team: Team, progress: GraphProgress) -> AsyncIterator[Event]:
    """Run the graph until no node is left to run, yielding every event; the team records them."""
    queue: asyncio.Queue[tuple[str, str, Any]] = asyncio.Queue()
    tasks: dict[str, asyncio.Task[None]] = {}

    async def run_node(name: str, thread: Any) -> None:
        try:
            participant = team.participant(name)
            async with aclosing(participant.turn(thread, team.turn_context(name))) as turn:
                async for event in turn:
                    if event.__class__ is not TokenDelta:
                        thread.append(event)
                    queue.put_nowait(("event", name, event))
            queue.put_nowait(("done", name, None))
        except Exception as exc:  # reported to the team, which ends the run with it
            queue.put_nowait(("error", name, exc))

    try:
        while True:
            if not team.should_stop():
                for name in progress.ready():
                    yield SpeakerSelected(
                        source=team.name,
                        speaker=name,
                        turn=team.next_turn(),
                        reason="start" if name in progress.graph.starts else "graph edge",
                    )
                    thread = team.transcript.prefix(len(team.transcript))
                    tasks[name] = asyncio.create_task(run_node(name, thread))
            if not tasks:
                if not team.should_stop() and not progress.pending():
                    team.finish("graph finished: no edge left to take")
                return
            kind, name, payload = await queue.get()
            if kind == "error":
                raise payload
            if kind == "event":
                if payload.__class__ is Stop and not payload.scope:
                    team.finish(payload.reason)
                    continue
                yield payload
                continue
            tasks.pop(name)
    finally:
        for task in tasks.values():
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks.values(), return_exceptions=True)
