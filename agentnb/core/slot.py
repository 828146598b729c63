"""A team runs one run at a time: the slot that holds it, and stopping or pausing what is in it.

Safe from any task or thread: a Stop button, another cell, a timer. A stream its own task
abandoned (a ``break`` in ``async for``) is closed properly before that task starts a new run.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from agentnb.core.errors import TeamBusyError


class RunSlot:
    """Holds the run in progress (or nothing) for the team called ``owner``."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.run: Any = None
        self._lock = threading.Lock()

    async def claim(self, run: Any) -> None:
        """Make ``run`` the team's run; a second run while one goes on is a `TeamBusyError`."""
        current = self.run
        if current is not None and not current.inside and current.worker is asyncio.current_task():
            await current.stream.aclose()  # this task stopped reading its earlier run: end it first
        with self._lock:
            if self.run is not None:
                raise TeamBusyError(
                    f"team {self.owner!r} is already running a task; await that run, or call "
                    "team.stop() first (one team cannot run twice at the same time)"
                )
            self.run = run

    def release(self, run: Any) -> None:
        with self._lock:
            if self.run is run:
                self.run = None

    def check_idle(self, what: str) -> None:
        if self.run is not None:
            raise TeamBusyError(f"team {self.owner!r} is running; stop it before {what}")

    def stop(self, reason: str) -> None:
        """End the run now, cancelling a call in flight; nothing when no run goes on."""
        run = self.run
        if run is not None:
            run.request_stop_threadsafe(reason)

    def pause(self, reason: str) -> None:
        """End the run once the turn in flight is over."""
        run = self.run
        if run is not None and run.loop is not None:
            run.loop.call_soon_threadsafe(run.finish, reason)
