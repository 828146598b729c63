"""Run a coroutine to the end from synchronous code, even inside a running event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
POLL_SECONDS = 0.05


def run_to_end(make: Callable[[], Coroutine[Any, Any, T]], on_interrupt: Callable[[], None]) -> T:
    """``asyncio.run(make())`` in plain code; in a worker thread (`run_in_thread`) when an event
    loop already runs here (Jupyter). The choice is made first, so an error the coroutine raises
    is not chained to the "no running event loop" probe in its traceback."""
    try:
        asyncio.get_running_loop()
        in_loop = True
    except RuntimeError:
        in_loop = False
    return run_in_thread(make, on_interrupt) if in_loop else asyncio.run(make())


def run_in_thread(make: Callable[[], Coroutine[Any, Any, T]], on_interrupt: Callable[[], None]) -> T:
    """Run ``make()`` on a fresh event loop in a worker thread and wait for it.

    Jupyter already runs a loop in the main thread, so ``asyncio.run`` cannot be used
    there. A KeyboardInterrupt (a kernel interrupt) while waiting calls ``on_interrupt`` —
    which asks the run to stop cleanly, and must do nothing when called again — and keeps
    waiting for the clean end. The wait is
    on an event the worker sets when it is done, not on ``Thread.join``: an interrupted
    join can report a thread that is still running as finished (CPython 3.11).
    """
    outcome: list[tuple[bool, Any]] = []
    done = threading.Event()

    def target() -> None:
        try:
            outcome.append((True, asyncio.run(make())))
        except BaseException as exc:  # handed to the caller's thread below
            outcome.append((False, exc))
        finally:
            done.set()

    interrupted = False
    worker = threading.Thread(target=target, name="agentnb-run", daemon=True)
    try:
        worker.start()
    except KeyboardInterrupt:  # the thread runs; it is told to stop below
        interrupted = True
    while not done.is_set():
        try:
            if interrupted:
                on_interrupt()  # again at every poll: the run may not have started when it came
            done.wait(POLL_SECONDS)
        except KeyboardInterrupt:
            interrupted = True
    ok, value = outcome[0]
    if not ok:
        raise value
    return value
