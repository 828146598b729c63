"""Renderings of a run's events: terminal text (live or static), markdown and static HTML.

One renderer per event kind and format, all deterministic (no ids, no timestamps), so a
saved notebook or a test can compare them; the notebook widget reuses the HTML pieces.
Every public renderer is total (`never_raises`): data a model or a tool produced can make
a piece fall back to escaped, truncated text, never make rendering fail.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any

from pydantic import BaseModel

from agentnb.markup import math_safe, md_code, md_text, never_raises, to_html
from agentnb.messages import (
    TIMING_FIELDS,
    Approval,
    ContextSummary,
    ErrorEvent,
    Event,
    Handoff,
    PlanCreated,
    Replanned,
    SpeakerSelected,
    StepFailed,
    StepFinished,
    StepStarted,
    Stop,
    TextMessage,
    TokenDelta,
    ToolCall,
    ToolCalls,
    ToolResult,
)
from agentnb.words import plural

if TYPE_CHECKING:
    from agentnb.plan import Plan
    from agentnb.team import TeamResult

# Ten hues in team order, each readable as text on white and on dark themes (contrast >= 3
# against #fff and #1e1e1e) and as the background of a white initial.
PALETTE = [
    "#2563eb",  # blue
    "#ea580c",  # orange
    "#16a34a",  # green
    "#9333ea",  # purple
    "#dc2626",  # red
    "#0891b2",  # cyan
    "#db2777",  # pink
    "#4d7c0f",  # olive
    "#a16207",  # brown
    "#6366f1",  # indigo
]
ANSI = [26, 166, 35, 98, 160, 31, 162, 64, 130, 63]  # the nearest xterm-256 colours
USER_COLOR = "#475569"
NOTE_COLOR = "#64748b"
# JupyterLab and ipywidgets typeset $...$ in HTML output as LaTeX; chat text ("$3.9 million
# ... $4.5") is not math. MathJax skips elements with these classes.
NO_MATH = "tex2jax_ignore mathjax_ignore"
# Each piece sets its own font and uses padding, not margins, so it lays out the same inside
# the static transcript and inside a widget (which sets other fonts and does not collapse margins).
FONT = "font-family:system-ui,sans-serif;line-height:1.45;margin:0"
CHAT_OPEN = f'<div class="agentnb-chat {NO_MATH}" style="{FONT};font-size:14px">'
MESSAGE_LIMIT = 100_000  # characters of one message shown; the event keeps them all
FALLBACK_LIMIT = 2_000
TIMING = TIMING_FIELDS | {"usage"}  # fields a fallback leaves out: static output stays deterministic
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")


def short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----- colours ------------------------------------------------------------------------------


class Colors:
    """Palette slots for one chat: the team's order first, then other names as they appear.

    Participant i gets slot i (wrapping only beyond the palette), so agents of a team never
    share a colour and keep it run after run; ``user`` is always grey.
    """

    def __init__(self, participants: Sequence[str] = ()) -> None:
        self._slots: dict[str, int] = {}
        for name in participants:
            self.slot(name)

    def slot(self, name: str) -> int | None:
        """``name``'s palette index (assigned now if new), or None for the user."""
        if name == "user":
            return None
        return self._slots.setdefault(name, len(self._slots)) % len(PALETTE)

    def names(self) -> list[str]:
        """The names with a colour, in slot order (pass it as ``participants`` to get the same colours)."""
        return list(self._slots)

    def html(self, name: str) -> str:
        slot = self.slot(name)
        return USER_COLOR if slot is None else PALETTE[slot]

    def sgr(self, name: str) -> str:
        """ANSI select-graphic-rendition parameters: bold, in ``name``'s colour."""
        slot = self.slot(name)
        return "1;90" if slot is None else f"1;38;5;{ANSI[slot]}"


def html_color(name: str, participants: Sequence[str] = ()) -> str:
    """``name``'s colour in a chat of ``participants`` (team order)."""
    return Colors(participants).html(name)


def _speakers(events: Iterable[Event], colors: Colors) -> None:
    """Assign colours in order of first appearance, as the live views do while events arrive."""
    for event in events:
        if isinstance(event, TextMessage | ToolCalls | TokenDelta):
            colors.slot(event.source)


# ----- fallbacks: what a piece shows when it cannot be rendered -------------------------------


def raw(*args: Any) -> str:
    """What a renderer was given, as plain text: each event's kind and fields (no timings), truncated."""
    parts: list[str] = []
    for arg in args:
        if isinstance(arg, str):
            parts.append(arg)
        elif isinstance(arg, BaseModel):
            parts.append(_raw_model(arg))
        elif isinstance(arg, list | tuple):
            parts.extend(_raw_model(item) for item in arg[:20] if isinstance(item, BaseModel))
        if sum(map(len, parts)) > FALLBACK_LIMIT:
            break
    return short("\n".join(parts), FALLBACK_LIMIT)


