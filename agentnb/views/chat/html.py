"""Events as self-contained, script-free HTML: bubbles, tool panels, notes and plan boards.

The live chat draws with these same pieces, so a finished message looks the same live and
in the saved transcript. Sizes and contrast come from the current `Style`.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable, Sequence

from agentnb.core.events import (
    Approval,
    ApprovalRequested,
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
from agentnb.views.chat.markdown import MESSAGE_LIMIT
from agentnb.views.chat.notes import (
    CUT_OFF,
    checkpoint_hint,
    code_argument,
    display_text,
    note_mark,
    note_text,
)
from agentnb.views.colors import Colors, speakers
from agentnb.views.fallback import raw_html, short
from agentnb.views.markup import code_html, never_raises, to_html
from agentnb.views.plan import PlanBoard, plan_boards
from agentnb.views.style import FONT, NO_MATH, chat_open, current

_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")


def checkpoint_html(k: int | None) -> str:
    """A message's checkpoint number, ``#k``, with what it is for as its tooltip ('' for None)."""
    if k is None:
        return ""
    style = f"color:{current().note_color};font-weight:normal;font-size:85%"
    return f' <span class="agentnb-checkpoint" title="{checkpoint_hint(k)}" style="{style}">#{k}</span>'


@never_raises(lambda name, content, color, **_: raw_html(content))
def html_bubble(
    name: str,
    content: str,
    color: str,
    *,
    streaming: bool = False,
    body_html: str | None = None,
    checkpoint: int | None = None,
    cut_off: bool = False,
) -> str:
    """One chat bubble: avatar initial, name and markdown content, in ``color``.

    ``streaming`` marks a reply still arriving (a cursor at the end); the live chat uses it,
    passing ``body_html`` when it has rendered the content itself (block by block). A
    finished message is the same markup in the live chat and in the saved transcript.
    ``checkpoint`` adds the message's checkpoint number after the name; ``cut_off`` marks a
    reply the run stopped while it streamed (what had arrived is shown).
    """
    style = current()
    body = (to_html(short(content, MESSAGE_LIMIT)) if body_html is None else body_html) + (
        '<span class="agentnb-cursor">▍</span>' if streaming else ""
    )
    if cut_off:
        css = f"color:{style.note_color};font-style:italic"
        body += f'<div class="agentnb-cut-off" style="{css}">[{CUT_OFF}]</div>'

    size = style.avatar
    return (
        f'<div class="agentnb-msg {NO_MATH}" data-agent="{html.escape(name)}" style="{FONT};'
        f'font-size:{style.text}px;display:flex;gap:8px;padding:3px 0;align-items:flex-start">'
        f'<div class="agentnb-avatar" style="flex:none;width:{size}px;height:{size}px;border-radius:50%;'
        f"background:{color};color:#fff;display:flex;align-items:center;justify-content:center;"
        f'font-weight:bold">{html.escape(name[:1].upper())}</div>'
        f'<div style="border-left:{style.edge}px solid {color};padding:4px 10px;'
        f"background:{style.bubble_background};border-radius:6px;max-width:{style.bubble_width};"
        'min-width:0;overflow-wrap:anywhere">'
        f'<div class="agentnb-name" style="font-weight:bold;color:{color}">{html.escape(name)}'
        f"{checkpoint_html(checkpoint)}</div>"
        f'<div class="agentnb-body">{body}</div></div></div>'
    )


def tool_status(result: ToolResult | None) -> str:
    return "running" if result is None else ("error" if result.is_error else "ok")


def _pretty_arguments(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), ensure_ascii=False)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to re-format
        return arguments


def _arguments_html(call: ToolCall) -> str:
    """The call's arguments: one line of JSON, and a ``code`` argument as a highlighted block."""
    code = code_argument(call)
    if code is None:
        return (
            '<div class="agentnb-tool-args"><b>arguments:</b> '
            f"<code>{html.escape(short(_pretty_arguments(call.arguments), 2000))}</code></div>"
        )
    text, others = code
    rest = (
        f"<b>arguments:</b> <code>{html.escape(short(json.dumps(others, ensure_ascii=False), 2000))}</code> "
        if others
        else ""
    )
    return (
        f'<div class="agentnb-tool-args">{rest}<b>code:</b>'
        f'<div class="agentnb-tool-code">{code_html(short(text, 20_000), "python")}</div></div>'
    )


