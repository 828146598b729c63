"""A team's run state as one value, and the checkpoints built on it.

Everything a team's next step depends on besides its transcript — where the current run
began, its turn count and token usage, the stop condition's state, the speaker policy's
state (round-robin position, handoff floor, graph or plan progress), how far each nested
team has got — is a fold over the transcript: recording an event updates it, and nothing
else does. So the state after any event can be rebuilt from the events, and a checkpoint
is just a position in the transcript.

To keep rebuilding cheap whatever the length, a `SnapshotStore` keeps the folded state
every `SNAPSHOT_EVERY` events; the state at checkpoint ``k`` is the nearest snapshot at or
before ``k`` with at most that many events folded on top. Snapshots are shared between a
team and its forks, like the transcript itself.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentnb.core.errors import CheckpointError
from agentnb.core.events import Event, TextMessage

if TYPE_CHECKING:
    from agentnb.core.team import Team

SNAPSHOT_EVERY = 64


@dataclass(slots=True)
class RunState:
    """The run-level part of a team's state (the rest lives in its policy and condition)."""

    run_start: int | None = None  # transcript index of the open run's first event; None between runs
    turns: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    stop_reason: str = ""
    nested: dict[str, int] = field(default_factory=dict)  # events each nested team has recorded
    open_turn: str | None = None  # a speaker whose turn began and has not ended

    def copy(self) -> RunState:
        return RunState(
            self.run_start,
            self.turns,
            self.prompt_tokens,
            self.completion_tokens,
            self.stop_reason,
            dict(self.nested),
            self.open_turn,
        )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The whole folded state after ``index`` events."""

    index: int
    run: RunState
    condition: Any
    policy: Any


class SnapshotStore:
    """Snapshots by transcript position; a fork reads its parent's up to where it forked."""

    def __init__(self, parent: SnapshotStore | None = None, cutoff: int = 0) -> None:
        self.parent = parent
        self.cutoff = cutoff
        self.indexes: list[int] = []
        self.snapshots: list[Snapshot] = []

    def put(self, snapshot: Snapshot) -> None:
        """Record a snapshot; any of ours at or after its position belong to a rewound future."""
        cut = bisect.bisect_left(self.indexes, snapshot.index)
        if cut < len(self.indexes):
            del self.indexes[cut:], self.snapshots[cut:]
        self.indexes.append(snapshot.index)
        self.snapshots.append(snapshot)

    def nearest(self, k: int) -> Snapshot | None:
        """The latest snapshot at or before position ``k``."""
        i = bisect.bisect_right(self.indexes, k) - 1
        if i >= 0:  # our own snapshots all lie after the fork point, so they are the nearest
            return self.snapshots[i]
        if self.parent is not None:
            return self.parent.nearest(min(k, self.cutoff))
        return None

    def fork(self, k: int) -> SnapshotStore:
        """A store for a team that continues from position ``k``."""
        return SnapshotStore(self, k)

    def truncate(self, k: int) -> None:
        """Forget snapshots after position ``k`` (after a rewind)."""
        cut = bisect.bisect_right(self.indexes, k)
        if cut < len(self.indexes):
            del self.indexes[cut:], self.snapshots[cut:]
        if self.parent is not None and k < self.cutoff:
            self.cutoff = k


@dataclass(frozen=True)
class Checkpoint:
    """The team as it was after its first ``index`` events (``event`` is the last of them)."""

    index: int
    event: Event | None
    run: RunState

    @property
    def turn(self) -> int:
        return self.run.turns

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
    rebuilt from the transcript when asked for.
    """

    def __init__(self, team: Team) -> None:
        self._team = team

    def __len__(self) -> int:
        return len(self._team.transcript) + 1

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        index = self._team._checkpoint_index(k)
        event = self._team.transcript[index - 1] if index else None
        return Checkpoint(index, event, self._team._run_state_at(index))

    def __iter__(self) -> Iterator[Checkpoint]:
        for k in range(len(self)):
            yield self[k]

    def find(
        self, *, source: str | None = None, contains: str | None = None, kind: type | None = None
    ) -> list[int]:
        """Positions just before the events that match (pass one to `rewind` to redo that event)."""
        found = []
        for i, event in enumerate(self._team.transcript):
            if source is not None and event.source != source:
                continue
            if kind is not None and not isinstance(event, kind):
                continue
            if contains is not None and contains not in getattr(event, "content", ""):
                continue
            found.append(i)
        return found

    def __repr__(self) -> str:
        return f"<{len(self)} checkpoints of team {self._team.name!r}: 0 … {len(self) - 1}>"


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
