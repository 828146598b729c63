"""The trace view: a waterfall of collapsible spans, totals per agent, slowest and failed spans.

One `TraceView` renders as self-contained HTML (no script: ``<details>`` for the tree, CSS
bars placed by percent of the run for the waterfall, so parallel steps visibly overlap),
as markdown and as plain text. ``times=False`` leaves out every clock reading and lays the
bars out in event order instead, so a saved notebook shows the same output on every run.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from agentnb.core.untrusted import terminal_text
from agentnb.trace.attributes import cost_text
from agentnb.trace.spans import AGENT, APPROVAL, CHAT, PLAN, SELECT, STEP, TOOL, WORKFLOW, Span
from agentnb.trace.summary import Summary, Totals
from agentnb.views.colors import Colors
from agentnb.views.fallback import short
from agentnb.views.style import NO_MATH
from agentnb.views.trace_layout import Row, aggregates, layout
from agentnb.views.trace_totals import (
    agents_html,
    agents_markdown,
    agents_text,
    aggregate_cost,
    counted,
    seconds,
    tokens_text,
    totals_cost,
)

if TYPE_CHECKING:
    from agentnb.trace.tracer import Trace

BAR_COLORS = {
    WORKFLOW: "#64748b",
    TOOL: "#d97706",
    APPROVAL: "#9333ea",
    STEP: "#0891b2",
    PLAN: "#0d9488",
    SELECT: "#475569",
}
ERROR_COLOR = "#dc2626"
SLOW_COLOR = "#b45309"
MONO = "font-family:ui-monospace,SFMono-Regular,Menlo,monospace"
PRE = f"margin:0;white-space:pre-wrap;{MONO}"
KEY_CELL = 'style="color:#64748b;padding:0 6px;vertical-align:top"'
LIST = 'style="margin:2px 0"'
BAR = "position:absolute;min-width:2px;top:0;bottom:0;border-radius:2px"
SUMMARY = (
    "display:flex;align-items:center;gap:6px;cursor:pointer;list-style:none;padding:1px 0;"
    "border-bottom:1px solid rgba(127,127,127,0.12)"
)
# border-box: the indent is inside the 40%, so every row's bar starts at the same place
LABEL = "flex:0 0 40%;box-sizing:border-box;overflow:hidden;white-space:nowrap;text-overflow:ellipsis"
TRACK = "flex:1;position:relative;height:10px;background:rgba(127,127,127,0.08)"
FIGURES = "flex:0 0 22%;text-align:right;color:#475569;font-size:11px;white-space:nowrap"
DETAIL = "margin:2px 0 4px 0;font-size:11px;background:rgba(127,127,127,0.06);border-radius:4px"
CONTENT_LIMIT = 2000
HIDDEN_KEYS = ("agentnb.time_to_first_token",)  # clock readings: left out when times=False
LIST_LIMIT = 10


def span_label(span: Span) -> str:
    """The span's name, with the agent it worked for when the name does not say it."""
    who = f" · {span.path}" if span.operation in (CHAT, TOOL, APPROVAL, STEP) and span.path else ""
    return f"{span.name}{who}"


