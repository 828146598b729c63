"""The live chat: a bubble per message, tool panels, a plan board, a status line, Stop, X-ray, input.

`ChatWidget` consumes a run's events (`feed`) and redraws at most ``max_rate`` times a
second (`flush`): tokens arriving in between are batched into one update of the bubble
being written. Every piece of HTML comes from `agentnb.views.chat` and `agentnb.views`, the
same functions that render the saved transcript. Its display bundle also carries that
static transcript (text/html, text/markdown, text/plain), so the chat reads well where
widgets do not run. A plan-mode run shows its plan's board where the plan was created,
with live durations; the X-ray toggle shows what the next speaker's model call receives.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
import markdown_it  # noqa: F401  # loaded with the chat (~30 ms), not in the middle of its first reply
from ipywidgets.widgets.widget_string import HTMLStyle

from agentnb.core.events import (
    Event,
    PlanCreated,
    SpeakerSelected,
    Stop,
    TextMessage,
    TokenDelta,
    ToolCall,
    ToolCalls,
    ToolResult,
)
from agentnb.core.untrusted import approval_text, approval_warning
from agentnb.notebook.bridge import Ask
from agentnb.views.chat import (
    PALETTE,
    Colors,
    Style,
    chat_open,
    code_argument,
    current,
    html_bubble,
    html_note,
    html_tool,
    raw_html,
    render_html,
    render_markdown,
    render_text,
    styled,
)
from agentnb.views.markup import MARKDOWN_LIMIT, md_text, never_raises, settled_end, to_html, to_html_after
from agentnb.views.plan import PlanBoard

BOARD_INTERVAL = 1.0  # seconds between redraws of a plan board whose steps are running (durations)


def _button(label: str, css_class: str, on_click: Callable[[Any], None], **kwargs: Any) -> widgets.Button:
    button = widgets.Button(description=label, _dom_classes=[css_class], **kwargs)
    button.on_click(on_click)
    return button


def _show(widget: widgets.DOMWidget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"


CODE_STYLE = "<style>.agentnb-code textarea{font-family:var(--jp-code-font-family,monospace)}</style>"


def _code_of(call: ToolCall | None) -> str | None:
    """The ``code`` argument of a tool call (e.g. ``run_python``), which the person may edit."""
    found = code_argument(call)
    return None if found is None else found[0]


STATUS_INTERVAL = 1.0  # seconds between status-line updates when only its counts change
_counts = re.compile(r"[\d,]+ tokens?|\d+ s\b")


@dataclass(eq=False)
class _Item:
    """One entry of the chat and how to draw it; ``view`` is created at the next flush."""

    render: Callable[[], str]
    view: widgets.HTML | None = None
    dirty: bool = True


@dataclass(eq=False)
class _Reply:
    """A reply being streamed (pieces) or complete (content)."""

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
        # The block still arriving shows as plain text (cheap to escape); it takes its
        # markdown form once finished, so a long reply costs the same at every redraw.
        tail = html.escape(text[self.settled :]).replace("\n", "<br>")
        body = self.settled_html + (f"<p>{tail}</p>" if tail else "")
        return html_bubble(self.source, text, self.color, streaming=True, body_html=body)

    def _finished_body(self, streamed: str) -> str | None:
        """The final text's HTML from the blocks already rendered while it streamed, when they still hold."""
        content, done = self.content or "", self.settled
        if not done or len(content) > MARKDOWN_LIMIT or content[:done] != streamed[:done]:
            return None  # html_bubble renders the whole text
        return to_html_after(content, self.settled, self.settled_html)


@dataclass(eq=False)
class _Tool:
    call: ToolCall
    result: ToolResult | None = None

    def html(self) -> str:
        return html_tool(self.call, self.result, duration=True)


@dataclass(eq=False)
class _Board:
    """A plan's board in the chat: redrawn when a step changes, and each second while steps run."""

    board: PlanBoard
    item: _Item
    drawn: float = float("-inf")


