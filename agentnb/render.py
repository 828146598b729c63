"""Renderings of a run's events: terminal text (live or static), markdown and static HTML.

One function per event kind and format, all deterministic (no ids, no timestamps), so a
saved notebook or a test can compare them. The notebook widget reuses the HTML pieces.
"""

from __future__ import annotations

import html
import io
import json
import zlib
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from agentnb.markup import to_html
from agentnb.messages import (
    Approval,
    ErrorEvent,
    Event,
    Handoff,
    SpeakerSelected,
    Stop,
    TextMessage,
    TokenDelta,
    ToolCall,
    ToolCalls,
    ToolResult,
)

if TYPE_CHECKING:
    from agentnb.team import TeamResult

PALETTE = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"]
ANSI = [34, 32, 31, 35, 33, 36, 93, 95]
USER_COLOR = "#475569"
# JupyterLab and ipywidgets typeset $...$ in HTML output as LaTeX; chat text ("$3.9 million
# ... $4.5") is not math. MathJax skips elements with these classes.
NO_MATH = "tex2jax_ignore mathjax_ignore"
CHAT_OPEN = (
    f'<div class="agentnb-chat {NO_MATH}" style="font-family:system-ui,sans-serif;font-size:14px">'
)


def color_index(name: str) -> int:
    """A stable palette slot for a participant name (same name, same colour, everywhere)."""
    return zlib.crc32(name.encode()) % len(PALETTE)


def html_color(name: str) -> str:
    return USER_COLOR if name == "user" else PALETTE[color_index(name)]


def short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TerminalPrinter:
    """Prints events as a readable transcript; streams tokens live when they arrive."""

    def __init__(self, out: IO[str], *, color: bool = False, show_speakers: bool = False) -> None:
        self.out = out
        self.color = color
        self.show_speakers = show_speakers
        self.streaming: str | None = None  # whose tokens are being printed

    def paint(self, text: str, name: str | None = None, code: int | None = None) -> str:
        if not self.color:
            return text
        code = code if code is not None else (90 if name in (None, "user") else ANSI[color_index(name)])
        return f"\033[1;{code}m{text}\033[0m"

    def header(self, name: str, scope: str = "") -> None:
        where = f" ({scope})" if scope else ""
        self.out.write("\n" + self.paint(f"{name}{where}:", name) + "\n")

    def feed(self, event: Event) -> None:
        indent = "  " * (event.scope.count("/") + 1) if event.scope else ""
        if isinstance(event, TokenDelta):
            if self.streaming != event.source:
                self.header(event.source, event.scope)
                self.streaming = event.source
            self.out.write(event.text)
        elif isinstance(event, TextMessage):
            if self.streaming == event.source:
                self.out.write("\n")
            else:
                self.header(event.source, event.scope)
                self.out.write("".join(indent + line + "\n" for line in event.content.splitlines() or [""]))
            self.streaming = None
        elif isinstance(event, ToolCalls):
            self._end_stream()
            for call in event.calls:
                self.out.write(
                    f"{indent}  {self.paint('→', event.source)} {event.source} calls "
                    f"{call.name}({short(call.arguments, 200)})\n"
                )
        elif isinstance(event, ToolResult):
            mark = "✗" if event.is_error else "←"
            self.out.write(f"{indent}  {mark} {event.name}: {short(event.content, 300)}\n")
        elif isinstance(event, Handoff):
            self._end_stream()
            self.out.write(f"{indent}  ⇢ {event.source} hands off to {event.target}\n")
        elif isinstance(event, Approval):
            verdict = "approved" if event.approved else "rejected"
            self.out.write(f"{indent}  ✓ {event.source} {verdict} {event.tool}\n")
        elif isinstance(event, ErrorEvent):
            self._end_stream()
            self.out.write(f"{indent}  ! to {event.source}: {short(event.content, 300)}\n")
        elif isinstance(event, SpeakerSelected) and self.show_speakers:
            self.out.write(f"{indent}  · turn {event.turn}: {event.speaker} ({event.reason})\n")
        elif isinstance(event, Stop):
            self._end_stream()
            where = f" ({event.scope})" if event.scope else ""
            self.out.write("\n" + self.paint(f"── stopped{where}: {event.reason}", code=90) + "\n")

    def _end_stream(self) -> None:
        if self.streaming is not None:
            self.out.write("\n")
            self.streaming = None


def render_text(events: Iterable[Event], *, color: bool = False) -> str:
    """A whole transcript as plain (or ANSI-coloured) text."""
    buffer = io.StringIO()
    printer = TerminalPrinter(buffer, color=color)
    for event in events:
        printer.feed(event)
    return buffer.getvalue().lstrip("\n")


def render_markdown(events: Iterable[Event]) -> str:
    """A transcript as markdown: one quoted block per message, tools as list items."""
    parts: list[str] = []
    for event in events:
        if event.__class__ is TokenDelta or event.scope:
            continue
        if isinstance(event, TextMessage):
            body = "\n".join(f"> {line}" for line in event.content.splitlines() or [""])
            parts.append(f"**{event.source}**\n\n{body}")
        elif isinstance(event, ToolCalls):
            parts.append(
                "\n".join(f"- `{event.source}` calls `{c.name}({c.arguments})`" for c in event.calls)
            )
        elif isinstance(event, ToolResult):
            state = "error" if event.is_error else "result"
            parts.append(f"- `{event.name}` {state}: {short(event.content, 300)}")
        elif isinstance(event, Handoff):
            parts.append(f"- {event.source} hands off to **{event.target}**")
        elif isinstance(event, Stop):
            parts.append(f"*Stopped: {event.reason}*")
    return "\n\n".join(parts)


