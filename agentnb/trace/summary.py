"""Totals of a trace: per agent (time, tokens, cost), overall, the slowest and the failed spans."""

from __future__ import annotations

import heapq
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

    def add_call(self, span: Span) -> None:
        self.model_calls += 1
        if span.usage is not None:
            self.input_tokens += span.usage.prompt_tokens
            self.output_tokens += span.usage.completion_tokens
        if span.cost_pico is None:
            self.unpriced_calls += 1
        else:
            self.known_pico += span.cost_pico


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
    for span in spans:
        op = span.operation
        if span.status == "error":
            failed.append(span)
        if op == WORKFLOW:
            continue
        key = span.path if span.scope else span.agent or "?"
        totals = agents.get(key)
        if totals is None:
            totals = agents[key] = Totals(key)
        if span.status == "error":
            totals.errors += 1
        if op == CHAT:
            totals.add_call(span)
        elif op == TOOL:
            totals.tool_calls += 1
        elif op in TURN_OPERATIONS:
            totals.turns += 1
            totals.time += (span.end if span.end is not None else now) - span.start
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
    timed = heapq.nlargest(
        slowest,
        (s for s in spans if s.operation != WORKFLOW),
        key=lambda s: ((s.end if s.end is not None else now) - s.start, -s.id),
    )
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
        slowest=timed,
        failed=failed,
    )
