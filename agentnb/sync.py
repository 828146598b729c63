"""Run a coroutine to the end from synchronous code, even inside a running event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_in_thread(make: Callable[[], Coroutine[Any, Any, T]], on_interrupt: Callable[[], None]) -> T:
    """Run ``make()`` on a fresh event loop in a worker thread and wait for it.

    Jupyter already runs a loop in the main thread, so ``asyncio.run`` cannot be used
    there. A KeyboardInterrupt (a kernel interrupt) while waiting calls ``on_interrupt`` —
    which asks the run to stop cleanly — and keeps waiting for the clean end.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(make())
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    worker = threading.Thread(target=target, name="agentnb-run", daemon=True)
    worker.start()
    while worker.is_alive():
        try:
            worker.join()
        except KeyboardInterrupt:
            on_interrupt()
    if "error" in box:
        raise box["error"]
    return box["value"]
