"""A team's checkpoints as a list of its messages, and what an agent would see at one of them.

Checkpoint ``k`` is the team just before its event ``k``: ``team.rewind(k)`` or
``team.fork(k)`` and a new run redo that message. `CheckpointList` shows each top-level
message (and tool request) with its number, deterministically (no clock readings), as
HTML, markdown and text; `context_at` is the context X-ray at a checkpoint.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from agentnb.core.events import Event, TextMessage, ToolCalls
from agentnb.core.untrusted import terminal_text
from agentnb.views.chat.html import html_bubble, html_tool
from agentnb.views.colors import Colors
from agentnb.views.fallback import raw_html, raw_markdown, raw_text, short
from agentnb.views.markup import md_text, never_raises
from agentnb.views.style import FONT, NO_MATH, current

if TYPE_CHECKING:
    from agentnb.core.preview import ContextPreview
    from agentnb.core.team import Team

ROW_LIMIT = 500
ERROR_COLOR = "#dc2626"
CODE_SPAN = re.compile(r"`([^`]+)`")


def is_message(event: Event) -> bool:
    """A top-level message or tool request: the events worth going back to."""
    return not event.scope and isinstance(event, TextMessage | ToolCalls)


def excerpt(event: Event, limit: int = 100) -> str:
    """One line saying what the event said or asked for."""
    if isinstance(event, ToolCalls):
        calls = ", ".join(f"{c.name}({c.arguments})" for c in event.calls)
        text = (event.content + " " if event.content.strip() else "") + f"calls {calls}"
    else:
        text = getattr(event, "content", "")
    return short(" ".join(text.split()), limit)


def team_label(name: str, *, article: str = "") -> str:
    """How a team is named in a heading: "team newsroom", and for a team with the default name
    "team" (or "the team", with ``article="the"``), never "team team"."""
    if name != "team":
        return f"team {name}"
    return f"{article} team" if article else "team"


class CheckpointList:
    """The messages of a transcript with the checkpoint just before each (``#k``).

    ``start`` is the transcript position of ``events[0]`` (a `TeamResult`'s ``start``).
    """

    def __init__(
        self,
        events: Sequence[Event],
        *,
        start: int = 0,
        participants: Sequence[str] = (),
        title: str = "checkpoints",
    ) -> None:
        self.rows = [(start + i, e) for i, e in enumerate(events) if is_message(e)]
        self.end = start + len(events)
        self.participants = list(participants)
        self.title = title

    @classmethod
    def of(cls, team: Team) -> CheckpointList:
        """The whole transcript of ``team``."""
        title = f"checkpoints of {team_label(team.name, article='the')}"
        return cls(team.transcript[:], participants=team.names, title=title)

    def headline(self) -> str:
        return (
            f"{self.title}: 0 (the start) to {self.end} (now) · #k is the checkpoint just before a "
            "message: team.rewind(k) or team.fork(k), then run, redoes it"
        )

    @never_raises(lambda self: raw_html(self.headline()))
    def html(self) -> str:
        style = current()
        colors = Colors(self.participants)
        e = html.escape
        note = f"color:{style.note_color}"
        rows = "".join(
            f'<tr class="agentnb-checkpoint-row" data-checkpoint="{k}">'
            f'<td style="{note};text-align:right;padding:1px 8px 1px 0">#{k}</td>'
            f'<td style="color:{colors.html(event.source)};font-weight:bold;padding:1px 8px 1px 0">'
            f"{e(event.source)}</td><td>{e(excerpt(event))}</td></tr>"
            for k, event in self.rows[:ROW_LIMIT]
        )
        hidden = len(self.rows) - ROW_LIMIT
        more = f'<div style="{note}">… {hidden} more</div>' if hidden > 0 else ""
        return (
            f'<div class="agentnb-checkpoints {NO_MATH}" style="{FONT};font-size:{style.small}px">'
            f'<div style="{note}">{e(self.headline())}</div>'
            f'<table style="border-collapse:collapse">{rows}</table>{more}</div>'
        )

    @never_raises(lambda self: raw_markdown(self.headline()))
    def markdown(self) -> str:
        lines = [f"*{md_text(self.headline())}*", "", "| # | who | message |", "|---:|---|---|"]
        for k, event in self.rows[:ROW_LIMIT]:
            lines.append(f"| {k} | {md_text(event.source)} | {md_text(excerpt(event))} |")
        return "\n".join(lines)

    @never_raises(lambda self: raw_text(self.headline()))
    def text(self) -> str:
        width = len(str(self.end)) + 1
        lines = [self.headline()]
        for k, event in self.rows[:ROW_LIMIT]:
            lines.append(f"  {'#' + str(k):>{width}}  {event.source}: {excerpt(event)}")
        return terminal_text("\n".join(lines))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.text(), "text/markdown": self.markdown(), "text/html": self.html()}

    def __repr__(self) -> str:
        return self.text()


def context_at(team: Team, k: int, name: str) -> ContextPreview:
    """What ``name``'s next model call would receive at checkpoint ``k``: a context X-ray.

    Read from the team's history as it was at ``k`` (no team is built; the team is left as it is).
    """
    return team.context_preview(name, at=k)


def browser_heading(team_name: str, messages: int) -> str:
    """The checkpoint browser's heading: whose checkpoints, how many, and what to do with them."""
    style = current()
    heading = f"Checkpoints of {team_label(team_name, article='the')}"
    return (
        f'<div style="font-size:{style.small}px"><b>{html.escape(heading)}</b>'
        f'<span style="color:{style.note_color}"> · {messages} messages · #k is the '
        "checkpoint just before a message: pick one, then rewind or fork there to redo it, "
        "or X-ray what an agent would receive</span></div>"
    )


def checkpoint_message(event: Event, participants: Sequence[str], k: int) -> str:
    """The message at checkpoint ``k`` as in the chat (its bubble, or its tool calls); else nothing."""
    color = Colors(participants).html(event.source)
    if isinstance(event, ToolCalls):
        said = html_bubble(event.source, event.content, color, checkpoint=k) if event.content.strip() else ""
        return said + "".join(html_tool(c, None, checkpoint=k) for c in event.calls)
    if isinstance(event, TextMessage):
        return html_bubble(event.source, event.content, color, checkpoint=k)
    return ""


def browser_note(text: str, *, error: bool = False) -> str:
    """A line under the checkpoint browser's buttons: ``text`` as text, its `code` spans (in
    backticks) as code; an error in red, shown as it is."""
    body = html.escape(text, quote=False)
    if not error:
        body = CODE_SPAN.sub(r"<code>\1</code>", body)
    color = f"color:{ERROR_COLOR}" if error else ""
    return f'<div style="font-size:{current().small}px;{color}">{body}</div>'
