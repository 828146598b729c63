"""Run a team to the end from a blocking cell while the chat stays live and clickable.

The team runs on a fresh event loop in a worker thread and posts its events into a queue.
The main thread — the one a cell runs in — waits on that queue: it feeds events to the
view, lets the kernel handle widget messages (`agentnb.notebook.pump`), and redraws at a
bounded rate. Only the main thread touches widgets. A kernel interrupt stops the team
cleanly; the transcript so far is kept and the kernel stays usable.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, Protocol

from agentnb.messages import Event
from agentnb.notebook.bridge import Ask
from agentnb.team import Team, TeamResult

POLL_SECONDS = 0.01  # the main thread's cadence: drain the queue, serve the kernel, maybe redraw
INTERRUPTED = "interrupted by the user"


class View(Protocol):
    """What the runner drives: the chat widget, or a test double."""

    def feed(self, event: Event) -> None: ...

    def ask(self, ask: Ask) -> None: ...

    def flush(self, *, force: bool = False) -> None: ...


class _Done:
    """Posted last by the worker thread."""


def run_blocking(
    team: Team,
    task: str | None,
    *,
    inbox: queue.SimpleQueue[Any] | None = None,
    view: View | None = None,
    pump: Callable[[], object] | None = None,
) -> TeamResult:
    """Run ``team`` on ``task`` and wait, serving ``view`` and ``pump`` while waiting.

    ``inbox`` is the queue the worker posts to; pass one to let other code (a `HumanBridge`)
    post `Ask` objects into the same stream. Errors of the run are raised here.
    """
    inbox = inbox if inbox is not None else queue.SimpleQueue()
    box: dict[str, BaseException] = {}
    ended = threading.Event()

    async def consume() -> None:
        async for event in team.stream(task):
            inbox.put(event)

    def work() -> None:
        try:
            asyncio.run(consume())
        except BaseException as exc:  # handed to the main thread below
            box["error"] = exc
        finally:
            inbox.put(_Done())
            ended.set()

    worker = threading.Thread(target=work, name="agentnb-run", daemon=True)
    worker.start()
    done = False
    while not done and (worker.is_alive() or not inbox.empty()):  # also ends if an interrupt ate _Done
        try:
            ended.wait(POLL_SECONDS)  # wakes early when the run ends, never per event
            done = _serve(inbox, view, pump)
        except KeyboardInterrupt:
            team.stop(INTERRUPTED)
    worker.join()
    if view is not None:
        view.flush(force=True)
    if "error" in box:
        raise box["error"]
    assert team.last_result is not None
    return team.last_result


def _serve(inbox: queue.SimpleQueue[Any], view: View | None, pump: Callable[[], object] | None) -> bool:
    """One round: hand everything queued to the view, serve the kernel, maybe redraw."""
    done = False
    try:
        item = inbox.get_nowait()
        while True:
            if isinstance(item, _Done):
                done = True
            elif view is not None:
                if isinstance(item, Ask):
                    view.ask(item)
                else:
                    view.feed(item)
            item = inbox.get_nowait()
    except queue.Empty:
        pass
    if pump is not None:
        pump()
    if view is not None and not done:
        view.flush()
    return done