def _raw_model(model: BaseModel) -> str:
    fields = []
    for name in type(model).model_fields:
        if name in TIMING:
            continue
        value = getattr(model, name, None)
        if value is None or value == "":
            continue
        try:
            text = value if isinstance(value, str) else repr(value)
        except Exception:  # e.g. RecursionError on deeply nested data
            text = f"<{type(value).__name__}>"
        fields.append(f"{name}={short(text, 500)}")
    return f"{type(model).__name__}({', '.join(fields)})"


def raw_text(*args: Any, **_: Any) -> str:
    return raw(*args) + "\n"


def raw_markdown(*args: Any, **_: Any) -> str:
    return md_code(raw(*args))


def raw_html(*args: Any, **_: Any) -> str:
    style = f"white-space:pre-wrap;{FONT};font-size:12px;color:{NOTE_COLOR};padding:2px 0"
    return f'<pre class="agentnb-raw {NO_MATH}" style="{style}">{html.escape(raw(*args))}</pre>'


# ----- text -----------------------------------------------------------------------------------


def plan_summary(plan: Plan) -> str:
    """A plan on one line: its steps in order with their assignees."""
    steps = ", ".join(f"{step.id} → {step.assignee}" for step in plan.steps)
    return f"{len(plan.steps)} step{'s' if len(plan.steps) != 1 else ''}: {steps}"


def note_text(event: Event) -> str:
    """The one-line text of a note event (plan progress, handoffs, approvals, errors); '' otherwise."""
    if isinstance(event, Handoff):
        return f"{event.source} hands off to {event.target}"
    if isinstance(event, Approval):
        verdict = "approved" if event.approved else "rejected"
        edited = "" if event.arguments is None else f" with edited arguments {short(event.arguments, 200)}"
        comment = f": {event.comment}" if event.comment else ""
        return f"{event.source} {verdict} {event.tool}{edited}{comment}"
    if isinstance(event, ErrorEvent):
        return f"to {event.source}: {short(event.content, 300)}"
    if isinstance(event, PlanCreated):
        return short(f"plan by {event.source}, {plan_summary(event.plan)}", 300)
    if isinstance(event, Replanned):
        kept = f"; kept {', '.join(event.kept)}" if event.kept else ""
        return short(
            f"plan revised by {event.source} (revision {event.revision}): {event.reason}{kept}; "
            f"now {plan_summary(event.plan)}",
            300,
        )
    if isinstance(event, StepStarted):
        attempt = f" (attempt {event.attempt})" if event.attempt > 1 else ""
        return f"step {event.step_id} started: {event.assignee}{attempt}"
    if isinstance(event, StepFinished):
        return f"step {event.step_id} done by {event.assignee}"  # the reply itself is the bubble above
    if isinstance(event, ContextSummary):
        return f"{event.source} summarized its older context: {short(event.content, 200)}"
    if isinstance(event, StepFailed):
        retry = "; retrying" if event.retrying else ""
        where = f"{event.assignee}, attempt {event.attempt}"
        return f"step {event.step_id} failed ({where}): {short(event.error, 300)}{retry}"
    return ""


NOTE_MARKS = {
    Handoff: "⇢",
    ErrorEvent: "⚠",
    PlanCreated: "📋",
    Replanned: "📋",
    StepStarted: "▶",
    StepFinished: "✔",
    StepFailed: "✗",
    ContextSummary: "≡",
}


def note_mark(event: Event) -> str:
    if isinstance(event, Approval):
        return "✓" if event.approved else "✗"
    return NOTE_MARKS.get(type(event), "·")


def display_text(bundle: dict[str, str]) -> str:
    """A rich output (mime bundle) as text: its text/plain, or which kind of output it is."""
    if "text/plain" in bundle:
        return short(str(bundle["text/plain"]), 300)
    return "[" + ", ".join(sorted(bundle)) + "]"


