"""Graph teams: edges decide who runs next; fan-out branches run concurrently, fan-in waits.

An edge is ``(source, target)`` or ``(source, target, condition)``; a condition is text the
source's reply must contain, or a function of that reply (a `TextMessage`) returning bool.
Nodes without incoming edges start. After a node finishes, each of its edges whose condition
holds activates its target; a target runs once no node still in flight could reach it, so a
node fed by several branches waits for all of them (fan-in) and a loop back is allowed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentnb.messages import Event, SpeakerSelected, Stop, TextMessage, TokenDelta

if TYPE_CHECKING:
    from agentnb.team import Team

Condition = Callable[[TextMessage | None], bool] | str | None


@dataclass(frozen=True, slots=True)
class Edge:
    """``source`` → ``target``, taken when ``condition`` holds for the source's reply."""

    source: str
    target: str
    condition: Condition = None

    def taken(self, reply: TextMessage | None) -> bool:
        if self.condition is None:
            return True
        if isinstance(self.condition, str):
            return reply is not None and self.condition in reply.content
        return bool(self.condition(reply))

    def label(self) -> str:
        if self.condition is None:
            return ""
        if isinstance(self.condition, str):
            return f"if {self.condition!r}"
        return f"if {getattr(self.condition, '__name__', 'condition')}"


class Graph:
    """Validated edges with what the executor needs: starts, out-edges and ancestors."""

    def __init__(self, names: Sequence[str], edges: Sequence[Edge | tuple[Any, ...]]) -> None:
        self.edges = [e if isinstance(e, Edge) else edge_from_tuple(e) for e in edges]
        known = set(names)
        for edge in self.edges:
            for end in (edge.source, edge.target):
                if end not in known:
                    raise ValueError(
                        f"edges: {end!r} in edge ({edge.source!r}, {edge.target!r}) is not a "
                        f"participant; participants are: {', '.join(names)}"
                    )
        self.out: dict[str, list[Edge]] = {n: [] for n in names}
        parents: dict[str, set[str]] = {n: set() for n in names}
        for edge in self.edges:
            self.out[edge.source].append(edge)
            parents[edge.target].add(edge.source)
        self.starts = [n for n in names if not parents[n]] or [names[0]]
        self.ancestors = {n: _reachable_backwards(n, parents) for n in names}


def edge_from_tuple(spec: tuple[Any, ...]) -> Edge:
    if not isinstance(spec, tuple) or len(spec) not in (2, 3):
        raise ValueError(f"edges: expected (source, target) or (source, target, condition), got {spec!r}")
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


async def run_graph(team: Team, graph: Graph) -> AsyncIterator[Event]:
    """Run one pass of the graph, yielding every event; the team records and stops."""
    queue: asyncio.Queue[tuple[str, str, Any]] = asyncio.Queue()
    running: dict[str, asyncio.Task[None]] = {}
    replies: dict[str, TextMessage | None] = {}
    ready = list(graph.starts)
    waiting: list[str] = []

    async def run_node(name: str, snapshot: list[Event]) -> None:
        last: TextMessage | None = None
        try:
            participant = team.participant(name)
            async with aclosing(participant.turn(snapshot, team.turn_context(name))) as turn:
                async for event in turn:
                    if event.__class__ is not TokenDelta and not event.scope:
                        snapshot.append(event)
                        if isinstance(event, TextMessage):
                            last = event
                    queue.put_nowait(("event", name, event))
            replies[name] = last
            queue.put_nowait(("done", name, None))
        except Exception as exc:  # reported to the team, which ends the run with it
            queue.put_nowait(("error", name, exc))

    try:
        while True:
            if team.should_stop():
                ready.clear()
            for name in ready:
                turn = team.next_turn()
                yield SpeakerSelected(
                    source=team.name, speaker=name, turn=turn, reason="start" if turn == 1 else "graph edge"
                )
                running[name] = asyncio.create_task(run_node(name, list(team.transcript)))
            ready.clear()
            if not running:
                if not team.should_stop():
                    team.finish("graph finished: no edge left to take")
                return
            kind, name, payload = await queue.get()
            if kind == "error":
                raise payload
            if kind == "event":
                if payload.__class__ is Stop and not payload.scope:
                    team.finish(payload.reason)
                    ready.clear()
                    waiting.clear()
                    continue
                yield payload
                continue
            running.pop(name)
            for edge in graph.out[name]:
                if edge.target not in waiting and edge.taken(replies.get(name)):
                    waiting.append(edge.target)
            for node in list(waiting):
                blocked = node in running or any(r in graph.ancestors[node] for r in running)
                if not blocked:
                    waiting.remove(node)
                    ready.append(node)
    finally:
        for task in running.values():
            task.cancel()
        if running:
            await asyncio.gather(*running.values(), return_exceptions=True)
