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

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
    ToolProgress,
    ToolResult,
)
from agentnb.notebook.asking import AskPanel
from agentnb.notebook.bridge import Ask
from agentnb.notebook.controls import button, show
from agentnb.views.chat import Colors, Style, html_note, html_tool, progress_text, styled
from agentnb.views.chat.live import (
    StreamingReply,
    status_html,
    transcript_bundle,
    xray_box,
)
from agentnb.views.markup import never_raises
from agentnb.views.plan import PlanBoard

BOARD_INTERVAL = 1.0  # seconds between redraws of a plan board whose steps are running (durations)
STATUS_INTERVAL = 1.0  # seconds between status-line updates when only its counts change
_counts = re.compile(r"[\d,]+ tokens?|\d+ s\b")


@dataclass(eq=False)
class _Item:
    """One entry of the chat and how to draw it; ``view`` is created at the next flush."""

    render: Callable[[], str]
    view: widgets.HTML | None = None
    dirty: bool = True


@dataclass(eq=False)
class _Tool:
    call: ToolCall
    result: ToolResult | None = None
    progress: str = ""  # how far the running call has got (its server's progress notifications)

    def html(self) -> str:
        return html_tool(self.call, self.result, duration=True, progress=self.progress)


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
        self._streams: dict[tuple[str, str], tuple[StreamingReply, _Item]] = {}  # by (source, plan step)
        self._tools: dict[str, tuple[_Tool, _Item]] = {}

        # Every entry shares one layout and one style: a new entry costs a single comm_open.
        # No widget margins, and JupyterLab's rendered-HTML styles: a finished entry lays out
        # exactly as in the static transcript that replaces the chat when the run ends.
        self._item_layout = widgets.Layout(margin="0")
        self._item_style = HTMLStyle()
        with styled(style):
            self.status_line = widgets.HTML(value=self._status_html(), _dom_classes=["agentnb-status"])
        self.thread = widgets.VBox(_dom_classes=["agentnb-chat", "jp-RenderedHTMLCommon"])
        self.stop_button = button("Stop", "agentnb-stop-button", self._stop_clicked, icon="stop")
        self.asking = AskPanel()
        # The X-ray: what the speaker about to talk will send to its model, each turn.
        self.xray_button = widgets.ToggleButton(
            description="X-ray",
            icon="eye",
            tooltip="Show what the next speaker's model call receives, and what its context policy cut",
            _dom_classes=["agentnb-xray-button"],
        )
        self.xray_button.observe(self._xray_toggled, "value")
        self.xray_panel = widgets.HTML(_dom_classes=["agentnb-xray"], layout=widgets.Layout(margin="0"))
        show(self.xray_panel, False)
        show(self.xray_button, xray is not None)
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
                reply = StreamingReply(event.source, self.colors.html(event.source))
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
        elif kind is ToolProgress and event.call_id in self._tools:  # shown in the call's panel
            tool, item = self._tools[event.call_id]  # type: ignore[attr-defined]
            tool.progress = progress_text(event)  # type: ignore[arg-type]
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
                self._add(StreamingReply(source, color, content=content, cut_off=cut_off).html)
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
        if self._speaker is None or self.xray is None:
            return xray_box(None)
        return xray_box(self.xray(self._speaker))

    def _xray_toggled(self, change: dict[str, Any]) -> None:
        show(self.xray_panel, bool(change["new"]))
        if change["new"]:
            self._xray_stale = True
            self.flush(force=True)

    def _status_changed(self, status: str) -> bool:
        """More than the counts changed (a new turn, a stop): show it at once."""
        return _counts.sub("", status) != _counts.sub("", self.status_line.value)

    def _status_html(self) -> str:
        tokens = self.tokens + self._streaming_tokens()
        elapsed = self.clock() - self.started
        return status_html(self.turn, self.max_turns, tokens, elapsed, self.model_name, self.phase)

    def finish(self) -> None:
        """The run is over: hide the controls and draw the last state."""
        if self.phase == "running":
            self.phase = "finished"
        for control in (self.stop_button, self.asking, self.xray_button, self.xray_panel):
            show(control, False)
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
        self.asking.ask(ask)

    def _stop_clicked(self, _: Any) -> None:
        self.stop_button.disabled = True
        self.phase = "stopping…"
        if self.on_stop is not None:
            self.on_stop("Stop button pressed")
        self.flush(force=True)

    # ----- static renderings -----------------------------------------------------------------

    def static_bundle(self, start: int | None = None) -> dict[str, str]:
        """The transcript so far as deterministic HTML, markdown and text (no ids, no times).

        ``start`` is the transcript position of the first event fed: each message then shows
        its checkpoint number.
        """
        with styled(self.style):  # in the colours the live chat used
            return transcript_bundle(self.heading, self.events, self.colors.names(), start)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle.update(self.static_bundle())
        return bundle