class TraceView:
    """A rendering of a `Trace` (see `Trace.view`); shows itself in Jupyter.

    Agents get their chat colours: ``participants`` (the team's order) first, then the
    other agents in the order they first act.
    """

    def __init__(
        self,
        trace: Trace,
        *,
        times: bool = True,
        max_rows: int = 300,
        focus: int | None = None,
        participants: Sequence[str] = (),
    ) -> None:
        self.trace = trace
        self.times = times
        self.focus = focus
        roots = trace.roots  # links the tree
        spans = trace.spans
        if focus is not None and not 0 <= focus < len(spans):
            raise ValueError(f"focus: the trace has spans 0 to {len(spans) - 1}, not {focus!r}")
        self.summary: Summary = trace.summary()
        self.totals = aggregates(spans)
        self.tops = [spans[focus]] if focus is not None else roots
        self.rows = layout(self.tops, self.totals, max_rows)
        self.now = trace.now
        self.last_seq = max((s.end_seq or s.seq for s in spans), default=0)
        self.slow = {s.id: i + 1 for i, s in enumerate(self.summary.slowest)} if times else {}
        self.colors = Colors(participants)
        for span in sorted(spans, key=lambda s: s.seq):
            if span.operation == AGENT:
                self.colors.slot(span.agent)
        self.window = self._window()

    # ----- geometry ------------------------------------------------------------------------

    def _window(self) -> tuple[float, float]:
        if not self.tops:
            return (0.0, 1.0)
        if self.times:
            start = min(s.start for s in self.tops)
            end = max(s.end if s.end is not None else self.now for s in self.tops)
        else:
            start = min(s.seq for s in self.tops)
            end = max(s.end_seq if s.end_seq is not None else self.last_seq for s in self.tops)
        return (start, end if end > start else start + 1)

    def _bar(self, row: Row) -> tuple[float, float]:
        """Left edge and width of a row's bar, in percent of the window."""
        lo, hi = self.window
        if self.times:
            a, b = row.start, row.end(self.now)
        else:
            a, b = row.seq, row.end_seq(self.last_seq)
        left = min(100.0, max(0.0, (a - lo) / (hi - lo) * 100))
        width = min(100.0 - left, max(0.0, (b - a) / (hi - lo) * 100))
        return left, width

    # ----- text pieces shared by every format ----------------------------------------------

    def _label(self, row: Row) -> str:
        return row.title if row.span is None else span_label(row.span)

    def _label_html(self, row: Row) -> str:
        return "▸ " + self._label(row)

    def _figures(self, row: Row) -> str:
        parts = []
        if self.times:
            span = row.span
            duration = span.duration if span is not None else row.end(self.now) - row.start
            parts.append(seconds(duration))
        parts.append(tokens_text(row.total))
        parts.append(aggregate_cost(row.total))
        return " · ".join(p for p in parts if p)

    def _marks(self, row: Row) -> list[str]:
        marks = []
        span = row.span
        if span is not None and span.status == "error":
            marks.append("✗ error")
        elif row.total.errors:
            marks.append(f"✗ {row.total.errors} failed inside")
        if span is not None and span.id in self.slow:
            marks.append(f"slowest #{self.slow[span.id]}")
        if span is not None and span.end is None:
            marks.append("running")
        return marks

    def _details(self, span: Span) -> dict[str, Any]:
        found = dict(self.trace.attributes(span))
        found.pop("gen_ai.operation.name", None)
        if self.times:
            found["start"] = f"+{seconds(span.start - self.window[0])}"
            found["duration"] = seconds(span.duration)
        else:
            for key in HIDDEN_KEYS:
                found.pop(key, None)
        if span.operation == CHAT:
            found["cost"] = cost_text(span.cost)
        found["span id"] = span.id
        return found

    def _error(self, span: Span) -> str:
        return short(self.trace.scrubber.text(span.error), 200)

    def _hint(self, row: Row) -> str:
        if row.span is not None:
            return f"{row.more:,} more spans inside: trace.view(focus={row.span.id}) shows them"
        return f"{row.more:,} spans not shown: trace.view(focus=ID) shows one span's subtree"

    # ----- HTML ----------------------------------------------------------------------------

    def html(self) -> str:
        s = self.summary
        e = html.escape
        parts = [
            f'<div class="agentnb-trace {NO_MATH}" style="font-family:system-ui,sans-serif;font-size:13px">',
            f'<div style="font-weight:bold;margin-bottom:4px">{e(self._headline())}</div>',
            agents_html(self._agent_rows(), self.times, self.colors),
        ]
        if s.slowest and self.times:
            items = "".join(
                f"<li>{e(span_label(sp))} — {seconds(sp.duration)} (span {sp.id})</li>" for sp in s.slowest
            )
            parts.append(f'<div class="agentnb-trace-slowest"><b>Slowest</b><ol {LIST}>{items}</ol></div>')
        if s.failed:
            items = "".join(
                f'<li style="color:{ERROR_COLOR}">{e(span_label(sp))}: {e(self._error(sp))} '
                f"(span {sp.id})</li>"
                for sp in s.failed[:LIST_LIMIT]
            )
            more = f"<li>… {len(s.failed) - LIST_LIMIT} more</li>" if len(s.failed) > LIST_LIMIT else ""
            parts.append(
                f'<div class="agentnb-trace-failed"><b>Failed</b><ul {LIST}>{items}{more}</ul></div>'
            )
        axis = "time →" if self.times else "event order →"
        parts.append(
            '<div class="agentnb-waterfall" style="margin-top:6px;border-top:1px solid #e2e8f0">'
            f'<div style="display:flex;color:#64748b;font-size:11px"><span style="flex:0 0 40%"></span>'
            f'<span style="flex:1">{axis}</span><span style="flex:0 0 22%;text-align:right">'
            f"{e(seconds(self.window[1] - self.window[0])) if self.times else ''}</span></div>"
        )
        for row in self.rows:
            self._row_html(row, parts)
        parts.append("</div></div>")
        return "".join(parts)

    def _headline(self) -> str:
        s = self.summary
        bits = [f"trace {s.name}", s.status]
        if self.times:
            bits.append(seconds(s.duration))
        bits += [counted(s.spans, "span"), counted(s.total.tokens, "token"), f"cost {totals_cost(s.total)}"]
        if self.focus is not None:
            bits.append(f"showing span {self.focus}")
        return " · ".join(bits)

    def _agent_rows(self) -> list[Totals]:
        agents = self.summary.agents
        return agents if self.times else sorted(agents, key=lambda t: t.name)

    def _row_html(self, row: Row, parts: list[str]) -> None:
        e = html.escape
        span = row.span
        op = span.operation if span is not None else "group"
        failed = span is not None and span.status == "error"
        if failed:
            color = ERROR_COLOR
        elif span is None:
            color = "#94a3b8"
        elif span.operation in (AGENT, CHAT):
            color = self.colors.html(span.agent)
        else:
            color = BAR_COLORS.get(span.operation, "#64748b")
        opacity = "0.55" if op == CHAT else "1"
        left, width = self._bar(row)
        marks = "".join(
            f' <span style="color:{ERROR_COLOR if m[0] == "✗" else SLOW_COLOR};font-size:11px">{e(m)}</span>'
            for m in self._marks(row)
        )
        is_open = " open" if span is not None and span.operation == WORKFLOW else ""
        status = span.status if span is not None else "group"
        data = f'data-op="{e(op)}" data-status="{e(status)}"'  # a trace file is anyone's: escape all
        parts.append(
            f'<details class="agentnb-span" {data}{is_open} style="margin:0">'
            f'<summary style="{SUMMARY}"><span style="{LABEL};padding-left:{row.depth * 14}px">'
            f"{e(self._label_html(row))}{marks}</span>"
            f'<span style="{TRACK}"><span style="{BAR};left:{left:.2f}%;width:{width:.2f}%;'
            f'background:{color};opacity:{opacity}"></span></span>'
            f'<span style="{FIGURES}">{e(self._figures(row))}</span></summary>'
        )
        if span is not None:
            parts.append(self._detail_html(span, row.depth))
        if row.children:
            for child in row.children:
                self._row_html(child, parts)
        if row.more:
            parts.append(
                f'<div style="padding-left:{(row.depth + 1) * 14}px;color:#64748b;font-size:11px">'
                f"{e(self._hint(row))}</div>"
            )
        parts.append("</details>")

    def _detail_html(self, span: Span, depth: int) -> str:
        e = html.escape
        items = [
            f'<tr><td {KEY_CELL}>{e(k)}</td><td style="{MONO}">'
            f"{e(v if isinstance(v, str) else json.dumps(v))}</td></tr>"
            for k, v in self._details(span).items()
        ]
        for key, value in self.trace.content(span).items():
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1)
            items.append(
                f"<tr><td {KEY_CELL}>{e(key)}</td><td>"
                f'<pre style="{PRE}">{e(short(text, CONTENT_LIMIT))}</pre></td></tr>'
            )
        return (
            f'<div class="agentnb-span-detail" style="{DETAIL};margin-left:{depth * 14 + 14}px">'
            f'<table style="font-size:inherit">{"".join(items)}</table></div>'
        )

    # ----- markdown and text ---------------------------------------------------------------

    def markdown(self) -> str:
        s = self.summary
        lines = [f"**{self._headline()}**", "", *agents_markdown(self._agent_rows(), self.times)]
        if s.failed:
            lines += ["", "**Failed**", ""]
            lines += [f"- `{span_label(sp)}`: {self._error(sp)}" for sp in s.failed[:LIST_LIMIT]]
        lines.append("")
        for row in self.rows:
            self._row_lines(row, lines, markdown=True)
        return "\n".join(lines)

    def text(self) -> str:
        lines = [self._headline()]
        lines += [f"  {line}" for line in agents_text(self._agent_rows(), self.times)]
        for sp in self.summary.failed[:LIST_LIMIT]:
            lines.append(f"  ✗ {span_label(sp)}: {self._error(sp)}")
        for row in self.rows:
            self._row_lines(row, lines, markdown=False)
        return terminal_text("\n".join(lines))  # names and errors may come from a trace file

    def _row_lines(self, row: Row, lines: list[str], *, markdown: bool) -> None:
        figures = self._figures(row)
        marks = " ".join(self._marks(row))
        text = self._label(row) + (f" — {figures}" if figures else "") + (f" [{marks}]" if marks else "")
        if markdown:
            lines.append("  " * row.depth + f"- {text}")
        else:
            lines.append("  " * (row.depth + 1) + text)
        for child in row.children or ():
            self._row_lines(child, lines, markdown=markdown)
        if row.more and row.span is not None:  # a group's title already names its span ids
            pad = "  " * (row.depth + 1)
            lines.append(pad + ("- " if markdown else "  ") + f"… {self._hint(row)}")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.text(), "text/markdown": self.markdown(), "text/html": self.html()}

    def __repr__(self) -> str:
        return self.text()