@never_raises(lambda call, result=None, **_: raw_html(call, result))
def html_tool(
    call: ToolCall,
    result: ToolResult | None,
    *,
    duration: bool = False,
    checkpoint: int | None = None,
    progress: str = "",
) -> str:
    """A collapsible tool-call panel: name and status, then arguments and result; rich outputs below.

    ``duration`` adds the call's wall time; only the live chat shows it, because a saved
    transcript must be deterministic. ``checkpoint`` numbers the model call that asked for it.
    ``progress`` is how far a running call has got (the live chat's `progress_text`).
    """
    style = current()
    status = tool_status(result)
    mark = {"running": "◷", "ok": "✓", "error": "✗"}[status]
    timing = f" · {result.duration:.2f} s" if duration and result is not None else ""
    if result is None and progress:
        timing = f" · {html.escape(progress)}"
    result_html = (
        ""
        if result is None
        else f'<div class="agentnb-tool-result"><b>{"error" if result.is_error else "result"}:</b> '
        f"<code>{html.escape(short(result.content, 2000))}</code></div>"
    )
    outputs = "".join(html_display(d) for d in (result.display or ())) if result is not None else ""
    return (
        f'<div class="agentnb-tool-item {NO_MATH}" style="{FONT};font-size:{style.small}px;'
        f'padding:2px 0 2px {style.indent}px">'
        f'<details class="agentnb-tool {NO_MATH}" data-status="{status}"><summary>'
        f'⚙ {html.escape(call.name)} <span class="agentnb-tool-status">{mark} {status}{timing}</span>'
        f"{checkpoint_html(checkpoint)}</summary>{_arguments_html(call)}{result_html}"
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
    style = current()
    css = f"{FONT};font-size:{style.small}px;padding:2px 0 2px {style.indent}px;color:{style.note_color}"
    return f'<div class="agentnb-{kind} {NO_MATH}" style="{css}">{text}</div>'


NOTE_KINDS = {
    Handoff: "handoff",
    ApprovalRequested: "approval",
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
        style = current()
        css = f"{FONT};font-size:{style.small}px;color:{style.note_color};font-style:italic;padding-top:4px"
        return f'<div class="agentnb-stop {NO_MATH}" style="{css}">Stopped: {e(event.reason)}</div>'
    note = note_text(event)
    if not note:
        return ""
    return _note(NOTE_KINDS.get(type(event), "note"), f"{note_mark(event)} {e(note)}")


@never_raises(lambda events, **_: raw_html(events))
def render_html(
    events: Iterable[Event], *, participants: Sequence[str] = (), start: int | None = None
) -> str:
    """A self-contained, script-free HTML transcript (renders on GitHub and in nbconvert).

    ``start`` (the transcript position of the first event) numbers each message's
    checkpoint; a plan's progress shows where the plan was created.
    """
    events = [e for e in events if e.__class__ is not TokenDelta]
    results = {e.call_id: e for e in events if isinstance(e, ToolResult) and not e.scope}
    colors = Colors(participants)
    speakers((e for e in events if not e.scope), colors)
    boards: dict[int, PlanBoard] = plan_boards(events, colors.names())
    parts = [chat_open()]
    for i, event in enumerate(events):
        if event.scope:
            continue
        k = None if start is None else start + i
        if isinstance(event, TextMessage):
            color = colors.html(event.source)
            parts.append(html_bubble(event.source, event.content, color, checkpoint=k, cut_off=event.cut_off))
        elif isinstance(event, ToolCalls):
            if event.content.strip():
                color = colors.html(event.source)
                parts.append(html_bubble(event.source, event.content, color, checkpoint=k))
            parts.extend(html_tool(c, results.get(c.id), checkpoint=k) for c in event.calls)
        elif i in boards:
            parts.append(boards[i].html(colors=colors))
        elif not isinstance(event, ToolResult):
            parts.append(html_note(event))
    parts.append("</div>")
    return "".join(parts)
