"""Renderings of a run's events: terminal text (live or static), markdown and static HTML.

One renderer per event kind and format, all deterministic (no ids, no timestamps), so a
saved notebook or a test can compare them; the notebook widget reuses the HTML pieces.
Every public renderer is total (`never_raises`): data a model or a tool produced can make
a piece fall back to escaped, truncated text, never make rendering fail.

The pieces live by concept: `notes` (text every format shares), `text`, `markdown`, `html`
and `result` (a `TeamResult`'s display). What every view shares sits one level up, so the
plan board (drawn inside chats) needs nothing from this package: `agentnb.views.colors` (an
agent's colour), `agentnb.views.style` (normal or presentation size) and
`agentnb.views.fallback`; they are re-exported here.
"""

from __future__ import annotations

from agentnb.views.chat.html import (
    NOTE_KINDS,
    checkpoint_html,
    html_bubble,
    html_display,
    html_note,
    html_tool,
    render_html,
    tool_status,
)
from agentnb.views.chat.markdown import MESSAGE_LIMIT, markdown_event, render_markdown
from agentnb.views.chat.notes import (
    NOTE_MARKS,
    checkpoint_hint,
    code_argument,
    display_text,
    note_mark,
    note_text,
    plan_summary,
    progress_text,
)
from agentnb.views.chat.result import CHECKPOINT_LEGEND, result_mimebundle, show_in
from agentnb.views.chat.text import TerminalPrinter, render_text
from agentnb.views.colors import (
    ANSI,
    NOTE_COLOR,
    PALETTE,
    USER_COLOR,
    Colors,
    forget_colors,
    html_color,
    speakers,
)
from agentnb.views.fallback import FALLBACK_LIMIT, TIMING, raw, raw_html, raw_markdown, raw_text, short
from agentnb.views.style import (
    CHAT_OPEN,
    FONT,
    NO_MATH,
    NORMAL,
    PRESENTATION,
    Style,
    chat_open,
    current,
    presentation,
    styled,
)

__all__ = [
    "ANSI",
    "CHAT_OPEN",
    "CHECKPOINT_LEGEND",
    "FALLBACK_LIMIT",
    "FONT",
    "MESSAGE_LIMIT",
    "NORMAL",
    "NOTE_COLOR",
    "NOTE_KINDS",
    "NOTE_MARKS",
    "NO_MATH",
    "PALETTE",
    "PRESENTATION",
    "TIMING",
    "USER_COLOR",
    "Colors",
    "Style",
    "TerminalPrinter",
    "chat_open",
    "checkpoint_hint",
    "checkpoint_html",
    "code_argument",
    "current",
    "display_text",
    "forget_colors",
    "html_bubble",
    "html_color",
    "html_display",
    "html_note",
    "html_tool",
    "markdown_event",
    "note_mark",
    "note_text",
    "plan_summary",
    "presentation",
    "progress_text",
    "raw",
    "raw_html",
    "raw_markdown",
    "raw_text",
    "render_html",
    "render_markdown",
    "render_text",
    "result_mimebundle",
    "short",
    "show_in",
    "speakers",
    "styled",
    "tool_status",
]
