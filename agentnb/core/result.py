"""What a run returns: `TeamResult`, and `PendingRun`, the coroutine `Team.run` hands back.

Kept apart from `team.py` so renderers, errors and views can import them without importing
the team loop (and so nothing imports in a circle).
"""

from __future__ import annotations

import collections.abc
import warnings
from collections.abc import Coroutine, Generator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from agentnb.core.events import Event, TextMessage, Usage

if TYPE_CHECKING:
    from agentnb.trace import Trace


class TeamResult(BaseModel):
    """What a run produced: its events, the final answer, token usage and why it stopped.

    ``participants`` are the team's participant names in order (views use them, e.g. to
    give each agent its own colour); ``start`` is where the run begins in the team's
    transcript (the checkpoint number of its first event).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    task: str | None
    messages: list[Event]
    final: str | None = None
    output: Any = Field(default=None, exclude=True)  # the last structured reply, validated
    usage: Usage = Usage()
    stop_reason: str = ""
    turns: int = 0
    participants: list[str] = Field(default_factory=list)
    start: int = 0

    def __repr__(self) -> str:
        final = self.final
        if final is not None and len(final) > 60:
            final = final[:60] + "…"
        return (
            f"TeamResult(turns={self.turns}, stop_reason={self.stop_reason!r}, final={final!r}, "
            f"messages=[{len(self.messages)} events], usage={self.usage.total_tokens} tokens)"
        )

    def chat(self) -> list[TextMessage]:
        """Only the text messages of the top-level conversation."""
        return [m for m in self.messages if isinstance(m, TextMessage) and not m.scope]

    def trace(self, **options: Any) -> Trace:
        """The run as a trace of spans: who did what, how long it took, what it cost.

        Shown in the notebook with its content (messages, tool arguments); exports include
        content only when asked (``capture_content=True``).
        """
        from agentnb.trace import Trace

        return Trace.from_events(self.messages, **{"capture_content": True, **options})

    def __str__(self) -> str:
        from agentnb.views.chat import render_text

        return render_text(self.messages)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from agentnb.views.chat import result_mimebundle

        return result_mimebundle(self)


class PendingRun(collections.abc.Coroutine):
    """What `Team.run` returns: a coroutine to await (or hand to ``asyncio.create_task``).

    Shown un-awaited in a notebook, it explains what to do instead of failing silently.
    """

    def __init__(self, coro: Coroutine[Any, Any, TeamResult], team_name: str) -> None:
        self._coro = coro
        self._team_name = team_name
        self._awaited = False

    def __await__(self) -> Generator[Any, None, TeamResult]:
        self._awaited = True
        return self._coro.__await__()

    def send(self, value: Any) -> Any:
        self._awaited = True
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        return self._coro.throw(*args)

    def close(self) -> None:
        self._awaited = True
        self._coro.close()

    def hint(self) -> str:
        return (
            f"This run of team {self._team_name!r} has not started: write "
            "`result = await team.run(...)` in a notebook or async code, or call "
            "`team.run_sync(...)` anywhere."
        )

    def __repr__(self) -> str:
        return f"<PendingRun: {self.hint()}>"

    def _repr_markdown_(self) -> str:
        return f"**Not started.** {self.hint()}"

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"PendingRun has no attribute {name!r}. {self.hint()}")

    def __del__(self) -> None:
        if not self._awaited:
            self._coro.close()
            warnings.warn(self.hint(), RuntimeWarning, stacklevel=2)
