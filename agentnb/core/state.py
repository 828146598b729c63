"""A run's state as one value, the pure fold that computes it, and time travel on top.

Everything a team's next step depends on besides its transcript — where the open run
began, its turn count and token usage, the stop condition's progress, the mode's (round-
robin position, handoff floor, graph or plan progress), how far each nested team has got,
whose turn is cut off — is one immutable `RunState`, and `Fold.step(state, event)` is the
only way a new one is made. So the state after any event can be rebuilt from the events,
and a checkpoint is (index, state): reading one builds no team.

`History` keeps a transcript, the state after its last event, and a snapshot of the state
every `SNAPSHOT_EVERY` events, so the state at any checkpoint costs at most that many folds.
A history may have a ``sink``: a run store that is told every event as it is recorded
(`agentnb.core.durable`), so a run is written as it happens.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple, Protocol

from agentnb.core.errors import CheckpointError
from agentnb.core.events import USER, Event, Handoff, SpeakerSelected, StepStarted, Stop, TextMessage
from agentnb.core.kinds import EPHEMERAL, PRICED
from agentnb.core.transcript import Transcript

SNAPSHOT_EVERY = 64
_position = itemgetter(0)  # a snapshot's position: (index, state)[0]


class RunState(NamedTuple):
    """The state of a team after some events (immutable; see `Fold`)."""

    run_start: int | None = None  # index of the open run's first event; None between runs
    turns: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    stop_reason: str = ""  # why the last run ended ("" while one is open)
    open_turn: str | None = None  # a speaker whose turn began and has not ended
    fresh: bool = False  # that turn was announced and has produced nothing yet (a pause before it)
    stop: Any = None  # the stop condition's state in the open run
    mode: Any = None  # the mode's state (its own value)
    nested: tuple[tuple[str, int], ...] = ()  # how many events each nested team has recorded
    waiting: bool = False  # the last run ended waiting for a person

    @property
    def running(self) -> bool:
        """A run is open (it began and has not stopped): ``run()`` goes on with it."""
        return self.run_start is not None

    def nested_count(self, name: str) -> int:
        return next((n for child, n in self.nested if child == name), 0)


_new_state = tuple.__new__


class Fold:
    """How events change a team's state: its stop condition's step, its mode's, and the run's.

    Each part's step is called only for the event kinds it ``reads`` (`StopCondition.reads`,
    `agentnb.core.modes.base.Mode.reads`); for the others its state stays as it is.
    """

    __slots__ = ("condition", "mode", "mode_reads", "mode_step", "stop_reads", "stop_step")

    def __init__(self, condition: Any, mode: Any) -> None:
        self.condition, self.mode = condition, mode
        self.stop_step, self.stop_reads = condition.step, condition.reads
        self.mode_step, self.mode_reads = mode.step, mode.reads

    def initial(self) -> RunState:
        return RunState(mode=self.mode.initial())

    def step(self, s: RunState, event: Event, index: int) -> RunState:
        """The state after ``event``, the transcript's event number ``index``."""
        run_start, turns, prompt, completion, reason, open_turn, fresh, stop, mode, nested, waiting = s
        kind = event.__class__
        if (kind is TextMessage or kind is SpeakerSelected) and run_start is not None and not event.scope:
            usage = event.usage  # type: ignore[attr-defined]  # (the usual events of an open run: a short path)
            if usage is not None:
                prompt += usage.prompt_tokens
                completion += usage.completion_tokens
            if kind is SpeakerSelected:
                turns, open_turn, fresh = event.turn, event.speaker, True  # type: ignore[attr-defined]
            elif open_turn is not None and event.source != USER:  # the turn ended
                open_turn, fresh = None, False
        else:
            if run_start is None:  # the first event of a run opens it (a turn paused before it counts)
                run_start, turns, prompt, completion, reason, waiting = (
                    index,
                    int(open_turn is not None),
                    0,
                    0,
                    "",
                    False,
                )
                stop, mode = self.condition.start(), self.mode.begin(mode)
            if kind in PRICED:
                usage = event.usage  # type: ignore[attr-defined]
                if usage is not None:
                    prompt += usage.prompt_tokens
                    completion += usage.completion_tokens
            scope = event.scope
            if scope:
                child = scope.split("/", 1)[0]
                nested = (*((c, n) for c, n in nested if c != child), (child, s.nested_count(child) + 1))
            elif kind is SpeakerSelected:
                turns, open_turn, fresh = event.turn, event.speaker, True  # type: ignore[attr-defined]
            elif kind is StepStarted:
                turns += 1  # in plan mode every step attempt is a turn
            elif open_turn is not None:
                if (kind is TextMessage and event.source != USER) or kind is Handoff:  # the turn ended
                    open_turn, fresh = None, False
                elif kind is not Stop and event.source != USER:
                    fresh = False
        reads = self.stop_reads
        if reads is None or kind in reads:
            stop = self.stop_step(stop, event)
        reads = self.mode_reads
        if reads is None or kind in reads:
            mode = self.mode_step(mode, event)
        if kind is Stop and not event.scope:
            reason, waiting = event.reason, event.waiting  # type: ignore[attr-defined]
            run_start = None
            # A turn cut off part-way is over; one paused before it began goes first next time,
            # and so does one that waits for a person (its calls run once they decide).
            if not fresh and not waiting:
                open_turn = None
        values = (run_start, turns, prompt, completion, reason, open_turn, fresh, stop, mode, nested, waiting)
        return _new_state(RunState, values)  # (tuple.__new__: a NamedTuple's own __new__ is a Python call)

    def reason(self, s: RunState) -> str | None:
        """Why the open run must end now (its stop condition is met), if it must."""
        return self.condition.reason(s.stop) if s.run_start is not None else None