class TerminalPrinter:
    """Prints events as a readable transcript; streams tokens live when they arrive.

    ``participants`` (the team's order) fixes the colours, as in the notebook chat.
    """

    def __init__(
        self,
        out: IO[str],
        *,
        color: bool = False,
        show_speakers: bool = False,
        participants: Sequence[str] = (),
    ) -> None:
        self.out = out
        self.color = color
        self.show_speakers = show_speakers
        self.colors = Colors(participants)
        self.streaming: str | None = None  # whose tokens are being printed

    def paint(self, text: str, name: str | None = None, code: int | None = None) -> str:
        """``text`` in ``name``'s colour (or the SGR ``code``, e.g. 90 for grey) when colour is on."""
        if not self.color:
            return text
        sgr = f"1;{code}" if code is not None else "1;90" if name is None else self.colors.sgr(name)
        return f"\033[{sgr}m{text}\033[0m"

    def feed(self, event: Event) -> None:
        self.out.write(self.render(event))

    @never_raises(lambda self, event: raw_text(event))
    def render(self, event: Event) -> str:
        """The text for one more event, given what was printed before (a reply may be streaming)."""
        indent = "  " * (event.scope.count("/") + 1) if event.scope else ""
        if isinstance(event, TokenDelta):
            header = "" if self.streaming == event.source else self._header(event.source, event.scope)
            self.streaming = event.source
            return header + event.text
        if isinstance(event, TextMessage):
            if self.streaming == event.source:
                self.streaming = None
                return "\n"
            lines = event.content.splitlines() or [""]
            return self._end_stream() + self._header(event.source, event.scope) + "".join(
                indent + line + "\n" for line in lines
            )
        if isinstance(event, ToolCalls):
            return self._end_stream() + "".join(
                f"{indent}  {self.paint('→', event.source)} {event.source} calls "
                f"{call.name}({short(call.arguments, 200)})\n"
                for call in event.calls
            )
        if isinstance(event, ToolResult):
            mark = "✗" if event.is_error else "←"
            shown = "".join(f"{indent}    {display_text(d)}\n" for d in event.display or ())
            return f"{indent}  {mark} {event.name}: {short(event.content, 300)}\n{shown}"
        if isinstance(event, SpeakerSelected):
            if not self.show_speakers:
                return ""
            return f"{indent}  · turn {event.turn}: {event.speaker} ({event.reason})\n"
        if isinstance(event, Stop):
            where = f" ({event.scope})" if event.scope else ""
            line = self.paint(f"── stopped{where}: {event.reason}", code=90)
            return f"{self._end_stream()}\n{line}\n"
        note = note_text(event)
        if not note:
            return ""
        return self._end_stream() + f"{indent}  {note_mark(event)} {note}\n"

    def _header(self, name: str, scope: str = "") -> str:
        where = f" ({scope})" if scope else ""
        return "\n" + self.paint(f"{name}{where}:", name) + "\n"

    def _end_stream(self) -> str:
        if self.streaming is None:
            return ""
        self.streaming = None
        return "\n"


@never_raises(lambda events, **_: raw_text(events))
def render_text(events: Iterable[Event], *, color: bool = False, participants: Sequence[str] = ()) -> str:
    """A whole transcript as plain (or ANSI-coloured) text."""
    buffer = io.StringIO()
    printer = TerminalPrinter(buffer, color=color, participants=participants)
    for event in events:
        printer.feed(event)
    return buffer.getvalue().lstrip("\n")


# ----- markdown -------------------------------------------------------------------------------


@never_raises(raw_markdown)
def markdown_event(event: Event) -> str:
    """One top-level event as markdown ('' for those the markdown transcript leaves out).

    Agents' messages stay markdown (only ``$`` is made literal); data — tool arguments and
    results, errors — goes in code spans, so no viewer reads it as markup or math.
    """
    if isinstance(event, TextMessage):
        return _md_message(event.source, event.content)
    if isinstance(event, ToolCalls):
        calls = "\n".join(
            f"- {md_code(event.source)} calls {md_code(f'{c.name}({short(c.arguments, 300)})')}"
            for c in event.calls
        )
        return (_md_message(event.source, event.content) + "\n\n" if event.content.strip() else "") + calls
    if isinstance(event, ToolResult):
        state = "error" if event.is_error else "result"
        shown = "".join(f"\n  - output: {md_code(display_text(d))}" for d in event.display or ())
        return f"- {md_code(event.name)} {state}: {md_code(short(event.content, 300))}{shown}"
    if isinstance(event, Handoff):
        return f"- {md_text(event.source)} hands off to **{md_text(event.target)}**"
    if isinstance(event, Approval):
        verdict = "approved" if event.approved else "rejected"
        edited = f" with edited arguments {md_code(short(event.arguments, 300))}" if event.arguments else ""
        comment = f": {md_text(event.comment)}" if event.comment else ""
        return f"- {md_text(event.source)} {verdict} {md_code(event.tool)}{edited}{comment}"
    if isinstance(event, ErrorEvent):
        return f"- ⚠ to {md_text(event.source)}: {md_code(short(event.content, 300))}"
    if isinstance(event, Stop):
        return f"*Stopped: {md_text(event.reason)}*"
    note = note_text(event)
    return f"- {note_mark(event)} {md_text(note)}" if note else ""


