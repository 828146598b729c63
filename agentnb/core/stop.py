"""Termination conditions: when a team run should end, composable with ``|`` and ``&``.

A condition is configuration; what it has seen of a run is a value, part of the run's
state: `start` gives the value at the start of a run, `step(value, event)` the value after
an event (a pure function: the old value is never changed), and `reason(value)` the
sentence that ends the run once the condition is met. So checkpoints, rewinds, forks and
saved runs carry a condition's progress with no code of its own.

A condition that only looks at one event at a time implements ``check(event)``; one
that counts or remembers implements `start` and `step`. Time and outside switches are not
part of a run's state: a `Timeout` is measured from the start of each ``run()`` call, and
an `ExternalStop` is read when it is flipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from agentnb.core.errors import ConfigError
from agentnb.core.events import USER, Event, Handoff, TextMessage
from agentnb.core.kinds import usage_of


class StopCondition:
    """Base class: implement `check` (stateless) or `start` and `step` (with a state)."""

    def start(self) -> Any:
        """The condition's state when a run begins: None, a count, a met reason, ..."""
        return None

    def step(self, state: Any, event: Event) -> Any:
        """The state after ``event`` (never changes ``state`` itself). Default: remember the
        first reason `check` gives."""
        return state if state is not None else self.check(event)

    def reason(self, state: Any) -> str | None:
        """Why the run ends, once the condition is met; None until then."""
        return state if isinstance(state, str) else None

    def check(self, event: Event) -> str | None:
        """For stateless conditions: a reason if ``event`` meets the condition."""
        raise NotImplementedError(
            f"{type(self).__name__}: a stop condition implements check(event), "
            "or start() and step(state, event)"
        )

    def arm(self) -> None:
        """A ``run()`` call starts: conditions on time or outside switches start afresh."""

    def timeouts(self) -> list[float]:
        """Seconds after which the run must be cut even mid-call (only through ``|``)."""
        return []

    def externals(self) -> list[ExternalStop]:
        """External stop switches the team should listen to."""
        return []

    def __call__(self, events: Iterable[Event] | Event) -> str | None:
        """The reason the condition gives after ``events`` (one event or several, from a fresh start)."""
        state = self.start()
        for event in [events] if not isinstance(events, Iterable) else events:
            state = self.step(state, event)
        return self.reason(state)

    def __or__(self, other: StopCondition) -> StopCondition:
        return AnyOf(self, other)

    def __and__(self, other: StopCondition) -> StopCondition:
        return AllOf(self, other)


class _Composite(StopCondition):
    """A condition made of parts; its state is the tuple of theirs."""

    def __init__(self, *parts: StopCondition) -> None:
        for part in parts:
            if not isinstance(part, StopCondition):
                raise ConfigError(
                    f"stop: {part!r} is not a stop condition (MaxTurns(5), TextMention('DONE'), ...)"
                )
        kind = type(self)
        self.parts = [p for part in parts for p in (part.parts if type(part) is kind else [part])]  # type: ignore[attr-defined]

    def start(self) -> Any:
        return tuple(part.start() for part in self.parts)

    def step(self, state: Any, event: Event) -> Any:
        new = tuple(part.step(s, event) for part, s in zip(self.parts, state, strict=True))
        return state if new == state else new

    def arm(self) -> None:
        for part in self.parts:
            part.arm()

    def externals(self) -> list[ExternalStop]:
        return [e for part in self.parts for e in part.externals()]


class AnyOf(_Composite):
    """Met as soon as any part is met (``a | b``); when several are met by one event, the
    reason is the last one's (``max_turns | until | stop``: the most specific)."""

    def reason(self, state: Any) -> str | None:
        for part, s in zip(reversed(self.parts), reversed(state), strict=True):
            why = part.reason(s)
            if why:
                return why
        return None

    def timeouts(self) -> list[float]:
        return [t for part in self.parts for t in part.timeouts()]

    def __repr__(self) -> str:
        return " | ".join(map(repr, self.parts))


class AllOf(_Composite):
    """Met once every part has been met, in any order (``a & b``)."""

    def reason(self, state: Any) -> str | None:
        reasons = [part.reason(s) for part, s in zip(self.parts, state, strict=True)]
        return " and ".join(reasons) if all(reasons) else None  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return "(" + " & ".join(map(repr, self.parts)) + ")"


def whole_number(value: Any, what: str, low: int = 1) -> int:
    """``value`` if it is an int >= ``low``, else a `ConfigError` naming ``what``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        wanted = "a positive whole number" if low == 1 else f"a whole number >= {low}"
        raise ConfigError(f"{what}: expected {wanted}, got {value!r}")
    return value


class MaxTurns(StopCondition):
    """Met after ``n`` participant turns in this run."""

    def __init__(self, n: int) -> None:
        self.n = whole_number(n, "MaxTurns")

    def start(self) -> int:
        return 0

    def step(self, state: int, event: Event) -> int:
        kind = event.__class__  # (is_turn_end, inline: this runs for every event)
        if event.scope or (kind is not TextMessage and kind is not Handoff):
            return state
        return state + 1 if kind is Handoff or event.source != USER else state

    def reason(self, state: int) -> str | None:
        return f"max turns reached ({self.n})" if state >= self.n else None

    def __repr__(self) -> str:
        return f"MaxTurns({self.n})"


def names(value: Any, what: str) -> list[str]:
    """A participant name or a list of them, as a list (a single name is accepted as is)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{what}: expected a participant name or a list of names, got {value!r}")


