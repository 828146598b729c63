"""Tools that come at run time (an MCP server's, listed once it is connected), the progress a
running tool reports (streamed to the chat as `ToolProgress` events), and the events of the work
a tool runs on the team's behalf (a team or an agent used as a tool: recorded in the caller's run)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Toolset(Protocol):
    """Tools known only when a run uses them, such as the tools an MCP server lists once it is
    connected. An agent given a toolset asks it for its tools when each turn starts."""

    name: str

    async def tools_for_run(self) -> Sequence[Any]:
        """The `Tool` objects to offer in this turn (connecting first if need be)."""
        ...


def is_toolset(obj: Any) -> bool:
    """True for an object that supplies tools at run time (see `Toolset`), not a tool itself."""
    return isinstance(obj, Toolset)


ProgressReporter = Callable[[float, "float | None", str], None]
_progress: ContextVar[ProgressReporter | None] = ContextVar("agentnb_tool_progress", default=None)


def _ignore_progress(progress: float, total: float | None, message: str) -> None:
    """The reporter outside a tool call that streams progress."""


def progress_reporter() -> ProgressReporter:
    """The function that reports the running tool call's progress (progress, total, message);
    take it when the call starts: it may be called later from another task."""
    return _progress.get() or _ignore_progress


EventReporter = Callable[[Any], None]
_events: ContextVar[EventReporter | None] = ContextVar("agentnb_tool_events", default=None)


def _drop_event(event: Any) -> None:
    """The event reporter outside a tool call whose caller records what it reports."""


def event_reporter() -> EventReporter:
    """Where the running tool call sends the events of a run it makes (`agentnb.core.nesting`):
    the caller records them under the tool's name, so its trace and costs include them."""
    return _events.get() or _drop_event


@contextmanager
def reporting_progress(
    reporter: ProgressReporter | None, events: EventReporter | None = None
) -> Iterator[None]:
    """Within the block, `progress_reporter` returns ``reporter`` and `event_reporter` ``events``."""
    token = _progress.set(reporter)
    events_token = _events.set(events)
    try:
        yield
    finally:
        _events.reset(events_token)
        _progress.reset(token)