class Sink(Protocol):
    """Where a history's events go as they are recorded: a stored run's writer (`agentnb.store`)."""

    def add(self, index: int, event: Event, state: RunState) -> None:
        """Event ``index`` was recorded and the state is now ``state`` (written soon, in a batch)."""

    def branch(self, k: int) -> Sink:
        """The writer of a new run that shares this one's first ``k`` events (a rewind or a fork)."""
        ...


class History:
    """A transcript, the state after its last event, snapshots for time travel, and a ``sink``."""

    __slots__ = ("fold", "sink", "size", "snapshots", "state", "transcript")

    def __init__(self, fold: Fold, sink: Sink | None = None) -> None:
        self.fold = fold
        self.transcript = Transcript()
        self.size = 0  # len(transcript), kept: recording is the hot path
        self.state = fold.initial()
        self.snapshots: Any = [(0, self.state)]  # (index, state) pairs, by index (a list, or a stored run's)
        self.sink = sink

    def record(self, event: Event) -> Event:
        """Append an event and fold it into the state (token deltas are not kept)."""
        if event.__class__ not in EPHEMERAL:
            index = self.size
            self.transcript.append(event)
            self.size = index + 1
            self.state = state = self.fold.step(self.state, event, index)
            if self.size % SNAPSHOT_EVERY == 0:
                self.snapshots.append((self.size, state))
            if self.sink is not None:
                self.sink.add(index, event, state)
        return event

    def state_at(self, k: int) -> RunState:
        """The state after the first ``k`` events: the nearest snapshot, folded forward."""
        if k == len(self.transcript):
            return self.state
        i = bisect.bisect_right(self.snapshots, k, key=_position) - 1
        index, state = self.snapshots[i]
        step = self.fold.step
        for offset, event in enumerate(self.transcript[index:k]):
            state = step(state, event, index + offset)
        return state

    def prefix(self, k: int, fold: Fold | None = None) -> History:
        """A history of the first ``k`` events, sharing them (for rewinds and forks).

        A stored history's copy is a new stored run that shares those events with this one.
        """
        copy = History.__new__(History)
        copy.fold = fold or self.fold
        copy.state = self.state_at(k)
        copy.transcript = self.transcript.prefix(k)
        copy.size = k
        copy.snapshots = self.snapshots[: bisect.bisect_right(self.snapshots, k, key=_position)]
        copy.sink = None if self.sink is None else self.sink.branch(k)
        return copy


@dataclass(frozen=True)
class Checkpoint:
    """The team as it was after its first ``index`` events (``event`` is the last of them)."""

    index: int
    event: Event | None
    state: RunState

    @property
    def turn(self) -> int:
        return self.state.turns

    @property
    def run(self) -> RunState:
        return self.state

    def label(self) -> str:
        event = self.event
        if event is None:
            return f"#{self.index}: the start"
        what = type(event).__name__
        if isinstance(event, TextMessage):
            text = " ".join(event.content.split())
            what = f"{event.source}: {text[:50] + '…' if len(text) > 50 else text}"
        else:
            what = f"{what} from {event.source}"
        return f"#{self.index}: after {what}"

    def __repr__(self) -> str:
        return f"Checkpoint({self.label()!r})"


class Checkpoints(Sequence[Checkpoint]):
    """``team.checkpoints``: one after every transcript event, plus the start (number 0).

    ``team.checkpoints[k]`` is the team after its first ``k`` events; rewind or fork to it
    with ``team.rewind(k)`` / ``team.fork(k)``. Nothing is stored per checkpoint: each is
    rebuilt from the nearest snapshot when asked for.
    """

    def __init__(self, history: History, owner: str = "team") -> None:
        self._history = history
        self._owner = owner

    def __len__(self) -> int:
        return len(self._history.transcript) + 1

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        index = check_index(k, len(self._history.transcript))
        event = self._history.transcript[index - 1] if index else None
        return Checkpoint(index, event, self._history.state_at(index))

    def __iter__(self) -> Iterator[Checkpoint]:
        for k in range(len(self)):
            yield self[k]

    def find(
        self, *, source: str | None = None, contains: str | None = None, kind: type | None = None
    ) -> list[int]:
        """Positions just before the events that match (pass one to `rewind` to redo that event)."""
        found = []
        for i, event in enumerate(self._history.transcript):
            if source is not None and event.source != source:
                continue
            if kind is not None and not isinstance(event, kind):
                continue
            if contains is not None and contains not in getattr(event, "content", ""):
                continue
            found.append(i)
        return found

    def __repr__(self) -> str:
        return f"<{len(self)} checkpoints of {self._owner}: 0 … {len(self) - 1}>"


def check_index(k: Any, length: int) -> int:
    """A checkpoint number (negative counts from the end) as a position 0..length."""
    if isinstance(k, Checkpoint):
        k = k.index
    if not isinstance(k, int) or isinstance(k, bool):
        raise CheckpointError(f"checkpoint: expected a number 0..{length}, got {k!r}")
    index = k + length + 1 if k < 0 else k
    if not 0 <= index <= length:
        raise CheckpointError(
            f"checkpoint {k} does not exist: this team has checkpoints 0 (the start) to {length} "
            "(after its last event); negative numbers count from the end"
        )
    return index