def html_bubble(name: str, content: str, *, streaming: bool = False, body_html: str | None = None) -> str:
    """One chat bubble: avatar initial, name and markdown content, in the name's colour.

    ``streaming`` marks a reply still arriving (a cursor at the end); the live chat uses it,
    passing ``body_html`` when it has rendered the content itself (block by block).
    """
    color = html_color(name)
    body = (to_html(content) if body_html is None else body_html) + (
        '<span class="agentnb-cursor">▍</span>' if streaming else ""
    )
    return (
        f'<div class="agentnb-msg {NO_MATH}" data-agent="{html.escape(name)}" style="display:flex;gap:8px;'
        'margin:6px 0;align-items:flex-start">'
        f'<div class="agentnb-avatar" style="flex:none;width:28px;height:28px;border-radius:50%;'
        f"background:{color};color:#fff;display:flex;align-items:center;justify-content:center;"
        f'font-weight:bold">{html.escape(name[:1].upper())}</div>'
        f'<div style="border-left:3px solid {color};padding:4px 10px;background:rgba(127,127,127,0.08);'
        'border-radius:6px;max-width:90%;min-width:0;overflow-wrap:anywhere">'
        f'<div class="agentnb-name" style="font-weight:bold;color:{color}">{html.escape(name)}</div>'
        f'<div class="agentnb-body">{body}</div></div></div>'
    )


def html_message(event: TextMessage) -> str:
    return html_bubble(event.source, event.content)


def tool_status(result: ToolResult | None) -> str:
    return "running" if result is None else ("error" if result.is_error else "ok")


def html_tool(call: ToolCall, result: ToolResult | None, *, duration: bool = False) -> str:
    """A collapsible tool-call panel: name and status, then arguments and result.

    ``duration`` adds the call's wall time; only the live chat shows it, because a saved
    transcript must be deterministic.
    """
    status = tool_status(result)
    mark = {"running": "⏳", "ok": "✓", "error": "✗"}[status]
    timing = f" · {result.duration:.2f} s" if duration and result is not None else ""
    try:
        pretty_args = json.dumps(json.loads(call.arguments), ensure_ascii=False)
    except ValueError:
        pretty_args = call.arguments
    result_html = (
        ""
        if result is None
        else f'<div class="agentnb-tool-result"><b>{"error" if result.is_error else "result"}:</b> '
        f"<code>{html.escape(short(result.content, 2000))}</code></div>"
    )
    return (
        f'<details class="agentnb-tool {NO_MATH}" data-status="{status}" style="margin:2px 0 2px 36px;'
        'font-size:90%"><summary>'
        f'🔧 {html.escape(call.name)} <span class="agentnb-tool-status">{mark} {status}{timing}</span>'
        f'</summary><div class="agentnb-tool-args"><b>arguments:</b> <code>{html.escape(pretty_args)}'
        f"</code></div>{result_html}</details>"
    )


def _note(kind: str, text: str) -> str:
    style = "margin:2px 0 2px 36px;color:#64748b;font-size:90%"
    return f'<div class="agentnb-{kind} {NO_MATH}" style="{style}">{text}</div>'


def html_note(event: Event) -> str:
    """Speaker choices, handoffs, approvals, feedback errors and the stop line; '' for others."""
    e = html.escape
    if isinstance(event, SpeakerSelected):
        reason = f" — {e(event.reason)}" if event.reason else ""
        return _note("speaker", f"turn {event.turn}: <b>{e(event.speaker)}</b>{reason}")
    if isinstance(event, Handoff):
        return _note("handoff", f"⇢ {e(event.source)} hands off to <b>{e(event.target)}</b>")
    if isinstance(event, Approval):
        verdict = "approved" if event.approved else "rejected"
        comment = f": {e(event.comment)}" if event.comment else ""
        return _note("approval", f"{e(event.source)} {verdict} {e(event.tool)}{comment}")
    if isinstance(event, ErrorEvent):
        return _note("error", f"⚠ to {e(event.source)}: {e(short(event.content, 500))}")
    if isinstance(event, Stop):
        return (
            f'<div class="agentnb-stop {NO_MATH}" style="color:#64748b;font-style:italic;margin-top:4px">'
            f"Stopped: {e(event.reason)}</div>"
        )
    return ""


def render_html(events: Iterable[Event]) -> str:
    """A self-contained, script-free HTML transcript (renders on GitHub and in nbconvert)."""
    events = [e for e in events if e.__class__ is not TokenDelta and not e.scope]
    results = {e.call_id: e for e in events if isinstance(e, ToolResult)}
    parts = [CHAT_OPEN]
    for event in events:
        if isinstance(event, TextMessage):
            parts.append(html_message(event))
        elif isinstance(event, ToolCalls):
            if event.content.strip():
                parts.append(html_bubble(event.source, event.content))
            parts.extend(html_tool(c, results.get(c.id)) for c in event.calls)
        else:
            parts.append(html_note(event))
    parts.append("</div>")
    return "".join(parts)


def result_mimebundle(result: TeamResult) -> dict[str, Any]:
    """The display bundle of a `TeamResult`: HTML, markdown and plain text."""
    usage = result.usage
    summary = f"{result.turns} turns · {usage.total_tokens} tokens · stopped: {result.stop_reason}"
    return {
        "text/plain": render_text(result.messages) + f"\n[{summary}]",
        "text/markdown": render_markdown(result.messages) + f"\n\n*{summary}*",
        "text/html": render_html(result.messages)
        + f'<div class="agentnb-summary" style="color:#64748b;font-size:85%">{html.escape(summary)}</div>',
    }
