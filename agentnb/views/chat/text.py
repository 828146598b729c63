"""Events as terminal text: a live transcript that streams tokens, or a whole run at once.

Every piece of text that came from a model, a tool or a file goes through
`agentnb.core.untrusted.terminal_text` on its way in, so what is printed shows control
characters instead of obeying them; only the printer's own colours are escape sequences.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import IO

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
from agentnb.core.untrusted import terminal_text as shown
from agentnb.views.chat.notes import CUT_OFF, code_argument, display_text, note_mark, note_text
from agentnb.views.colors import Colors
from agentnb.views.fallback import raw_text, short
from agentnb.views.markup import never_raises
from agentnb.views.plan import PlanBoard, plan_boards


class TerminalPrinter:
    """Prints events as a readable transcript; streams tokens live when they arrive.

    ``participants`` (the team's order) fixes the colours, as in the notebook chat. With
    ``start`` (the transcript position of the first event fed), each message shows its
    checkpoint number ``#k``; ``boards`` (by position of a `PlanCreated` among the events
    fed) shows a plan's whole progress where it was created.
    """

    def __init__(
        self,
        out: IO[str],
        *,
        color: bool = False,
        show_speakers: bool = False,
        participants: Sequence[str] = (),
        start: int | None = None,
        boards: Mapping[int, PlanBoard] | None = None,
    ) -> None:
        self.out = out
        self.color = color
        self.show_speakers = show_speakers
        self.colors = Colors(participants)
        self.streaming: str | None = None  # whose tokens are being printed
        self.start = start
        self.boards = boards or {}
        self.position = 0  # events fed so far, token deltas aside

    def paint(self, text: str, name: str | None = None, code: int | None = None) -> str:
        """``text`` in ``name``'s colour (or the SGR ``code``, e.g. 90 for grey) when colour is on."""
        if not self.color:
            return text
        sgr = f"1;{code}" if code is not None else "1;90" if name is None else self.colors.sgr(name)
        return f"\033[{sgr}m{text}\033[0m"

    def feed(self, event: Event) -> None:
        self.out.write(self.render(event))

    def render(self, event: Event) -> str:
        """The text for one more event, given what was printed before (a reply may be streaming)."""
        if event.__class__ is TokenDelta:
            return self._render(event, None)
        position = self.position
        self.position += 1
        return self._render(event, position)

    @never_raises(lambda self, event, position: raw_text(event))
    def _render(self, event: Event, position: int | None) -> str:
        indent = "  " * (event.scope.count("/") + 1) if event.scope else ""
        mark = self._mark(event, position)
        if isinstance(event, TokenDelta):
            header = "" if self.streaming == event.source else self._header(event.source, event.scope)
            self.streaming = event.source
            return header + shown(event.text)
        if isinstance(event, TextMessage):
            cut = f"{indent}[{CUT_OFF}]\n" if event.cut_off else ""
            if self.streaming == event.source:
                self.streaming = None
                return (f"  {mark}\n" if mark else "\n") + cut
            lines = shown(event.content).splitlines() or [""]
            return (
                self._end_stream()
                + self._header(event.source, event.scope, mark)
                + "".join(indent + line + "\n" for line in lines)
                + cut
            )
        if isinstance(event, ToolCalls):
            suffix = f" {mark}" if mark else ""
            return self._end_stream() + "".join(
                self._call(event.source, call, indent, suffix) for call in event.calls
            )
        if isinstance(event, ToolResult):
            sign = "✗" if event.is_error else "←"
            rich = "".join(f"{indent}    {shown(display_text(d))}\n" for d in event.display or ())
            return f"{indent}  {sign} {shown(event.name)}: {shown(short(event.content, 300))}\n{rich}"
        if isinstance(event, SpeakerSelected):
            if not self.show_speakers:
                return ""
            return f"{indent}  · turn {event.turn}: {shown(event.speaker)} ({shown(event.reason)})\n"
        if isinstance(event, Stop):
            where = f" ({event.scope})" if event.scope else ""
            line = self.paint(shown(f"── stopped{where}: {event.reason}"), code=90)
            return f"{self._end_stream()}\n{line}\n"
        board = self.boards.get(position) if isinstance(event, PlanCreated) and position is not None else None
        if board is not None:
            lines = shown(board.text()).splitlines()
            return self._end_stream() + "".join(f"{indent}  {line}\n" for line in lines)
        note = note_text(event)
        if not note:
            return ""
        return self._end_stream() + f"{indent}  {note_mark(event)} {shown(note)}\n"

    def _mark(self, event: Event, position: int | None) -> str:
        if self.start is None or position is None or event.scope:
            return ""
        return f"#{self.start + position}"

    def _call(self, source: str, call: ToolCall, indent: str, suffix: str) -> str:
        code = code_argument(call)
        who, name = shown(source), shown(call.name)
        if code is None:
            arguments = shown(short(call.arguments, 200))
            return f"{indent}  {self.paint('→', source)} {who} calls {name}({arguments}){suffix}\n"
        text, others = code
        rest = shown(short(json.dumps(others, ensure_ascii=False), 200)) if others else ""
        lines = shown(short(text, 5000)).splitlines() or [""]
        head = f"{indent}  {self.paint('→', source)} {who} calls {name}({rest}) with code:{suffix}\n"
        return head + "".join(f"{indent}      {line}\n" for line in lines)

    def _header(self, name: str, scope: str = "", mark: str = "") -> str:
        where = f" ({scope})" if scope else ""
        number = f" {mark}" if mark else ""
        return "\n" + self.paint(shown(f"{name}{where}:"), name) + number + "\n"

    def _end_stream(self) -> str:
        if self.streaming is None:
            return ""
        self.streaming = None
        return "\n"


@never_raises(lambda events, **_: raw_text(events))
def render_text(
    events: Iterable[Event],
    *,
    color: bool = False,
    participants: Sequence[str] = (),
    start: int | None = None,
) -> str:
    """A whole transcript as plain (or ANSI-coloured) text; ``start`` numbers its checkpoints."""
    events = [e for e in events if e.__class__ is not TokenDelta]
    buffer = io.StringIO()
    boards = plan_boards(events, participants)
    printer = TerminalPrinter(buffer, color=color, participants=participants, start=start, boards=boards)
    for event in events:
        printer.feed(event)
    return buffer.getvalue().lstrip("\n")