class TextMention(StopCondition):
    """Met when a participant's message contains ``text`` (optionally only from ``sources``:
    a name or a list of names)."""

    def __init__(self, text: str, sources: str | Iterable[str] | None = None) -> None:
        if not isinstance(text, str) or not text:
            raise ConfigError(f"TextMention: expected non-empty text to look for, got {text!r}")
        self.text = text
        self.sources = set(names(sources, "TextMention sources")) if sources is not None else None

    def check(self, event: Event) -> str | None:
        if (
            event.__class__ is TextMessage
            and not event.scope
            and event.source != USER
            and self.text in event.content  # type: ignore[attr-defined]
            and (self.sources is None or event.source in self.sources)
        ):
            return f"{event.source} said {self.text!r}"
        return None

    def __repr__(self) -> str:
        sources = "" if self.sources is None else f", sources={sorted(self.sources)!r}"
        return f"TextMention({self.text!r}{sources})"


class TokenBudget(StopCondition):
    """Met when the run's model calls have used ``max_tokens`` tokens in total."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = whole_number(max_tokens, "TokenBudget")

    def start(self) -> int:
        return 0

    def step(self, state: int, event: Event) -> int:
        usage = usage_of(event)
        return state + usage.total_tokens if usage is not None else state

    def reason(self, state: int) -> str | None:
        if state >= self.max_tokens:
            return f"token budget used up ({state} of {self.max_tokens} tokens)"
        return None

    def __repr__(self) -> str:
        return f"TokenBudget({self.max_tokens})"


class Timeout(StopCondition):
    """Met ``seconds`` after a ``run()`` call started; the team also cuts a call in flight then.

    Time is not part of a run's state: a resumed or forked run gets its full time again.
    """

    def __init__(self, seconds: float) -> None:
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not seconds > 0:
            raise ConfigError(f"Timeout: expected a positive number of seconds, got {seconds!r}")
        self.seconds = seconds
        self.started = time.monotonic()

    def arm(self) -> None:
        self.started = time.monotonic()

    def step(self, state: Any, event: Event) -> Any:
        return state

    def reason(self, state: Any) -> str | None:
        return self.expired() if time.monotonic() - self.started >= self.seconds else None

    def expired(self) -> str:
        return f"timed out after {self.seconds:g} s"

    def timeouts(self) -> list[float]:
        return [self.seconds]

    def __repr__(self) -> str:
        return f"Timeout({self.seconds:g})"


class Predicate(StopCondition):
    """Met when ``fn(event)`` returns true (or a string, used as the reason)."""

    def __init__(self, fn: Callable[[Event], bool | str], name: str | None = None) -> None:
        if not callable(fn):
            raise ConfigError(f"Predicate: expected a function of an event, got {fn!r}")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "predicate")

    def check(self, event: Event) -> str | None:
        verdict = self.fn(event)
        if isinstance(verdict, str) and verdict:
            return verdict
        return f"{self.name} returned true" if verdict else None

    def __repr__(self) -> str:
        return f"Predicate({self.name})"


class ExternalStop(StopCondition):
    """A switch outside the run (a button, another task, a thread) can flip with `set`."""

    def __init__(self) -> None:
        self.requested: str | None = None
        self.listeners: list[Callable[[str], None]] = []

    def set(self, reason: str = "stopped from outside") -> None:
        """Ask the run to stop; a model or tool call in flight is cancelled cleanly."""
        self.requested = reason
        for listener in list(self.listeners):
            listener(reason)

    def arm(self) -> None:
        self.requested = None

    def step(self, state: Any, event: Event) -> Any:
        return state

    def reason(self, state: Any) -> str | None:
        return self.requested

    def externals(self) -> list[ExternalStop]:
        return [self]

    def __deepcopy__(self, memo: dict[int, Any]) -> ExternalStop:
        return self  # one switch: a forked team listens to the same one

    def __repr__(self) -> str:
        return "ExternalStop()"


def build_condition(until: Any, stop: Any, max_turns: Any) -> StopCondition:
    """``max_turns`` | ``until`` | ``stop``, each checked, with errors naming the argument."""
    condition: StopCondition = MaxTurns(whole_number(max_turns, "max_turns"))
    if isinstance(until, str):
        if not until:
            raise ConfigError("until: give the text that ends the run, e.g. until='APPROVED'")
        condition = condition | TextMention(until)
    elif isinstance(until, StopCondition):
        condition = condition | until
    elif until is not None:
        raise ConfigError(
            f"until: expected the text that ends the run (e.g. 'APPROVED') or a stop condition, got {until!r}"
        )
    if stop is not None:
        if not isinstance(stop, StopCondition):
            hint = f"; for text, write until={stop!r}" if isinstance(stop, str) else ""
            raise ConfigError(
                "stop: expected a stop condition such as MaxTurns(5) | TextMention('DONE'), "
                f"got {stop!r}{hint}"
            )
        condition = condition | stop
    return condition
