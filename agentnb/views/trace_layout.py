"""What a trace view shows: rows of spans and groups, within a budget of rows.

A run of 10,000 spans cannot be shown span by span. Children beyond `FANOUT` are gathered
into groups (``#1–125``) with the totals of everything inside, groups into groups if need
be, and rows are handed out until ``max_rows`` is reached: first along the paths to failed
spans, then level by level (breadth first). The top of the tree is always there, and what
does not fit says how to see it (``trace.view(focus=ID)``).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from agentnb.trace.cost import dollars
from agentnb.trace.spans import CHAT, Span

FANOUT = 40  # at most this many rows under one parent before grouping


@dataclass
class Aggregate:
    """Totals of a span and everything below it."""

    spans: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    pico: int = 0  # picodollars of the priced model calls
    unpriced: int = 0
    errors: int = 0

    def add(self, other: Aggregate) -> None:
        self.spans += other.spans
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.pico += other.pico
        self.unpriced += other.unpriced
        self.errors += other.errors

    @property
    def cost(self) -> Decimal:
        """Dollars of the priced calls (`unpriced` counts the others)."""
        return dollars(self.pico)


def aggregates(spans: list[Span]) -> list[Aggregate]:
    """Subtree totals for every span (indexed by id): one pass, children before parents."""
    out = [Aggregate() for _ in spans]
    for span in reversed(spans):
        mine = out[span.id]
        mine.spans += 1
        if span.status == "error":
            mine.errors += 1
        if span.operation == CHAT:
            if span.usage is not None:
                mine.input_tokens += span.usage.prompt_tokens
                mine.output_tokens += span.usage.completion_tokens
            if span.cost_pico is None:
                mine.unpriced += 1
            else:
                mine.pico += span.cost_pico
        if span.parent is not None:
            out[span.parent.id].add(mine)
    return out


@dataclass(eq=False)
class Row:
    """One line of the view: a span, or a group of sibling spans; ``more`` counts hidden spans."""

    depth: int
    span: Span | None = None
    members: list[Span] = field(default_factory=list)  # a group's spans
    title: str = ""
    first: int = 0  # a group's position among its siblings
    total: Aggregate = field(default_factory=Aggregate)
    children: list[Row] | None = None  # None: not expanded
    more: int = 0

    @property
    def start(self) -> float:
        return self.span.start if self.span is not None else min(s.start for s in self.members)

    def end(self, now: float) -> float:
        spans = [self.span] if self.span is not None else self.members
        return max(s.end if s.end is not None else now for s in spans)

    @property
    def seq(self) -> int:
        return self.span.seq if self.span is not None else min(s.seq for s in self.members)

    def end_seq(self, last: int) -> int:
        spans = [self.span] if self.span is not None else self.members
        return max(s.end_seq if s.end_seq is not None else last for s in spans)


def group_title(members: list[Span], first: int) -> str:
    kinds = Counter(s.operation for s in members)
    what = ", ".join(f"{n} {op}" for op, n in kinds.most_common())
    return f"#{first + 1}–{first + len(members)} ({what}; span ids {members[0].id}–{members[-1].id})"


def _rows_for(spans: list[Span], depth: int, totals: list[Aggregate], offset: int = 0) -> list[Row]:
    if len(spans) <= FANOUT:
        return [Row(depth, span=s, total=totals[s.id]) for s in spans]
    size = max(FANOUT, math.ceil(len(spans) / FANOUT))
    rows = []
    for i in range(0, len(spans), size):
        members = spans[i : i + size]
        total = Aggregate()
        for s in members:
            total.add(totals[s.id])
        title = group_title(members, offset + i)
        rows.append(Row(depth, members=members, title=title, first=offset + i, total=total))
    return rows


def layout(tops: list[Span], totals: list[Aggregate], max_rows: int) -> list[Row]:
    """Rows for ``tops`` and below, expanded while the budget lasts (paths to failures first)."""
    rows = _rows_for(tops, 0, totals)
    budget = max_rows - len(rows)
    order = 0
    queue: list[tuple[int, int, int, Row]] = []
    for row in rows:
        order += 1
        heapq.heappush(queue, (0 if row.total.errors else 1, row.depth, order, row))
    while queue:
        row = heapq.heappop(queue)[3]
        if row.span is not None:
            kids = row.span.children or []
            if not kids:
                row.children = []
                continue
            children = _rows_for(kids, row.depth + 1, totals)
        else:
            children = _rows_for(row.members, row.depth + 1, totals, row.first)
        if len(children) > budget:
            row.more = row.total.spans - (1 if row.span is not None else 0)
            continue
        budget -= len(children)
        row.children = children
        for child in children:
            order += 1
            heapq.heappush(queue, (0 if child.total.errors else 1, child.depth, order, child))
    return rows