def _md_message(name: str, content: str) -> str:
    lines = math_safe(short(content, MESSAGE_LIMIT)).splitlines() or [""]
    return f"**{md_text(name)}**\n\n" + "\n".join(f"> {line}" for line in lines)


@never_raises(lambda events: raw_markdown(events))
def render_markdown(events: Iterable[Event]) -> str:
    """A transcript as markdown: one quoted block per message, tools and notes as list items."""
    parts = (markdown_event(e) for e in events if e.__class__ is not TokenDelta and not e.scope)
    return "\n\n".join(part for part in parts if part)


# ----- HTML -----------------------------------------------------------------------------------


@never_raises(lambda name, content, color, **_: raw_html(content))
def html_bubble(
    name: str, content: str, color: str, *, streaming: bool = False, body_html: str | None = None
) -> str:
    """One chat bubble: avatar initial, name and markdown content, in ``color``.

    ``streaming`` marks a reply still arriving (a cursor at the end); the live chat uses it,
    passing ``body_html`` when it has rendered the content itself (block by block). A
    finished message is the same markup in the live chat and in the saved transcript.
    """
    body = (to_html(short(content, MESSAGE_LIMIT)) if body_html is None else body_html) + (
        '<span class="agentnb-cursor">▍</span>' if streaming else ""
    )
    return (
        f'<div class="agentnb-msg {NO_MATH}" data-agent="{html.escape(name)}" style="{FONT};font-size:14px;'
        'display:flex;gap:8px;padding:3px 0;align-items:flex-start">'
        f'<div class="agentnb-avatar" style="flex:none;width:28px;height:28px;border-radius:50%;'
        f"background:{color};color:#fff;display:flex;align-items:center;justify-content:center;"
        f'font-weight:bold">{html.escape(name[:1].upper())}</div>'
        f'<div style="border-left:3px solid {color};padding:4px 10px;background:rgba(127,127,127,0.08);'
        'border-radius:6px;max-width:90%;min-width:0;overflow-wrap:anywhere">'
        f'<div class="agentnb-name" style="font-weight:bold;color:{color}">{html.escape(name)}</div>'
        f'<div class="agentnb-body">{body}</div></div></div>'
    )


def tool_status(result: ToolResult | None) -> str:
    return "running" if result is None else ("error" if result.is_error else "ok")


def _pretty_arguments(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), ensure_ascii=False)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to re-format
        return arguments


@never_raises(lambda call, result=None, **_: raw_html(call, result))
def html_tool(call: ToolCall, result: ToolResult | None, *, duration: bool = False) -> str:
    """A collapsible tool-call panel: name and status, then arguments and result; rich outputs below.

    ``duration`` adds the call's wall time; only the live chat shows it, because a saved
    transcript must be deterministic.
    """
    status = tool_status(result)
    mark = {"running": "⏳", "ok": "✓", "error": "✗"}[status]
    timing = f" · {result.duration:.2f} s" if duration and result is not None else ""
    result_html = (
        ""
        if result is None
        else f'<div class="agentnb-tool-result"><b>{"error" if result.is_error else "result"}:</b> '
        f"<code>{html.escape(short(result.content, 2000))}</code></div>"
    )
    outputs = "".join(html_display(d) for d in (result.display or ())) if result is not None else ""
    return (
        f'<div class="agentnb-tool-item {NO_MATH}" style="{FONT};font-size:13px;padding:2px 0 2px 36px">'
        f'<details class="agentnb-tool {NO_MATH}" data-status="{status}"><summary>'
        f'🔧 {html.escape(call.name)} <span class="agentnb-tool-status">{mark} {status}{timing}</span>'
        f'</summary><div class="agentnb-tool-args"><b>arguments:</b> '
        f"<code>{html.escape(short(_pretty_arguments(call.arguments), 2000))}</code></div>{result_html}"
        f"</details>{outputs}</div>"
    )


