"""Progress lines for a run printed in a terminal, so a slow machine does not look hung.

A small model on two busy cores can take a minute over one structured reply, which it does
not stream: the terminal shows nothing meanwhile. `Progress` prints a grey line when a turn
starts (who, which turn, time so far) and, when nothing has been printed for a while, a line
saying who is still working.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import IO

from agentnb.core.events import Event, SpeakerSelected, Stop
from agentnb.views.chat import TerminalPrinter

QUIET_SECONDS = 15.0  # silence after which a line says the run is still going


class Progress:
    """Prints the run's events through ``printer`` with progress lines among them.

    ``max_turns`` completes "turn 3 of 12"; ``quiet`` is the silence (seconds) after which
    `heartbeat` prints a line; ``clock`` is for tests.
    """

    def __init__(
        self,
        printer: TerminalPrinter,
        out: IO[str],
        *,
        max_turns: int | None = None,
        quiet: float = QUIET_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.printer, self.out, self.max_turns, self.quiet, self.clock = printer, out, max_turns, quiet, clock
        self.started = self.last = clock()
        self.speaker = ""

    def feed(self, event: Event) -> None:
        """Print ``event`` (and, for a new turn, a progress line before it)."""
        if isinstance(event, SpeakerSelected) and not event.scope:
            self.speaker = event.speaker
            of = f" of {self.max_turns}" if self.max_turns else ""
            self._line(f"· turn {event.turn}{of}: {event.speaker} ({self._elapsed()} so far)")
        elif isinstance(event, Stop) and not event.scope:
            self.speaker = ""
        self.printer.feed(event)
        self.out.flush()
        self.last = self.clock()

    async def heartbeat(self, every: float = 1.0) -> None:
        """Until cancelled: after ``quiet`` seconds without output, say who is still working."""
        while True:
            await asyncio.sleep(every)
            if self.speaker and self.printer.streaming is None and self.clock() - self.last >= self.quiet:
                self._line(f"· {self.speaker} is still working ({self._elapsed()} so far)")
                self.last = self.clock()

    def _elapsed(self) -> str:
        seconds = int(self.clock() - self.started)
        return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min {seconds % 60:02d} s"

    def _line(self, text: str) -> None:
        self.out.write(self.printer.paint(text, code=90) + "\n")
        self.out.flush()
