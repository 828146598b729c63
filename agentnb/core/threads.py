"""Sync tools in worker threads, each result handed back to the event loop in one step.

`asyncio.to_thread` chains a `concurrent.futures.Future` to an asyncio one (a lock and a
condition per call, and a callback each way) and costs about 32 us a round trip on a small
machine. Here the call goes to a standard `ThreadPoolExecutor` as a job that settles the
awaited asyncio future itself, with one thread-safe callback: about 22 us. As with
`asyncio.to_thread`, the call runs in a copy of the caller's context, so context variables
(a run's cleanups, `agentnb.core.lifecycle`) follow it into the thread.

The pool is shared by every event loop of the process and sized like asyncio's default one.
A call its caller stopped waiting for (a timeout, a stopped run) finishes in its thread and
its result is dropped, even if the loop has closed meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


@functools.cache
def pool() -> ThreadPoolExecutor:
    """The worker threads (started as calls need them, kept for the next calls)."""
    return ThreadPoolExecutor(thread_name_prefix="agentnb-tool")


os.register_at_fork(after_in_child=pool.cache_clear)  # a forked child has none of the parent's threads


def in_thread(fn: Callable[..., Any], /, **kwargs: Any) -> asyncio.Future[Any]:
    """Run ``fn(**kwargs)`` in a worker thread; awaiting the future gives its result or raises its error."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    context = contextvars.copy_context()

    def work() -> None:
        try:
            result, error = context.run(fn, **kwargs), None
        except BaseException as exc:  # handed to the awaiting task, as asyncio.to_thread does
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed while the call ran: nobody waits
            loop.call_soon_threadsafe(_settle, future, result, error)

    pool().submit(work)
    return future


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # its caller stopped waiting (a timeout, a stop)
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)
