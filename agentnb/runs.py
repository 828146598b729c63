"""What happens when a run ends: resources a run opened (a code kernel) are closed with it.

A tool that starts something costly for a run calls `on_run_end(close)`; the team calls
the callbacks when its run ends, however it ends. Nested runs (an inner team, a team used
as a tool) belong to the outermost run, so a kernel lives as long as the run that uses it.
The registry is a context variable: it follows the run into its tasks and tool threads.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from contextvars import ContextVar

log = logging.getLogger("agentnb")
_cleanups: ContextVar[list[Callable[[], object]] | None] = ContextVar("agentnb_run_cleanups", default=None)


def on_run_end(callback: Callable[[], object]) -> bool:
    """Call ``callback`` (sync or async) once when the current run ends; False outside a run."""
    callbacks = _cleanups.get()
    if callbacks is None:
        return False
    if callback not in callbacks:
        callbacks.append(callback)
    return True


def begin_run() -> list[Callable[[], object]] | None:
    """Open the registry for a run; None when a run is already open (the outer one owns it)."""
    if _cleanups.get() is not None:
        return None
    callbacks: list[Callable[[], object]] = []
    _cleanups.set(callbacks)
    return callbacks


async def end_run(callbacks: list[Callable[[], object]] | None) -> None:
    """Run the callbacks of the run that opened ``callbacks`` (latest first); never raises."""
    if callbacks is None:
        return
    _cleanups.set(None)
    while callbacks:
        callback = callbacks.pop()
        try:
            outcome = callback()
            if inspect.isawaitable(outcome):
                await asyncio.shield(asyncio.ensure_future(outcome))
        except asyncio.CancelledError:  # the run was cancelled: clean up anyway, then go on
            continue
        except Exception:
            log.exception("agentnb: a run's cleanup failed")
