"""Run a team to the end from a blocking cell while the chat stays live and clickable.

The team runs on a fresh event loop in a worker thread and posts its events into a queue.
The main thread — the one a cell runs in — waits on that queue: it feeds events to the
view, lets the kernel handle widget messages (`agentnb.notebook.pump`), and redraws at a
bounded rate. Only the main thread touches widgets. A kernel interrupt stops the team
cleanly; the transcript so far is kept and the kernel stays usable.

The run's last event, its `Stop`, reaches the view once the run has ended well: a run that
fails raises an error that says why, and the view does not say it a second time. A run that
ends waiting for a person is shown so at once; with ``decide`` (the chat asks the person),
their decisions are recorded and the run goes on in the same view.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from agentnb.core.errors import RunError
from agentnb.core.events import Event, Stop
from agentnb.core.result import TeamResult
from agentnb.core.team import Team
from agentnb.notebook.bridge import Ask

# The main thread's cadence: drain the queue, serve the kernel, redraw. Each wake-up costs the
# chat about 100 us (the GIL back from the run's thread, the kernel's sockets), so it wakes at
# the redraw rate (20 a second), never per event: a click or a key is served within 50 ms.
POLL_SECONDS = 0.05
INTERRUPTED = "interrupted by the user"


class View(Protocol):
    """What the runner drives: the chat widget, or a test double."""

    def feed(self, event: Event) -> None: ...

    def ask(self, ask: Ask) -> None: ...

    def flush(self, *, force: bool = False) -> None: ...


class ServeError(RunError):
    """Serving a run failed (the view or the kernel pump): the team was stopped, and it has ended."""


class _Failed(Exception):
    """Raised inside the main thread's loop: what failed (``where``) and its exception."""

    def __init__(self, where: str, error: Exception) -> None:
        super().__init__(where)
        self.where, self.error = where, error


class _Done:
    """Posted last by the worker thread."""


def run_blocking(
    team: Team,
    task: str | None,
    *,
    inbox: queue.SimpleQueue[Any] | None = None,
    view: View | None = None,
    pump: Callable[[], object] | None = None,
    decide: Callable[[], Awaitable[bool]] | None = None,
) -> TeamResult:
    """Run ``team`` on ``task`` and wait, serving ``view`` and ``pump`` while waiting.

    ``inbox`` is the queue the worker posts to; pass one to let other code (a `HumanBridge`)
    post `Ask` objects into the same stream. Errors of the run are raised here. When the view
    or the pump fails, the team is stopped and waited for, and `ServeError` says what failed:
    the team never keeps running unseen (its next run would find it busy). When the run ends
    waiting for a person, ``decide()`` gets their decisions and the run goes on.
    """
    inbox = inbox if inbox is not None else queue.SimpleQueue()
    box: dict[str, BaseException] = {}
    ended = threading.Event()
    deciding: list[Callable[[], object]] = []  # while a decision is asked for: cancels the wait

    async def consume() -> None:
        async for event in team.stream(task):
            inbox.put(event)
        if decide is None:
            return
        loop, me = asyncio.get_running_loop(), asyncio.current_task()
        assert me is not None

        def cancel() -> None:
            with contextlib.suppress(RuntimeError):  # the loop already ended: nothing waits
                loop.call_soon_threadsafe(me.cancel)

        try:
            while True:
                deciding.append(cancel)
                try:
                    decided = await decide()
                finally:
                    deciding.clear()
                if not decided:
                    return
                async for event in team.stream(None):
                    inbox.put(event)
        except asyncio.CancelledError:  # interrupted while asking: the run stays waiting
            return

    def work() -> None:
        try:
            asyncio.run(consume())
        except BaseException as exc:  # handed to the main thread below
            box["error"] = exc
        finally:
            inbox.put(_Done())
            ended.set()

    def stop(reason: str) -> None:
        """Stop the run, or the wait for a decision between runs."""
        team.stop(reason)
        if deciding:
            deciding.pop()()

    worker = threading.Thread(target=work, name="agentnb-run", daemon=True)
    worker.start()
    done = False
    held: list[Stop] = []  # the run's own Stop, shown once the run has ended without an error
    interrupted = False
    try:
        while not done and (worker.is_alive() or not inbox.empty()):  # also ends if an interrupt ate _Done
            try:
                if interrupted:  # asked each round: a run that had not begun did not hear it
                    stop(INTERRUPTED)
                ended.wait(POLL_SECONDS)  # wakes early when the run ends, never per event
                done = _serve(inbox, view, pump, held)
            except KeyboardInterrupt:
                interrupted = True
        _wait_for_end(worker)
        if view is not None:
            if "error" not in box:
                _feed(view, held)
            _flush(view, force=True)
    except _Failed as failed:
        reason = f"{failed.where} failed"
        _wait_for_end(worker, stop=lambda: stop(reason))  # each round, as for an interrupt
        _discard(inbox)  # what the view never saw, and the worker's _Done: a reused inbox starts empty
        raise ServeError(
            f"team {team.name!r} was stopped because {failed.where} failed: "
            f"{type(failed.error).__name__}: {failed.error}. The transcript so far is kept "
            "(team.transcript) and the team can run again; %%agentteam --no-stream runs "
            "without the live chat.",
            team.last_result,
        ) from failed.error
    if "error" in box:
        raise box["error"]
    assert team.last_result is not None
    return team.last_result


def _wait_for_end(worker: threading.Thread, stop: Callable[[], None] | None = None) -> None:
    """Join the worker; an interrupt only repeats the wait. ``stop`` is called each round."""
    while worker.is_alive():
        try:
            if stop is not None:
                stop()
            worker.join(POLL_SECONDS)
        except KeyboardInterrupt:
            pass


def _discard(inbox: queue.SimpleQueue[Any]) -> None:
    with contextlib.suppress(queue.Empty):
        while True:
            inbox.get_nowait()


def _serve(
    inbox: queue.SimpleQueue[Any], view: View | None, pump: Callable[[], object] | None, held: list[Stop]
) -> bool:
    """One round: hand everything queued to the view (but the run's `Stop`: ``held``), serve the
    kernel, maybe redraw."""
    done = False
    item: Any = None
    try:
        item = inbox.get_nowait()
        while True:
            if isinstance(item, _Done):
                done = True
            elif view is not None:
                if isinstance(item, Ask):
                    view.ask(item)
                elif item.__class__ is Stop and not item.scope and not item.waiting:
                    held.append(item)
                else:
                    view.feed(item)
            item = inbox.get_nowait()
    except queue.Empty:
        pass
    except Exception as exc:
        method = "ask" if isinstance(item, Ask) else "feed"
        raise _Failed(f"{type(view).__name__}.{method}({type(item).__name__})", exc) from exc
    if pump is not None:
        try:
            pump()
        except Exception as exc:
            raise _Failed(f"the kernel pump ({type(pump).__name__})", exc) from exc
    if view is not None and not done:
        _flush(view)
    return done


def _feed(view: View, events: list[Stop]) -> None:
    for event in events:
        try:
            view.feed(event)
        except Exception as exc:
            raise _Failed(f"{type(view).__name__}.feed({type(event).__name__})", exc) from exc


def _flush(view: View, *, force: bool = False) -> None:
    try:
        view.flush(force=force)
    except Exception as exc:
        raise _Failed(f"{type(view).__name__}.flush()", exc) from exc
