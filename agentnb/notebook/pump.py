"""Let widgets work while a cell blocks: handle the kernel's comm messages by hand.

While a cell runs, ipykernel's main thread is busy, so the shell messages that carry
widget events (button clicks, typed text) wait unread: a plain ``thread.join()`` gives a
chat that updates but whose buttons do nothing. `KernelPump` reads the messages waiting
for the main thread itself: comm messages (``comm_open``/``comm_msg``/``comm_close``) are
handled at once, like the kernel would between cells; everything else (the next cell's
``execute_request``, completions, ...) goes to the kernel's own handler, which queues it
behind the running cell exactly as if it had been read by the event loop. No message is
lost or reordered.

Each comm message handled here ends, as in the kernel's own dispatch, with an ``idle``
status whose parent is that message. The ipywidgets front end depends on it: a widget
keeps one state update in flight and holds every later change (each key typed into a text
box) until the kernel reports its first update idle. Without that status, a box typed into
key by key would send its first letter and nothing more while the cell runs.

This reaches into ipykernel (7.x: the inproc socket the shell-channel thread feeds the
main thread; without subshell support, the shell socket itself). When those internals are
not there, `kernel_pump` returns ``None`` and the chat is live but not clickable.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import zmq

COMM_MESSAGES = frozenset({"comm_open", "comm_msg", "comm_close"})
log = logging.getLogger("agentnb.notebook")
_pending: set[asyncio.Future[Any]] = set()  # strong references: the loop keeps only weak ones


def main_shell_stream(kernel: Any) -> Any | None:
    """The ZMQStream through which the kernel's main thread receives shell messages."""
    channel = getattr(kernel, "shell_channel_thread", None)
    if channel is not None:  # ipykernel 7: messages arrive from the shell-channel thread
        pair = channel.manager.get_shell_channel_to_subshell_pair(None)
        return pair.to_stream
    return getattr(kernel, "shell_stream", None)


class KernelPump:
    """Call it while blocking in a cell: handles every shell message waiting for the main thread."""

    def __init__(self, kernel: Any, stream: Any) -> None:
        self.kernel = kernel
        self.stream = stream
        self.handled = 0  # comm messages handled during cells (for tests and benchmarks)

    def __call__(self) -> int:
        """Serve what is waiting now (never blocks); returns how many messages were read."""
        count = 0
        socket = self.stream.socket
        while socket.get(zmq.EVENTS) & zmq.POLLIN:  # cheaper than a failing non-blocking recv
            self._dispatch(socket.recv_multipart(zmq.NOBLOCK, copy=False))
            count += 1
        return count

    def _dispatch(self, frames: list[Any]) -> None:
        session = self.kernel.session
        try:
            idents, rest = session.feed_identities(frames, copy=False)
            # Peek without content: a full read records the signature, and the kernel's own
            # read of a message we pass on would then reject it as a replay.
            kind = session.deserialize(rest, content=False, copy=False)["header"]["msg_type"]
            if kind in COMM_MESSAGES:
                message = session.deserialize(rest, content=True, copy=False)
        except Exception:
            log.exception("agentnb: could not read a shell message while a cell runs")
            return
        if kind in COMM_MESSAGES:
            self.handled += 1
            self._handle(kind, idents, message)
            return
        # Everything else waits for the running cell, as it would have without us: the
        # kernel's own callback queues it behind the cell (ipykernel 7 takes a lock per cell).
        outcome = self.stream._recv_callback(frames)
        if inspect.isawaitable(outcome):
            _schedule(outcome)

    def _handle(self, kind: str, idents: list[Any], message: dict[str, Any]) -> None:
        """Handle a comm message between ``busy`` and ``idle`` statuses that name it as their parent."""
        publish = self.kernel._publish_status
        publish("busy", "shell", parent=message)
        handler = self.kernel.shell_handlers.get(kind)
        outcome = None
        try:
            outcome = handler(self.stream, idents, message) if handler is not None else None
        finally:
            if not inspect.isawaitable(outcome):
                publish("idle", "shell", parent=message)
        if inspect.isawaitable(outcome):
            _schedule(outcome, lambda: publish("idle", "shell", parent=message))


def _schedule(outcome: Awaitable[Any], then: Callable[[], None] | None = None) -> None:
    """Run an async handler's coroutine on the kernel's loop once the cell lets it; then ``then``."""
    task = asyncio.ensure_future(outcome)
    _pending.add(task)
    task.add_done_callback(_pending.discard)
    if then is not None:
        task.add_done_callback(lambda _: then())


def kernel_pump(shell: Any) -> KernelPump | None:
    """A pump for ``shell``'s kernel, or ``None`` outside a kernel or on unknown internals."""
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return None
    try:
        stream = main_shell_stream(kernel)
    except Exception:
        stream = None
    if (
        stream is None
        or getattr(stream, "_recv_callback", None) is None
        or not hasattr(kernel, "session")
        or not hasattr(kernel, "_publish_status")
    ):
        return None
    return KernelPump(kernel, stream)
