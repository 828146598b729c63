"""The display of a `TeamResult`: its transcript (with checkpoint numbers) and a summary line."""

from __future__ import annotations

import html
import weakref
from typing import TYPE_CHECKING, Any

from agentnb.core.words import plural
from agentnb.views.chat.html import render_html
from agentnb.views.chat.markdown import render_markdown
from agentnb.views.chat.text import render_text
from agentnb.views.fallback import raw_text
from agentnb.views.markup import md_text, never_raises
from agentnb.views.style import Style, current, styled

if TYPE_CHECKING:
    from agentnb.core.result import TeamResult

_styles: dict[int, tuple[weakref.ref[Any], Style]] = {}


def show_in(result: Any, style: Style) -> None:
    """Display ``result`` in ``style`` whatever the default (a cell run with ``--big``)."""
    for key in [key for key, (ref, _) in _styles.items() if ref() is None]:
        del _styles[key]
    _styles[id(result)] = (weakref.ref(result), style)


def _style_of(result: Any) -> Style | None:
    entry = _styles.get(id(result))
    return entry[1] if entry is not None and entry[0]() is result else None


def _summary(result: TeamResult) -> str:
    """Turns and tokens (the transcript's last line already says why the run stopped)."""
    return f"{plural(result.turns, 'turn')} · {plural(result.usage.total_tokens, 'token')}"


CHECKPOINT_LEGEND = "#k: the checkpoint before a message (team.rewind(k) or team.fork(k) redoes it)"


@never_raises(lambda result: {"text/plain": raw_text(*getattr(result, "messages", []))})
def result_mimebundle(result: TeamResult) -> dict[str, Any]:
    """The display bundle of a `TeamResult`: HTML, markdown and plain text.

    Every message carries its checkpoint number (``result.start`` plus its position), and a
    plan run shows its plan's progress where the plan was created.
    """
    with styled(_style_of(result)):
        participants = getattr(result, "participants", None) or ()
        start = getattr(result, "start", None)
        summary = _summary(result)
        legend = f" · {CHECKPOINT_LEGEND}" if start is not None else ""
        css = f"color:{current().note_color};font-size:85%"
        return {
            "text/plain": render_text(result.messages, participants=participants, start=start)
            + f"\n[{summary}{legend}]",
            "text/markdown": render_markdown(result.messages, start=start)
            + f"\n\n*{md_text(summary + legend)}*",
            "text/html": render_html(result.messages, participants=participants, start=start)
            + f'<div class="agentnb-summary" style="{css}">{html.escape(summary + legend)}</div>',
        }
