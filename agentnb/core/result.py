"""What a run returns: `TeamResult`, and `PendingRun`, the coroutine `Team.run` hands back.

Kept apart from the team so views, errors and evals can use a result without the run loop.
"""

from __future__ import annotations

import collections.abc
import json
import warnings
from collections.abc import Coroutine, Generator
from dataclasses import dataclass, field
from typing import Any

from agentnb.core import plugins
from agentnb.core.events import (
    USER,
    Event,
    SpeakerSelected,
    StepStarted,
    Stop,
    TextMessage,
    Usage,
    events_to_data,
)
from agentnb.core.kinds import PRICED
from agentnb.core.structured import parse_data


@dataclass(eq=False)
class TeamResult(plugins.Displayed):
    """What a run produced: its events, the final answer, token usage and why it stopped.

    ``participants`` are the team's participant names in order (views use them, e.g. to
    give each agent its own colour); ``start`` is where the run begins in the team's
    transcript (the checkpoint number of its first event). Shown in a notebook, it is the
    chat; ``print(result)`` gives the chat as text.
    """

    task: str | None
    messages: list[Event]
    final: str | None = None
    output: Any = None  # the last structured reply, validated (not saved)
    usage: Usage = field(default_factory=Usage)
    stop_reason: str = ""
    turns: int = 0
    participants: list[str] = field(default_factory=list)
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

    def trace(self, **options: Any) -> Any:
        """The run as a trace of spans: who did what, how long it took, what it cost.

        Shown in the notebook with its content (messages, tool arguments); exports include
        content only when asked (``capture_content=True``).
        """
        return plugins.trace_of(self.messages, **{"capture_content": True, **options})

    def to_json(self) -> str:
        """The result as JSON text (everything but ``output``, which is code's object)."""
        data = {
            "task": self.task,
            "messages": events_to_data(self.messages),
            "final": self.final,
            "usage": {
                "prompt_tokens": self.usage.prompt_tokens,
                "completion_tokens": self.usage.completion_tokens,
            },
            "stop_reason": self.stop_reason,
            "turns": self.turns,
            "participants": self.participants,
            "start": self.start,
        }
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> TeamResult:
        """A result read back from `to_json`."""
        from agentnb.core.events import event_from_data

        data = json.loads(text)
        data["messages"] = [event_from_data(e) for e in data["messages"]]
        data["usage"] = Usage(**data["usage"])
        return cls(**data)


def result_of(events: list[Event], team: Any, start: int) -> TeamResult:
    """The result of the run whose events are ``events`` (from position ``start``; the result keeps
    the list as its ``messages``); never raises.

    It runs at the end of every run: one forward pass sums the usage and collects the tasks, and
    the rest is read backwards from the end, only as far as it must (`_latest`)."""
    tasks = []
    prompt = completion = 0
    for event in events:
        kind = event.__class__
        if kind in PRICED:
            usage = event.usage  # type: ignore[attr-defined]
            if usage is not None:
                prompt += usage.prompt_tokens
                completion += usage.completion_tokens
            if event.source == USER and kind is TextMessage and not event.scope:
                tasks.append(event.content)  # type: ignore[attr-defined]
    reply, turns, stop_reason = _latest(events)
    return TeamResult(
        task="\n\n".join(tasks) if tasks else None,
        messages=events,
        final=reply.content if reply is not None else None,
        output=_output_of(reply, team) if reply is not None else None,
        usage=Usage(prompt_tokens=prompt, completion_tokens=completion),
        stop_reason=stop_reason,
        turns=turns,
        participants=list(team.names),
        start=start,
    )


def _latest(events: list[Event]) -> tuple[TextMessage | None, int, str]:
    """Read backwards: the last top-level reply, the turn count (the last `SpeakerSelected`'s
    number plus the `StepStarted` after it) and the last `Stop`'s reason (a finished run's last event)."""
    reply: TextMessage | None = None
    turns = steps = 0
    reason = ""
    want_reply = want_turn = stopped = True
    for event in reversed(events):
        if event.scope:
            continue
        kind = event.__class__
        if kind is TextMessage:
            if want_reply and event.source != USER:
                reply, want_reply = event, False  # type: ignore[assignment]
        elif kind is SpeakerSelected:
            if want_turn:
                turns, want_turn = event.turn + steps, False  # type: ignore[attr-defined]
        elif kind is StepStarted:
            steps += want_turn
        elif kind is Stop and stopped:
            reason, stopped = event.reason, False  # type: ignore[attr-defined]
        if not (want_reply or want_turn or stopped):
            break
    return reply, turns if not want_turn else steps, reason


def _output_of(event: TextMessage, team: Any) -> Any:
    """The validated object behind a structured reply (validated from its JSON data)."""
    try:
        participant = team.participant(event.source)
    except KeyError:
        return None
    output_type = getattr(participant, "output_type", None)
    return parse_data(output_type, event.data) if output_type is not None else None


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
