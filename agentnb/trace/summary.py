"""Totals of a trace: per agent (time, tokens, cost), overall, the slowest and the failed spans."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

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
    known_cost: Decimal = Decimal(0)
    unpriced_calls: int = 0
    errors: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def cost(self) -> Decimal | None:
        return None if self.unpriced_calls else self.known_cost

    def add_call(self, span: Span) -> None:
        self.model_calls += 1
        if span.usage is not None:
            self.input_tokens += span.usage.prompt_tokens
            self.output_tokens += span.usage.completion_tokens
        if span.cost is None:
            self.unpriced_calls += 1
        else:
            self.known_cost += span.cost


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


def summarize(roots: list[Span], spans: Iterable[Span], *, now: float, slowest: int = 5) -> Summary:
    """One pass over ``spans`` (costs already filled) for totals; open spans count up to ``now``."""
    total = Totals("all")
    agents: dict[str, Totals] = {}
    failed: list[Span] = []
    timed: list[tuple[float, int, Span]] = []
    count = 0
    for span in spans:
        count += 1
        op = span.operation
        end = span.end if span.end is not None else now
        duration = max(0.0, end - span.start)
        if span.status == "error":
            failed.append(span)
        if op == WORKFLOW:
            continue
        timed.append((duration, -span.id, span))
        key = span.path or "?"
        totals = agents.get(key)
        if totals is None:
            totals = agents[key] = Totals(key)
        if span.status == "error":
            totals.errors += 1
        if op in TURN_OPERATIONS:
            totals.turns += 1
            totals.time += duration
        elif op == CHAT:
            totals.add_call(span)
            total.add_call(span)
        elif op == TOOL:
            totals.tool_calls += 1
            total.tool_calls += 1
    total.turns = sum(t.turns for t in agents.values())
    total.errors = len(failed)
    start = min((r.start for r in roots), default=0.0)
    end = max((r.end if r.end is not None else now for r in roots), default=start)
    total.time = sum(max(0.0, (r.end if r.end is not None else now) - r.start) for r in roots)
    timed.sort(key=lambda item: (item[0], item[1]), reverse=True)
    status = (
        "error"
        if any(r.status == "error" for r in roots)
        else ("running" if any(r.end is None for r in roots) else "ok")
    )
    name = ", ".join(dict.fromkeys(r.label or "run" for r in roots)) or "empty trace"
    return Summary(
        name=name,
        status=status,
        duration=max(0.0, end - start),
        spans=count,
        total=total,
        agents=sorted(agents.values(), key=lambda t: (-t.time, t.name)),
        slowest=[s for _, _, s in timed[:slowest]],
        failed=failed,
    )