class ChatWidget(widgets.VBox):
    """A live view of one team run; the runner calls `feed`, `ask` and `flush` from the main thread.

    ``title`` heads the static renderings; ``max_turns`` and ``model`` fill the status line;
    ``on_stop`` is called by the Stop button (give it ``team.stop``); ``participants`` (the
    team's order) fixes each agent's colour, as in the saved transcript. ``xray`` turns a
    `SpeakerSelected` event into the HTML of what that speaker's model call will receive
    (an X-ray toggle then shows it each turn); ``beside`` is a widget shown to the chat's
    right (the live trace); ``style`` is the chat's `Style` (None: the current default).
    """

    def __init__(
        self,
        title: str,
        *,
        max_turns: int | None = None,
        model: str = "",
        on_stop: Callable[[str], None] | None = None,
        max_rate: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        participants: Sequence[str] = (),
        xray: Callable[[SpeakerSelected], str] | None = None,
        beside: widgets.DOMWidget | None = None,
        style: Style | None = None,
    ) -> None:
        self.heading = title
        self.max_turns = max_turns
        self.model_name = model
        self.on_stop = on_stop
        self.interval = 1.0 / max_rate if max_rate > 0 else 0.0
        self.clock = clock
        self.wall = wall  # epoch seconds, as events' times: a plan board's live durations
        self.colors = Colors(participants)
        self.style = style
        self.xray = xray
        self.started = clock()
        self.events: list[Event] = []  # every recorded event, nested teams' too (checkpoint numbers)
        self._boards: list[_Board] = []
        self._speaker: SpeakerSelected | None = None  # whose context the X-ray shows
        self._xray_stale = False
        self.flushes = 0
        self.turn = 0
        self.tokens = 0
        self.phase = "running"
        self._items: list[_Item] = []
        self._relayout = False
        self._last_flush = float("-inf")
        self._status_at = float("-inf")  # when the status line was last sent
        self._streams: dict[tuple[str, str], tuple[_Reply, _Item]] = {}  # by (source, plan step)
        self._tools: dict[str, tuple[_Tool, _Item]] = {}
        self._asks: list[Ask] = []

        # Every entry shares one layout and one style: a new entry costs a single comm_open.
        # No widget margins, and JupyterLab's rendered-HTML styles: a finished entry lays out
        # exactly as in the static transcript that replaces the chat when the run ends.
        self._item_layout = widgets.Layout(margin="0")
        self._item_style = HTMLStyle()
        with styled(style):
            self.status_line = widgets.HTML(value=self._status_html(), _dom_classes=["agentnb-status"])
        self.thread = widgets.VBox(_dom_classes=["agentnb-chat", "jp-RenderedHTMLCommon"])
        self.stop_button = _button("Stop", "agentnb-stop-button", self._stop_clicked, icon="stop")
        self.prompt = widgets.HTML()
        self.text = widgets.Text(placeholder="Type your answer", _dom_classes=["agentnb-input"])
        self.send_button = _button("Send", "agentnb-send", self._send_clicked, button_style="primary")
        self.approve_button = _button(
            "Approve", "agentnb-approve", lambda _: self._decide(True), button_style="success"
        )
        self.reject_button = _button(
            "Reject", "agentnb-reject", lambda _: self._decide(False), button_style="danger"
        )
        # Code a tool call would run (a `code` argument) shows in a box that Edit unlocks:
        # Approve then sends the edited code, which is what runs (the transcript keeps both).
        self.code = widgets.Textarea(
            disabled=True, layout=widgets.Layout(width="100%"), _dom_classes=["agentnb-code"]
        )
        self.edit_button = _button("Edit", "agentnb-edit", self._edit_clicked, icon="pencil")
        self.asking = widgets.VBox(
            [
                self.prompt,
                self.code,
                widgets.HBox(
                    [self.text, self.send_button, self.approve_button, self.edit_button, self.reject_button]
                ),
            ],
            _dom_classes=["agentnb-ask"],
        )
        # The X-ray: what the speaker about to talk will send to its model, each turn.
        self.xray_button = widgets.ToggleButton(
            description="X-ray",
            icon="eye",
            tooltip="Show what the next speaker's model call receives, and what its context policy cut",
            _dom_classes=["agentnb-xray-button"],
        )
        self.xray_button.observe(self._xray_toggled, "value")
        self.xray_panel = widgets.HTML(_dom_classes=["agentnb-xray"], layout=widgets.Layout(margin="0"))
        for widget in (self.asking, self.code, self.edit_button, self.xray_panel):
            _show(widget, False)
        _show(self.xray_button, xray is not None)
        controls = widgets.HBox([self.status_line, self.xray_button, self.stop_button])
        column = [self.thread, self.xray_panel, self.asking, controls]
        if beside is None:
            super().__init__(column, _dom_classes=["agentnb-live"])
        else:
            chat = widgets.VBox(column, layout=widgets.Layout(flex="1 1 55%", min_width="360px"))
            beside.layout.flex = "1 1 40%"
            beside.layout.min_width = "320px"
            row = widgets.HBox([chat, beside], layout=widgets.Layout(flex_flow="row wrap", grid_gap="12px"))
            super().__init__([row], _dom_classes=["agentnb-live"])

    # ----- events in -----------------------------------------------------------------------

    def feed(self, event: Event) -> None:
        """Take one event of the run; drawing waits for the next `flush`."""
        kind = event.__class__
        if kind is TokenDelta:
            if event.scope:
                return  # nested teams' inner events: their result arrives as a message
            key = (event.source, event.step)
            stream = self._streams.get(key)
            if stream is None:
                reply = _Reply(event.source, self.colors.html(event.source))
                stream = self._streams[key] = (reply, self._add(reply.html))
            stream[0].pieces.append(event.text)  # type: ignore[union-attr]
            stream[1].dirty = True
            return
        self.events.append(event)
        if event.scope:
            return
        for shown in self._boards:
            if shown.board.feed(event):
                shown.item.dirty = True
        usage = getattr(event, "usage", None)
        if usage is not None:
            self.tokens += usage.total_tokens
        if isinstance(event, TextMessage):
            streamed = self._end_stream(event.source, event.step, event.content, event.cut_off)
            if usage is None:  # no count from the model: its streamed pieces stay counted
                self.tokens += streamed
            if event.model:
                self.model_name = event.model
        elif isinstance(event, ToolCalls):
            streamed = self._end_stream(event.source, event.step, event.content)
            if usage is None:
                self.tokens += streamed
            for call in event.calls:
                tool = _Tool(call)
                self._tools[call.id] = (tool, self._add(tool.html))
        elif isinstance(event, ToolResult) and event.call_id in self._tools:
            tool, item = self._tools[event.call_id]
            tool.result = event
            item.dirty = True
        elif kind is PlanCreated:
            board = PlanBoard(event, self.colors.names())  # type: ignore[arg-type]
            self._boards = [_Board(board, self._add(lambda: self._board_html(board)))]
        else:
            if isinstance(event, SpeakerSelected):
                self.turn = event.turn
                self._speaker, self._xray_stale = event, True
            elif isinstance(event, Stop):
                for source, step in list(self._streams):
                    self.tokens += self._end_stream(source, step, None)  # cut off: counted as streamed
                self.phase = f"stopped: {event.reason}"
            with styled(self.style):
                note = html_note(event)
            if note:
                self._add(lambda: note)

    def _add(self, render: Callable[[], str]) -> _Item:
        item = _Item(render)
        self._items.append(item)
        self._relayout = True
        return item

    def _board_html(self, board: PlanBoard) -> str:
        return board.html(times=True, now=self.wall(), colors=self.colors)

    def _end_stream(self, source: str, step: str, content: str | None, cut_off: bool = False) -> int:
        """Close ``source``'s streamed reply in plan ``step`` with its final text (or add a bubble).

        Returns how many pieces had streamed (0 when none): each is about one token.
        """
        stream = self._streams.pop((source, step), None)
        if stream is None:
            color = self.colors.html(source)  # speakers get colours in order, with or without text
            if content and content.strip():
                self._add(_Reply(source, color, content=content, cut_off=cut_off).html)
            return 0
        reply, item = stream
        reply.content = content if content is not None else "".join(reply.pieces)
        reply.cut_off = cut_off
        item.dirty = True
        if not reply.content.strip():
            self._items.remove(item)
            self._relayout = True
        return len(reply.pieces)

    def _streaming_tokens(self) -> int:
        """Tokens of the replies streaming now (one per piece), until their model counts them."""
        return sum(len(reply.pieces) for reply, _ in self._streams.values())

    # ----- drawing -------------------------------------------------------------------------

    def flush(self, *, force: bool = False) -> bool:
        """Redraw what changed, unless the last redraw was less than 1/max_rate s ago."""
        now = self.clock()
        if not force and now - self._last_flush < self.interval:
            return False
        self._last_flush = now
        self.flushes += 1
        with styled(self.style):
            self._draw(now, force)
        return True

    def _draw(self, now: float, force: bool = False) -> None:
        for shown in self._boards:
            if shown.item.dirty or (shown.board.running() and now - shown.drawn >= BOARD_INTERVAL):
                shown.item.dirty, shown.drawn = True, now
        for item in self._items:
            if item.view is None:
                item.view = widgets.HTML(
                    value=item.render(), layout=self._item_layout, style=self._item_style
                )
            elif item.dirty:
                item.view.value = item.render()
            item.dirty = False
        if self._relayout:
            self.thread.children = tuple(item.view for item in self._items if item.view is not None)
            self._relayout = False
        # The status line (turn, tokens, seconds) is sent at most once a second while only its
        # counts change: each update is a comm message, and one per redraw doubled the chat's cost.
        status = self._status_html()
        due = force or now - self._status_at >= STATUS_INTERVAL
        if status != self.status_line.value and (due or self._status_changed(status)):
            self.status_line.value = status
            self._status_at = now
        if self._xray_stale and self.xray_button.value:
            self._xray_stale = False
            self.xray_panel.value = self._xray_html()

    @never_raises(lambda self: "")
    def _xray_html(self) -> str:
        style = current()
        if self._speaker is None or self.xray is None:
            inside = "<i>The X-ray shows the next speaker's context once one is chosen.</i>"
        else:
            inside = self.xray(self._speaker)
        box = f"font-size:{style.small}px;margin:4px 0 4px {style.indent}px;padding:4px 8px"
        edge = f"border:1px dashed {style.note_color};border-radius:6px"
        return f'<div class="agentnb-xray-box" style="{box};{edge}">{inside}</div>'

    def _xray_toggled(self, change: dict[str, Any]) -> None:
        _show(self.xray_panel, bool(change["new"]))
        if change["new"]:
            self._xray_stale = True
            self.flush(force=True)

    def _status_changed(self, status: str) -> bool:
        """More than the counts changed (a new turn, a stop): show it at once."""
        return _counts.sub("", status) != _counts.sub("", self.status_line.value)

    @never_raises(lambda self: "")
    def _status_html(self) -> str:
        turns = f"turn {self.turn} of {self.max_turns}" if self.max_turns else f"turn {self.turn}"
        elapsed = self.clock() - self.started
        tokens = self.tokens + self._streaming_tokens()
        counted = f"{tokens:,} token{'' if tokens == 1 else 's'}"
        parts = [turns, counted, f"{elapsed:.0f} s"]  # whole seconds: fewer redraws
        if self.model_name:
            parts.append(html.escape(self.model_name))
        parts.append(html.escape(self.phase))
        style = current()
        return f'<span style="color:{style.note_color};font-size:{style.small}px">{" · ".join(parts)}</span>'

    def finish(self) -> None:
        """The run is over: hide the controls and draw the last state."""
        if self.phase == "running":
            self.phase = "finished"
        for control in (self.stop_button, self.asking, self.xray_button, self.xray_panel):
            _show(control, False)
        self.flush(force=True)

    def dispose(self) -> None:
        """Close this chat's widgets (and free their comms) once its display is replaced."""
        pending: list[widgets.Widget] = [self]
        while pending:
            widget = pending.pop()
            pending.extend(getattr(widget, "children", ()))
            widget.close()

    # ----- people --------------------------------------------------------------------------

    def ask(self, ask: Ask) -> None:
        """Show a question from a human participant; questions wait their turn."""
        self._asks.append(ask)
        if len(self._asks) == 1:
            self._show_ask()

    def _show_ask(self) -> None:
        while self._asks and self._asks[0].answered:  # e.g. the run was stopped meanwhile
            self._asks.pop(0)
        if not self._asks:
            _show(self.asking, False)
            return
        ask = self._asks[0]
        code = _code_of(ask.call)
        prompt = ask.prompt
        if code is not None and ask.call is not None:  # the code shows in its box, not in the prompt
            prompt = f"{ask.agent} wants to run {ask.call.name} with this code:"
            if approval_warning(ask.call):  # the box cannot mark hidden characters: the prompt does
                prompt = approval_text(ask.agent, ask.call)
        self.prompt.value = (CODE_STYLE if code is not None else "") + (
            f'<b style="white-space:pre-wrap">{html.escape(prompt)}</b>'
        )
        self.code.value = code or ""
        self.code.disabled = True
        self.code.rows = min(max(len(self.code.value.splitlines()), 3), 20)
        self.text.value = ""
        self.text.placeholder = "Optional comment" if ask.is_approval else "Type your answer"
        _show(self.send_button, not ask.is_approval)
        _show(self.approve_button, ask.is_approval)
        _show(self.reject_button, ask.is_approval)
        _show(self.code, code is not None)
        _show(self.edit_button, code is not None)
        self.edit_button.disabled = False
        _show(self.asking, True)

    def _answer(self, value: str | tuple[Any, ...]) -> None:
        if self._asks:
            self._asks.pop(0).answer(value)
        self._show_ask()

    def _send_clicked(self, _: Any) -> None:
        if self._asks and not self._asks[0].is_approval:
            self._answer(self.text.value)

    def _decide(self, approved: bool) -> None:
        if not self._asks or not self._asks[0].is_approval:
            return
        comment = self.text.value.strip()
        call = self._asks[0].call
        code = _code_of(call)
        if approved and call is not None and code is not None and self.code.value != code:
            self._answer((True, comment, {**json.loads(call.arguments), "code": self.code.value}))
        else:
            self._answer((approved, comment))

    def _edit_clicked(self, _: Any) -> None:
        self.code.disabled = False
        self.edit_button.disabled = True

    def _stop_clicked(self, _: Any) -> None:
        self.stop_button.disabled = True
        self.phase = "stopping…"
        if self.on_stop is not None:
            self.on_stop("Stop button pressed")
        self.flush(force=True)

    # ----- static renderings -----------------------------------------------------------------

    def header_html(self) -> str:
        style = f"color:{current().note_color};font-size:85%"
        return f'<div class="agentnb-header" style="{style}">{html.escape(self.heading)}</div>'

    def static_bundle(self, start: int | None = None) -> dict[str, str]:
        """The transcript so far as deterministic HTML, markdown and text (no ids, no times).

        ``start`` is the transcript position of the first event fed: each message then shows
        its checkpoint number.
        """
        speakers = self.colors.names()  # the colours the live chat used
        with styled(self.style):
            body = (
                render_html(self.events, participants=speakers, start=start)
                if self.events
                else chat_open() + "</div>"
            )
            text = render_text(self.events, participants=speakers, start=start)
            markdown = render_markdown(self.events, start=start)
            header = self.header_html()
        return {
            "text/plain": self.heading + (f"\n{text}" if text else ""),
            "text/markdown": f"*{md_text(self.heading)}*" + (f"\n\n{markdown}" if markdown else ""),
            "text/html": header + body,
        }

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle.update(self.static_bundle())
        return bundle
