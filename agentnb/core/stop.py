"""Termination conditions: when a team run should end, composable with ``|`` and ``&``.

A condition sees every transcript event of a run and returns a reason (a sentence) once it
is met; it stays met until `StopCondition.reset`, which the team calls at the start of each
run. ``a | b`` stops when either is met, ``a & b`` when both are.

A condition's state is part of a run's state: `snapshot` and `restore` let checkpoints,
rewinds and forks put it back exactly (a custom condition with mutable state overrides
``_snapshot``/``_restore``; the default copies its attributes).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from agentnb.core.events import USER, Event, Handoff, TextMessage


def ends_turn(event: Event) -> bool:
    """True for the event that closes a participant's turn at the top level."""
    if event.scope:
        return False
    if isinstance(event, TextMessage):
        return event.source != USER
    return isinstance(event, Handoff)


class StopCondition:
    """Base class: implement `check` (and `_reset` if the condition keeps state)."""

    def __init__(self) -> None:
        self.reason: str | None = None

    def __call__(self, event: Event) -> str | None:
        if self.reason is None:
            self.reason = self.check(event)
        return self.reason

    def check(self, event: Event) -> str | None:
        raise NotImplementedError

    def reset(self) -> None:
        self.reason = None
        self._reset()

    def _reset(self) -> None:
        """Clear state kept between events; nothing by default."""

    def snapshot(self) -> Any:
        """This condition's state as a value that `restore` can put back."""
        return (self.reason, self._snapshot())

    def restore(self, snapshot: Any) -> None:
        self.reason, inner = snapshot
        self._restore(inner)

    def _snapshot(self) -> Any:
        return {k: copy.copy(v) for k, v in vars(self).items() if k != "reason"}

    def _restore(self, state: Any) -> None:
        vars(self).update({k: copy.copy(v) for k, v in state.items()})

    def timeouts(self) -> list[float]:
        """Seconds after which the run must be cut even mid-call (only through ``|``)."""
        return []

    def externals(self) -> list[ExternalStop]:
        """External stop switches the team should listen to."""
        return []

    def __or__(self, other: StopCondition) -> StopCondition:
        return AnyOf(self, other)

    def __and__(self, other: StopCondition) -> StopCondition:
        return AllOf(self, other)


class AnyOf(StopCondition):
    """Met as soon as any part is met (``a | b``)."""

    def __init__(self, *parts: StopCondition) -> None:
        super().__init__()
        self.parts = [p for part in parts for p in (part.parts if isinstance(part, AnyOf) else [part])]

    def check(self, event: Event) -> str | None:
        reason = None
        for part in self.parts:
            reason = part(event) or reason
        return reason

    def _reset(self) -> None:
        for part in self.parts:
            part.reset()

    def _snapshot(self) -> Any:
        return tuple(part.snapshot() for part in self.parts)

    def _restore(self, state: Any) -> None:
        for part, snapshot in zip(self.parts, state, strict=True):
            part.restore(snapshot)

    def timeouts(self) -> list[float]:
        return [t for part in self.parts for t in part.timeouts()]

    def externals(self) -> list[ExternalStop]:
        return [e for part in self.parts for e in part.externals()]

    def __repr__(self) -> str:
        return " | ".join(map(repr, self.parts))


class AllOf(StopCondition):
    """Met once every part has been met, in any order (``a & b``)."""

    def __init__(self, *parts: StopCondition) -> None:
        super().__init__()
        self.parts = [p for part in parts for p in (part.parts if isinstance(part, AllOf) else [part])]

    def check(self, event: Event) -> str | None:
        reasons = [part(event) for part in self.parts]
        if all(reasons):
            return " and ".join(r for r in reasons if r)
        return None

    def _reset(self) -> None:
        for part in self.parts:
            part.reset()

    def _snapshot(self) -> Any:
        return tuple(part.snapshot() for part in self.parts)

    def _restore(self, state: Any) -> None:
        for part, snapshot in zip(self.parts, state, strict=True):
            part.restore(snapshot)

    def externals(self) -> list[ExternalStop]:
        return [e for part in self.parts for e in part.externals()]

    def __repr__(self) -> str:
        return "(" + " & ".join(map(repr, self.parts)) + ")"


class MaxTurns(StopCondition):
    """Met after ``n`` participant turns in this run."""

    def __init__(self, n: int) -> None:
        super().__init__()
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"max_turns must be a positive integer, got {n!r}")
        self.n = n
        self.turns = 0

    def check(self, event: Event) -> str | None:
        if ends_turn(event):
            self.turns += 1
            if self.turns >= self.n:
                return f"max turns reached ({self.n})"
        return None

    def _reset(self) -> None:
        self.turns = 0

    def _snapshot(self) -> Any:
        return self.turns

    def _restore(self, state: Any) -> None:
        self.turns = state

    def __repr__(self) -> str:
        return f"MaxTurns({self.n})"


