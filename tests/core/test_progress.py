"""Progress lines in the terminal: whose turn it is, and a line when a slow reply keeps the run quiet."""

from __future__ import annotations

import asyncio
import io

from agentnb.apps.progress import Progress
from agentnb.core.events import SpeakerSelected, TextMessage, TokenDelta
from agentnb.views.chat import TerminalPrinter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_turn_starts_with_who_which_turn_and_the_time_so_far() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress(TerminalPrinter(out), out, max_turns=12, clock=clock)
    clock.now = 131.0
    progress.feed(SpeakerSelected(source="newsroom", speaker="fact_checker", turn=2))
    progress.feed(TextMessage(source="fact_checker", content="Checked."))
    assert out.getvalue() == "· turn 2 of 12: fact_checker (2 min 11 s so far)\n\nfact_checker:\nChecked.\n"


def test_a_quiet_run_says_who_is_still_working_but_never_inside_a_streaming_reply() -> None:
    out = io.StringIO()
    printer = TerminalPrinter(out)
    progress = Progress(printer, out, quiet=0.05)

    async def wait(seconds: float) -> str:
        start = len(out.getvalue())
        beat = asyncio.create_task(progress.heartbeat(every=0.01))
        await asyncio.sleep(seconds)
        beat.cancel()
        return out.getvalue()[start:]

    progress.feed(SpeakerSelected(source="t", speaker="editor", turn=1))
    assert "· editor is still working (0 s so far)\n" in asyncio.run(wait(0.3))
    progress.feed(TokenDelta(source="editor", text="Half a sen"))
    assert asyncio.run(wait(0.3)) == ""  # a line here would cut the reply in two
