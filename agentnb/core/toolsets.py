"""Tools that come at run time (an MCP server's, listed once it is connected), and the progress
a running tool reports (streamed to the chat as `ToolProgress` events)."""

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


@contextmanager
def reporting_progress(reporter: ProgressReporter | None) -> Iterator[None]:
    """Within the block, `progress_reporter` returns ``reporter``."""
    token = _progress.set(reporter)
    try:
        yield
    finally:
        _progress.reset(token)