class TextMention(StopCondition):
    """Met when a participant's message contains ``text`` (optionally only from ``sources``)."""

    def __init__(self, text: str, sources: list[str] | None = None) -> None:
        super().__init__()
        if not isinstance(text, str) or not text:
            raise ValueError(f"TextMention: expected non-empty text to look for, got {text!r}")
        if sources is not None and (isinstance(sources, str) or not all(isinstance(s, str) for s in sources)):
            raise ValueError(f"TextMention sources: expected a list of participant names, got {sources!r}")
        self.text = text
        self.sources = set(sources) if sources else None

    def check(self, event: Event) -> str | None:
        if (
            isinstance(event, TextMessage)
            and not event.scope
            and event.source != USER
            and self.text in event.content
            and (self.sources is None or event.source in self.sources)
        ):
            return f"{event.source} said {self.text!r}"
        return None

    def _snapshot(self) -> Any:
        return None

    def _restore(self, state: Any) -> None:
        pass

    def __repr__(self) -> str:
        return f"TextMention({self.text!r})"


class TokenBudget(StopCondition):
    """Met when the run's model calls have used ``max_tokens`` tokens in total."""

    def __init__(self, max_tokens: int) -> None:
        super().__init__()
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens <= 0:
            raise ValueError(f"TokenBudget: expected a positive whole number of tokens, got {max_tokens!r}")
        self.max_tokens = max_tokens
        self.used = 0

    def check(self, event: Event) -> str | None:
        usage = event.__dict__.get("usage")  # (getattr on a pydantic model without it is slow)
        if usage is not None:
            self.used += usage.total_tokens
            if self.used >= self.max_tokens:
                return f"token budget used up ({self.used} of {self.max_tokens} tokens)"
        return None

    def _reset(self) -> None:
        self.used = 0

    def _snapshot(self) -> Any:
        return self.used

    def _restore(self, state: Any) -> None:
        self.used = state

    def __repr__(self) -> str:
        return f"TokenBudget({self.max_tokens})"


class Timeout(StopCondition):
    """Met ``seconds`` after the run started; the team also cuts a call in flight then."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not seconds > 0:
            raise ValueError(f"Timeout: expected a positive number of seconds, got {seconds!r}")
        self.seconds = seconds
        self.started = time.monotonic()

    def check(self, event: Event) -> str | None:
        if time.monotonic() - self.started >= self.seconds:
            return self.expired()
        return None

    def expired(self) -> str:
        return f"timed out after {self.seconds:g} s"

    def _reset(self) -> None:
        self.started = time.monotonic()

    def timeouts(self) -> list[float]:
        return [self.seconds]

    def _snapshot(self) -> Any:
        return None

    def _restore(self, state: Any) -> None:
        self.started = time.monotonic()  # a resumed run gets its full time again

    def __repr__(self) -> str:
        return f"Timeout({self.seconds:g})"


class Predicate(StopCondition):
    """Met when ``fn(event)`` returns true (or a string, used as the reason)."""

    def __init__(self, fn: Callable[[Event], bool | str], name: str | None = None) -> None:
        super().__init__()
        if not callable(fn):
            raise ValueError(f"Predicate: expected a function of an event, got {fn!r}")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "predicate")

    def check(self, event: Event) -> str | None:
        verdict = self.fn(event)
        if isinstance(verdict, str) and verdict:
            return verdict
        return f"{self.name} returned true" if verdict else None

    def _snapshot(self) -> Any:
        return None

    def _restore(self, state: Any) -> None:
        pass

    def __repr__(self) -> str:
        return f"Predicate({self.name})"


class ExternalStop(StopCondition):
    """A switch outside the run (a button, another task, a thread) can flip with `set`."""

    def __init__(self) -> None:
        super().__init__()
        self.requested: str | None = None
        self.listeners: list[Callable[[str], None]] = []

    def set(self, reason: str = "stopped from outside") -> None:
        """Ask the run to stop; a model or tool call in flight is cancelled cleanly."""
        self.requested = reason
        for listener in list(self.listeners):
            listener(reason)

    def check(self, event: Event) -> str | None:
        return self.requested

    def _reset(self) -> None:
        self.requested = None

    def externals(self) -> list[ExternalStop]:
        return [self]

    def _snapshot(self) -> Any:
        return self.requested

    def _restore(self, state: Any) -> None:
        self.requested = state

    def __deepcopy__(self, memo: dict[int, Any]) -> ExternalStop:
        return self  # one switch: a forked team listens to the same one

    def __repr__(self) -> str:
        return "ExternalStop()"
