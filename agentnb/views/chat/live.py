"""The live chat's HTML pieces: a reply while it streams, the status line, the X-ray box, the
question prompt and note, and the static transcript that stands in for the widget.

`agentnb.notebook.widget.ChatWidget` puts these into ipywidgets and redraws them; drawing
lives here, beside the saved transcript's renderers they share (a finished reply is the
same `html_bubble` either way), so the live chat and the saved notebook cannot drift apart.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from agentnb.core.events import Event
from agentnb.views.chat.html import html_bubble, render_html
from agentnb.views.chat.markdown import render_markdown
from agentnb.views.chat.text import render_text
from agentnb.views.colors import PALETTE
from agentnb.views.fallback import raw_html
from agentnb.views.markup import MARKDOWN_LIMIT, md_text, never_raises, settled_end, to_html, to_html_after
from agentnb.views.style import chat_open, current

CODE_STYLE = "<style>.agentnb-code textarea{font-family:var(--jp-code-font-family,monospace)}</style>"


@dataclass(eq=False)
class StreamingReply:
    """A reply being streamed (``pieces``) or complete (``content``), drawn as its chat bubble.

    Finished markdown blocks are rendered once, as they complete (``settled_html``); the
    block still arriving shows as escaped text, so a long reply costs the same at every redraw.
    """

    source: str
    color: str = PALETTE[0]
    pieces: list[str] = field(default_factory=list)
    content: str | None = None
    settled: int = 0  # characters whose blocks are finished and rendered into settled_html
    settled_html: str = ""
    scanned: int = 0  # the text up to here was already looked at for finished blocks
    cut_off: bool = False  # the run stopped while it streamed

    def text(self) -> str:
        return self.content if self.content is not None else "".join(self.pieces)

    @never_raises(lambda self: raw_html(self.text()))
    def html(self) -> str:
        text = "".join(self.pieces)
        if self.content is not None:  # the same markup as in the saved transcript
            body = self._finished_body(text)
            return html_bubble(self.source, self.content, self.color, body_html=body, cut_off=self.cut_off)
        end = settled_end(text, self.settled, since=self.scanned)
        self.scanned = text.rfind("\n") + 1
        if end > self.settled:  # render finished blocks once, not at every redraw
            self.settled_html += to_html(text[self.settled : end])
            self.settled = end
        tail = html.escape(text[self.settled :]).replace("\n", "<br>")
        body = self.settled_html + (f"<p>{tail}</p>" if tail else "")
        return html_bubble(self.source, text, self.color, streaming=True, body_html=body)

    def _finished_body(self, streamed: str) -> str | None:
        """The final text's HTML from the blocks already rendered while it streamed, when they still hold."""
        content, done = self.content or "", self.settled
        if not done or len(content) > MARKDOWN_LIMIT or content[:done] != streamed[:done]:
            return None  # html_bubble renders the whole text
        return to_html_after(content, self.settled, self.settled_html)


@never_raises(lambda *args, **kwargs: "")
def status_html(turn: int, max_turns: int | None, tokens: int, elapsed: float, model: str, phase: str) -> str:
    """``turn 2 of 9 · 1,234 tokens · 12 s · model · running``, in the current style."""
    turns = f"turn {turn} of {max_turns}" if max_turns else f"turn {turn}"
    counted = f"{tokens:,} token{'' if tokens == 1 else 's'}"
    parts = [turns, counted, f"{elapsed:.0f} s"]  # whole seconds: fewer redraws
    if model:
        parts.append(html.escape(model))
    parts.append(html.escape(phase))
    style = current()
    return f'<span style="color:{style.note_color};font-size:{style.small}px">{" · ".join(parts)}</span>'


def xray_box(inside: str | None) -> str:
    """The X-ray panel around ``inside`` (HTML of a context preview); None: no speaker chosen yet."""
    style = current()
    if inside is None:
        inside = "<i>The X-ray shows the next speaker's context once one is chosen.</i>"
    box = f"font-size:{style.small}px;margin:4px 0 4px {style.indent}px;padding:4px 8px"
    edge = f"border:1px dashed {style.note_color};border-radius:6px"
    return f'<div class="agentnb-xray-box" style="{box};{edge}">{inside}</div>'


def ask_prompt_html(prompt: str, *, code: bool) -> str:
    """A question or approval request over the answer box (``code``: a code box comes with it)."""
    return (CODE_STYLE if code else "") + f'<b style="white-space:pre-wrap">{html.escape(prompt)}</b>'


def ask_note_html(note: str) -> str:
    """The tool's note under an approval's code box (where the code runs), just above Approve."""
    return f'<div style="white-space:pre-wrap">{html.escape(note)}</div>'


def chat_header(title: str) -> str:
    style = f"color:{current().note_color};font-size:85%"
    return f'<div class="agentnb-header" style="{style}">{html.escape(title)}</div>'


def transcript_bundle(
    title: str, events: Sequence[Event], participants: Sequence[str], start: int | None = None
) -> dict[str, str]:
    """A chat's transcript as deterministic HTML, markdown and text under ``title`` (no ids, no
    times); ``start`` is the transcript position of the first event: messages show checkpoints."""
    body = render_html(events, participants=participants, start=start) if events else chat_open() + "</div>"
    text = render_text(events, participants=participants, start=start)
    markdown = render_markdown(events, start=start)
    return {
        "text/plain": title + (f"\n{text}" if text else ""),
        "text/markdown": f"*{md_text(title)}*" + (f"\n\n{markdown}" if markdown else ""),
        "text/html": chat_header(title) + body,
    }