@never_raises(lambda bundle: raw_html(display_text(bundle) if isinstance(bundle, dict) else ""))
def html_display(bundle: dict[str, str]) -> str:
    """One rich output of a tool: an image (as a data URI, SVG too: never inline), else its text.

    HTML from a tool is never shown as HTML (it could carry scripts or styles).
    """
    for mime in ("image/png", "image/jpeg"):
        data = bundle.get(mime)
        if isinstance(data, str) and _BASE64.fullmatch(data):
            return _image(f"data:{mime};base64,{''.join(data.split())}")
    svg = bundle.get("image/svg+xml")
    if isinstance(svg, str):
        return _image("data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode())
    if "text/markdown" in bundle:
        return f'<div class="agentnb-output">{to_html(str(bundle["text/markdown"]))}</div>'
    text = bundle.get("text/plain")
    if text is None:
        text = "[" + ", ".join(sorted(bundle)) + " output not shown]"
    return (
        '<pre class="agentnb-output" style="white-space:pre-wrap;margin:2px 0">'
        f"{html.escape(short(str(text), 5000))}</pre>"
    )


def _image(src: str) -> str:
    return f'<img class="agentnb-output" src="{html.escape(src)}" style="max-width:100%;display:block">'


def _note(kind: str, text: str) -> str:
    style = f"{FONT};font-size:13px;padding:2px 0 2px 36px;color:{NOTE_COLOR}"
    return f'<div class="agentnb-{kind} {NO_MATH}" style="{style}">{text}</div>'


NOTE_KINDS = {
    Handoff: "handoff",
    Approval: "approval",
    ErrorEvent: "error",
    PlanCreated: "plan",
    Replanned: "plan",
    StepStarted: "step",
    StepFinished: "step",
    StepFailed: "step",
    ContextSummary: "summary",
}


@never_raises(raw_html)
def html_note(event: Event) -> str:
    """Speaker choices, handoffs, approvals, errors, plan progress and the stop line; '' for others."""
    e = html.escape
    if isinstance(event, SpeakerSelected):
        reason = f" — {e(event.reason)}" if event.reason else ""
        return _note("speaker", f"turn {event.turn}: <b>{e(event.speaker)}</b>{reason}")
    if isinstance(event, Handoff):
        return _note("handoff", f"⇢ {e(event.source)} hands off to <b>{e(event.target)}</b>")
    if isinstance(event, Approval) and event.arguments is not None:
        verdict = "approved" if event.approved else "rejected"
        comment = f": {e(event.comment)}" if event.comment else ""
        return _note(
            "approval",
            f"{note_mark(event)} {e(event.source)} {verdict} {e(event.tool)} with edited arguments "
            f"<code>{e(short(event.arguments, 2000))}</code>{comment}",
        )
    if isinstance(event, Stop):
        style = f"{FONT};font-size:13px;color:{NOTE_COLOR};font-style:italic;padding-top:4px"
        return f'<div class="agentnb-stop {NO_MATH}" style="{style}">Stopped: {e(event.reason)}</div>'
    note = note_text(event)
    if not note:
        return ""
    return _note(NOTE_KINDS.get(type(event), "note"), f"{note_mark(event)} {e(note)}")


@never_raises(lambda events, **_: raw_html(events))
def render_html(events: Iterable[Event], *, participants: Sequence[str] = ()) -> str:
    """A self-contained, script-free HTML transcript (renders on GitHub and in nbconvert)."""
    events = [e for e in events if e.__class__ is not TokenDelta and not e.scope]
    results = {e.call_id: e for e in events if isinstance(e, ToolResult)}
    colors = Colors(participants)
    _speakers(events, colors)
    parts = [CHAT_OPEN]
    for event in events:
        if isinstance(event, TextMessage):
            parts.append(html_bubble(event.source, event.content, colors.html(event.source)))
        elif isinstance(event, ToolCalls):
            if event.content.strip():
                parts.append(html_bubble(event.source, event.content, colors.html(event.source)))
            parts.extend(html_tool(c, results.get(c.id)) for c in event.calls)
        elif not isinstance(event, ToolResult):
            parts.append(html_note(event))
    parts.append("</div>")
    return "".join(parts)


def _summary(result: TeamResult) -> str:
    """Turns and tokens (the transcript's last line already says why the run stopped)."""
    return f"{plural(result.turns, 'turn')} · {plural(result.usage.total_tokens, 'token')}"


@never_raises(lambda result: {"text/plain": raw(*getattr(result, "messages", []))})
def result_mimebundle(result: TeamResult) -> dict[str, Any]:
    """The display bundle of a `TeamResult`: HTML, markdown and plain text."""
    participants = getattr(result, "participants", None) or ()
    summary = _summary(result)
    style = f"color:{NOTE_COLOR};font-size:85%"
    return {
        "text/plain": render_text(result.messages, participants=participants) + f"\n[{summary}]",
        "text/markdown": render_markdown(result.messages) + f"\n\n*{md_text(summary)}*",
        "text/html": render_html(result.messages, participants=participants)
        + f'<div class="agentnb-summary" style="{style}">{html.escape(summary)}</div>',
    }
