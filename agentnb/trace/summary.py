"""Totals of a trace: per agent (time, tokens, cost), overall, the slowest and the failed spans."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from decimal import Decimal

from agentnb.core import plugins
from agentnb.trace.cost import dollars
from agentnb.trace.spans import AGENT, CHAT, PLAN, SELECT, TOOL, WORKFLOW, Span

TURN_OPERATIONS = (AGENT, PLAN, SELECT)


@dataclass
class Totals:
    """What one agent (or the whole run) spent. ``cost`` is ``None`` when any call has no price."""

    name: str
    turns: int = 0
    time: float = 0.0
    model_calls: int = 0
    tool_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    known_pico: int = 0  # picodollars of the priced calls
    unpriced_calls: int = 0
    errors: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def known_cost(self) -> Decimal:
        """Dollars of the calls whose model has a price."""
        return dollars(self.known_pico)

    @property
    def cost(self) -> Decimal | None:
        return None if self.unpriced_calls else self.known_cost


@dataclass
class Summary:
    """A run at a glance: overall totals, per-agent totals, slowest and failed spans."""

    name: str
    status: str
    duration: float
    spans: int
    total: Totals
    agents: list[Totals] = field(default_factory=list)
    slowest: list[Span] = field(default_factory=list)
    failed: list[Span] = field(default_factory=list)

    def __str__(self) -> str:
        """A plain table: a row per agent and one for the run (drawn by `agentnb.views`)."""
        return plugins.render(self, "text")


def summarize(roots: list[Span], spans: list[Span], *, now: float, slowest: int = 5) -> Summary:
    """One pass over ``spans`` (costs already filled) for totals; open spans count up to ``now``."""
    total = Totals("all")
    agents: dict[str, Totals] = {}
    failed: list[Span] = []
    top: list[tuple[float, int, Span]] = []  # the slowest so far, as a heap of (duration, -id, span)
    floor = -math.inf if slowest > 0 else math.inf  # what a span must exceed to be among them
    key: str | None = None
    totals = Totals("")  # (the agent's of the span before: consecutive spans are mostly one agent's)
    for span in spans:
        op = span.operation
        error = span.status == "error"
        if error:
            failed.append(span)
        if op == WORKFLOW:
            continue
        end = span.end
        duration = (end if end is not None else now) - span.start
        if duration > floor:  # (spans come in id order: a later one with an equal duration ranks lower)
            if len(top) < slowest:
                heapq.heappush(top, (duration, -span.id, span))
                if len(top) == slowest:
                    floor = top[0][0]
            else:
                heapq.heapreplace(top, (duration, -span.id, span))
                floor = top[0][0]
        agent = span.path if span.scope else span.agent or "?"
        if agent != key:
            key, totals = agent, agents.get(agent) or agents.setdefault(agent, Totals(agent))
        if error:
            totals.errors += 1
        if op == CHAT:
            totals.model_calls += 1
            usage = span.usage
            if usage is not None:
                totals.input_tokens += usage.prompt_tokens
                totals.output_tokens += usage.completion_tokens
            if span.cost_pico is None:
                totals.unpriced_calls += 1
            else:
                totals.known_pico += span.cost_pico
        elif op == TOOL:
            totals.tool_calls += 1
        elif op in TURN_OPERATIONS:
            totals.turns += 1
            totals.time += duration
    for totals in agents.values():
        total.turns += totals.turns
        total.model_calls += totals.model_calls
        total.tool_calls += totals.tool_calls
        total.input_tokens += totals.input_tokens
        total.output_tokens += totals.output_tokens
        total.known_pico += totals.known_pico
        total.unpriced_calls += totals.unpriced_calls
    total.errors = len(failed)
    ends = [r.end if r.end is not None else now for r in roots]
    start = min((r.start for r in roots), default=0.0)
    total.time = sum(max(0.0, end - r.start) for r, end in zip(roots, ends, strict=True))
    if any(r.status == "error" for r in roots):
        status = "error"
    else:
        status = "running" if any(r.end is None for r in roots) else "ok"
    return Summary(
        name=", ".join(dict.fromkeys(r.label or "run" for r in roots)) or "empty trace",
        status=status,
        duration=max(0.0, max(ends, default=start) - start),
        spans=len(spans),
        total=total,
        agents=sorted(agents.values(), key=lambda t: (-t.time, t.name)),
        slowest=[span for _, _, span in sorted(top, reverse=True)],
        failed=failed,
    )
