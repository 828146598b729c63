"""Events as markdown: messages stay markdown, data goes in code spans, plans as tables."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from agentnb.core.events import (
    Approval,
    ErrorEvent,
    Event,
    Handoff,
    PlanCreated,
    Stop,
    TextMessage,
    TokenDelta,
    ToolCall,
    ToolCalls,
    ToolResult,
)
from agentnb.views.chat.notes import CUT_OFF, code_argument, display_text, note_mark, note_text
from agentnb.views.fallback import raw_markdown, short
from agentnb.views.markup import math_safe, md_code, md_text, never_raises
from agentnb.views.plan import PlanBoard, plan_boards

MESSAGE_LIMIT = 100_000  # characters of one message shown; the event keeps them all


@never_raises(raw_markdown)
def markdown_event(event: Event, checkpoint: int | None = None, board: PlanBoard | None = None) -> str:
    """One top-level event as markdown ('' for those the markdown transcript leaves out).

    Agents' messages stay markdown (only ``$`` is made literal); data — tool arguments and
    results, errors — goes in code spans, so no viewer reads it as markup or math.
    ``checkpoint`` numbers a message (``#k``); ``board`` replaces a `PlanCreated` note.
    """
    mark = f" · #{checkpoint}" if checkpoint is not None else ""
    if isinstance(event, TextMessage):
        cut = f"\n>\n> *[{CUT_OFF}]*" if event.cut_off else ""
        return _md_message(event.source, event.content, mark) + cut
    if isinstance(event, ToolCalls):
        calls = "\n".join(_md_call(event.source, c, mark) for c in event.calls)
        said = _md_message(event.source, event.content, mark) + "\n\n" if event.content.strip() else ""
        return said + calls
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
    if isinstance(event, PlanCreated) and board is not None:
        return board.markdown()
    note = note_text(event)
    return f"- {note_mark(event)} {md_text(note)}" if note else ""


def _md_message(name: str, content: str, mark: str = "") -> str:
    lines = math_safe(short(content, MESSAGE_LIMIT)).splitlines() or [""]
    return f"**{md_text(name)}**{mark}\n\n" + "\n".join(f"> {line}" for line in lines)


def _md_call(source: str, call: ToolCall, mark: str) -> str:
    code = code_argument(call)
    if code is None:
        return f"- {md_code(source)} calls {md_code(f'{call.name}({short(call.arguments, 300)})')}{mark}"
    text, others = code
    rest = short(json.dumps(others, ensure_ascii=False), 300) if others else ""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", text)), default=0))
    body = "\n".join(f"  {line}" for line in short(text, 5000).splitlines())
    head = f"- {md_code(source)} calls {md_code(f'{call.name}({rest})')} with code:{mark}"
    return f"{head}\n\n  {fence}python\n{body}\n  {fence}"


@never_raises(lambda events, **_: raw_markdown(events))
def render_markdown(events: Iterable[Event], *, start: int | None = None) -> str:
    """A transcript as markdown: one quoted block per message, tools and notes as list items.

    ``start`` (the transcript position of the first event) numbers each message's checkpoint.
    """
    events = [e for e in events if e.__class__ is not TokenDelta]
    boards = plan_boards(events)
    parts = (
        markdown_event(
            e,
            None if start is None else start + i,
            boards.get(i),
        )
        for i, e in enumerate(events)
        if not e.scope
    )
    return "\n\n".join(part for part in parts if part)
