"""A trace's totals drawn: what each agent (and the whole run) spent, as HTML, markdown and text.

The trace view puts these tables under its headline; ``print(trace.summary())`` shows the
plain table (`summary_text`). Without times (``times=False``) agents are sorted by name and
no clock reading shows, so a saved notebook is the same on every run.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from agentnb.core.untrusted import terminal_text
from agentnb.core.words import plural
from agentnb.trace.attributes import cost_text
from agentnb.trace.summary import Summary, Totals
from agentnb.views.colors import Colors
from agentnb.views.trace_layout import Aggregate


def counted(n: int, word: str) -> str:
    """``1,234 tokens``, ``1 token``: a count with thousands separators and its noun."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def seconds(value: float | None) -> str:
    if value is None:
        return "running"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


def tokens_text(total: Aggregate | Totals) -> str:
    tokens = total.input_tokens + total.output_tokens
    return f"{tokens:,} tok" if tokens else ""


def aggregate_cost(total: Aggregate) -> str:
    """Cost of a subtree: known, unknown, or known so far plus calls with no price."""
    if not total.unpriced:
        return cost_text(total.cost) if total.input_tokens + total.output_tokens else ""
    if total.cost:
        return f"≥ {cost_text(total.cost)} + unknown"
    return "unknown"


def totals_cost(total: Totals) -> str:
    if total.unpriced_calls and total.known_cost:
        calls = "1 call" if total.unpriced_calls == 1 else f"{total.unpriced_calls} calls"
        return f"≥ {cost_text(total.known_cost)} + unknown ({calls} unpriced)"
    return cost_text(total.cost)


def agents_html(agents: Sequence[Totals], times: bool, colors: Colors) -> str:
    """A row per agent, its name in its chat colour."""
    e = html.escape
    head = [
        "agent",
        "turns",
        *(["time"] if times else []),
        "model calls",
        "tool calls",
        "tokens in",
        "tokens out",
        "cost",
    ]
    cell = 'style="padding:1px 8px;text-align:right"'
    rows = []
    for t in agents:
        values = [
            str(t.turns),
            *([seconds(t.time)] if times else []),
            str(t.model_calls),
            str(t.tool_calls),
            f"{t.input_tokens:,}",
            f"{t.output_tokens:,}",
            totals_cost(t),
        ]
        color = colors.html(t.name.rpartition("/")[2])
        rows.append(
            f'<tr><td style="padding:1px 8px;color:{color};font-weight:bold">{e(t.name)}</td>'
            + "".join(f"<td {cell}>{e(v)}</td>" for v in values)
            + "</tr>"
        )
    header = "".join(f'<th style="padding:1px 8px;text-align:left">{h}</th>' for h in head)
    return (
        f'<table class="agentnb-trace-agents" style="border-collapse:collapse;font-size:12px">'
        f"<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def agents_markdown(agents: Sequence[Totals], times: bool) -> list[str]:
    """The agents' table as markdown lines."""
    head = ["agent", "turns", *(["time"] if times else []), "model calls", "tool calls", "tokens", "cost"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t in agents:
        values = [
            t.name,
            str(t.turns),
            *([seconds(t.time)] if times else []),
            str(t.model_calls),
            str(t.tool_calls),
            f"{t.tokens:,}",
            totals_cost(t),
        ]
        lines.append("| " + " | ".join(values) + " |")
    return lines


def agents_text(agents: Sequence[Totals], times: bool) -> list[str]:
    """A line per agent: ``writer: 2 turns, 1.20 s, 2 model calls, 0 tool calls, 120 tokens, cost $0``."""
    lines = []
    for t in agents:
        timing = f"{seconds(t.time)}, " if times else ""
        calls = f"{plural(t.model_calls, 'model call')}, {plural(t.tool_calls, 'tool call')}"
        tokens = counted(t.tokens, "token")
        lines.append(f"{t.name}: {plural(t.turns, 'turn')}, {timing}{calls}, {tokens}, cost {totals_cost(t)}")
    return lines


def summary_text(summary: Summary) -> str:
    """A plain table: a row per agent and one for the run (what ``print(summary)`` shows)."""
    head = ("agent", "turns", "time s", "model calls", "tool calls", "tokens", "cost")
    rows = [head, *(_row(t) for t in [*summary.agents, summary.total])]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join([row[0].ljust(widths[0]), *map(str.rjust, row[1:], widths[1:])]) for row in rows]
    failed = f", {len(summary.failed)} failed" if summary.failed else ""
    spans = plural(summary.spans, "span")
    title = f"{summary.name}: {summary.status}, {summary.duration:.2f} s, {spans}{failed}"
    return terminal_text("\n".join([title, *lines]))  # agent names may come from a trace file


def _row(totals: Totals) -> tuple[str, ...]:
    cost = totals.cost
    shown = "-" if cost is None and not totals.known_pico else f"${totals.known_cost:.4f}"
    if cost is None and totals.known_pico:
        shown += "+"  # some calls had no price
    return (
        "(run)" if totals.name == "all" else totals.name,
        str(totals.turns),
        f"{totals.time:.2f}",
        str(totals.model_calls),
        str(totals.tool_calls),
        f"{totals.tokens:,}",
        shown,
    )
