"""How a run lives with others: resources it opened close when it ends; it shares the loop.

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
YIELD_EVERY = 8  # model calls a run makes between two yields to the event loop
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


class Pace:
    """How often a run lets others use the event loop: on every `YIELD_EVERY`-th model call.

    A model that never suspends (an offline or synchronous one) would otherwise keep the
    loop for a whole run, so Stop buttons, timeouts and other teams could not cut in.
    Yielding on every call cost a loop iteration per message (a quarter of the core's
    overhead); counting calls instead of reading a clock keeps runs deterministic, so
    concurrent steps interleave the same way on every run.
    """

    __slots__ = ("calls",)

    def __init__(self) -> None:
        self.calls = 0

    async def tick(self) -> None:
        self.calls += 1
        if self.calls % YIELD_EVERY == 1:
            await asyncio.sleep(0)
