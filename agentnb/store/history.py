"""A stored run as a team's `History`, without reading the whole run.

Resuming reads the run's latest snapshot of the state and folds the few events after it
(at most `SNAPSHOT_EVERY`); the transcript is the stored events, read in chunks when they are
first used (`StoredEvents`), and the other snapshots are read when a checkpoint needs them
(`StoredSnapshots`). So a run of 100,000 events resumes in milliseconds, and time travel
works on it like on any history: a checkpoint is still the nearest snapshot, folded forward.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, overload

from agentnb.core.errors import StoreError
from agentnb.core.events import Event
from agentnb.core.state import Fold, History, RunState, Sink
from agentnb.core.transcript import Transcript
from agentnb.store.codec import Damaged, state_of

CHUNK = 1024  # events read from the store at a time


class Source(Protocol):
    """A stored run's events and snapshots (`agentnb.store.base.StoredRun` is one)."""

    id: str
    length: int

    def events(self, start: int, stop: int) -> list[Event]: ...

    def snapshot_positions(self) -> list[tuple[int, int, str]]: ...

    def snapshot_text(self, key: int, position: int) -> str: ...


class StoredEvents(Sequence[Event]):
    """A stored run's first ``length`` events, read a chunk at a time when first used."""

    __slots__ = ("_chunks", "_length", "_source")

    def __init__(self, source: Source, length: int) -> None:
        self._source, self._length = source, length
        self._chunks: dict[int, list[Event]] = {}

    def __len__(self) -> int:
        return self._length

    def _chunk(self, number: int) -> list[Event]:
        chunk = self._chunks.get(number)
        if chunk is None:
            start = number * CHUNK
            chunk = self._chunks[number] = self._source.events(start, min(self._length, start + CHUNK))
        return chunk

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._length)
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            out: list[Event] = []
            while start < stop:
                number, offset = divmod(start, CHUNK)
                piece = self._chunk(number)[offset : offset + stop - start]
                out.extend(piece)
                start += len(piece)
            return out
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(f"event {index} out of range (the stored run has {self._length})")
        number, offset = divmod(index, CHUNK)
        return self._chunk(number)[offset]

    def __iter__(self) -> Iterator[Event]:
        for number in range((self._length + CHUNK - 1) // CHUNK):
            yield from self._chunk(number)


class _Unread:
    """A stored snapshot not read yet: where it is, and whether the same fold made it."""

    __slots__ = ("exact", "key")

    def __init__(self, key: int, exact: bool) -> None:
        self.key, self.exact = key, exact


class StoredSnapshots(Sequence[tuple[int, RunState]]):
    """A history's (index, state) snapshots, the stored ones read when first used."""

    __slots__ = ("_items", "_load")

    def __init__(self, items: list[tuple[int, Any]], load: Callable[[_Unread, int], RunState]) -> None:
        self._items, self._load = items, load

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> tuple[int, RunState]: ...

    @overload
    def __getitem__(self, index: slice) -> StoredSnapshots: ...

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return StoredSnapshots(self._items[index], self._load)
        position, state = self._items[index]
        if state.__class__ is _Unread:
            state = self._load(state, position)
            self._items[index] = (position, state)
        return position, state

    def append(self, item: tuple[int, RunState]) -> None:
        self._items.append(item)


def stored_history(source: Source, fold: Fold, signature: str, sink: Sink) -> History:
    """The history of ``source`` for a team whose fold is ``fold`` (``signature``: its mode, a
    line break, its stop condition), writing on through ``sink``.

    Snapshots made by another mode are not used. Those made with other stop conditions are:
    the condition's part of the state only counts within a run, so it is made afresh — from
    the events of the run open at the snapshot, if one is.
    """
    condition = fold.condition
    length = source.length
    events = StoredEvents(source, length)

    def load(where: _Unread, position: int) -> RunState:
        try:
            state = state_of(source.snapshot_text(where.key, position))
        except Damaged as exc:
            raise StoreError(
                f"run {source.id!r}: its snapshot after event {position} is damaged: {exc}"
            ) from None
        if not isinstance(state, RunState):
            raise StoreError(f"run {source.id!r}: its snapshot after event {position} is not a run's state")
        if not where.exact:
            stop = condition.start()
            if state.run_start is not None:
                for event in events[state.run_start : position]:
                    stop = condition.step(stop, event)
            state = state._replace(stop=stop)
        return state

    history = History(fold, sink)
    mode = signature.partition("\n")[0]
    stored = [
        (position, _Unread(key, made == signature))
        for key, position, made in source.snapshot_positions()
        if position <= length and made.partition("\n")[0] == mode
    ]
    snapshots = StoredSnapshots([(0, history.state), *stored], load)
    index, state = snapshots[-1]
    step = fold.step
    for offset, event in enumerate(events[index:length]):
        state = step(state, event, index + offset)
    history.transcript = Transcript.over(events)
    history.size = length
    history.snapshots = snapshots
    history.state = state
    return history
