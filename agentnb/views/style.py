"""How large and how contrasted the chat is: the normal style, and a larger one for projecting.

Every HTML piece reads the current `Style` when it renders. ``presentation(True)`` makes the
larger style the default (a teacher projecting a notebook to the back of a room);
``styled(style)`` applies one within a block (a chat cell run with ``--big``). A rendering
depends only on the style it was made in, so saved outputs stay deterministic.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from agentnb.views.colors import NOTE_COLOR

# JupyterLab and ipywidgets typeset $...$ in HTML output as LaTeX; chat text ("$3.9 million
# ... $4.5") is not math. MathJax skips elements with these classes.
NO_MATH = "tex2jax_ignore mathjax_ignore"
# Each piece sets its own font and uses padding, not margins, so it lays out the same inside
# the static transcript and inside a widget (which sets other fonts and does not collapse margins).
FONT = "font-family:system-ui,sans-serif;line-height:1.45;margin:0"


@dataclass(frozen=True)
class Style:
    """Sizes and colours of the chat's pieces (pixels unless said otherwise)."""

    name: str
    text: int  # messages
    small: int  # notes, tool panels, plan and checkpoint tables
    avatar: int  # the initial's circle
    bubble_width: str  # a bubble's max-width
    edge: int  # a bubble's coloured left border
    note_color: str  # notes, the summary, checkpoint numbers
    bubble_background: str

    @property
    def indent(self) -> int:
        """Where notes and tool panels start: under the bubbles' text, past the avatar and its gap."""
        return self.avatar + 8


NORMAL = Style("normal", 14, 13, 28, "90%", 3, NOTE_COLOR, "rgba(127,127,127,0.08)")
# Larger type, bubbles as wide as the chat, a thicker edge, and notes in the theme's own text
# colour (full contrast on light and dark themes) instead of grey.
PRESENTATION = Style("presentation", 22, 19, 40, "100%", 6, "inherit", "rgba(127,127,127,0.14)")

_default: list[Style] = [NORMAL]
_within: ContextVar[Style | None] = ContextVar("agentnb_style", default=None)


def current() -> Style:
    """The style renderings use now: the innermost `styled` block's, else the default."""
    return _within.get() or _default[0]


def presentation(on: bool = True) -> None:
    """Render every chat, plan and result from now on in the large presentation style (or not).

    For projecting a notebook: larger type, wider bubbles, higher contrast. Live chats,
    results shown later and static renderings all follow it.
    """
    _default[0] = PRESENTATION if on else NORMAL


@contextmanager
def styled(style: Style | None) -> Iterator[None]:
    """Render in ``style`` inside the block (``None``: the default style)."""
    token = _within.set(style)
    try:
        yield
    finally:
        _within.reset(token)


def chat_open() -> str:
    """The opening tag of a chat transcript, in the current style."""
    return f'<div class="agentnb-chat {NO_MATH}" style="{FONT};font-size:{current().text}px">'


CHAT_OPEN = f'<div class="agentnb-chat {NO_MATH}" style="{FONT};font-size:{NORMAL.text}px">'
