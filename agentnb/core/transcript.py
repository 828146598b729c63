"""Transcript: a team's events in order, append-only, with history shared between versions.

A rewind or a fork does not copy the events before it: the new transcript reads the
first ``k`` events of the older one and keeps its own list for new events. A version is a
tuple of segments — slices of append-only lists — so no list is ever truncated or changed
in place, and every version stays valid however the others grow. Taking a prefix costs
O(segments), appending O(1), reading an event O(log segments); nothing is recursive, so a
fork of a fork of a fork ... a thousand deep reads as fast as the first.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, overload

from agentnb.core.events import Event


class Transcript(Sequence[Event]):
    """The events of a conversation; build new versions with `prefix`, never by editing."""

    __slots__ = ("_base", "_counts", "_lists", "_own", "_starts", "append")

    def __init__(self, events: Iterable[Event] = ()) -> None:
        self._lists: tuple[Sequence[Event], ...] = ()  # shared segments, oldest first
        self._counts: tuple[int, ...] = ()  # how many events of each segment belong to this version
        self._starts: tuple[int, ...] = ()  # the index of each segment's first event
        self._own: list[Event] = list(events)
        self._base = 0  # how many events the shared segments hold (fixed for a version)
        self.append: Callable[[Event], None] = self._own.append
        """Add an event at the end (the list's own ``append``: recording an event costs no call more)."""

    def __getstate__(self) -> tuple[Any, ...]:
        return self._lists, self._counts, self._starts, self._own, self._base

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        """A copy or an unpickled transcript appends to its own list (not the original's)."""
        self._lists, self._counts, self._starts, self._own, self._base = state
        self.append = self._own.append

    @classmethod
    def over(cls, events: Sequence[Event]) -> Transcript:
        """A transcript whose first events are ``events``, read in place and never changed
        (a stored run's, loaded as they are read); new events go to a list of its own."""
        view = cls()
        if len(events):
            view._lists, view._counts, view._starts = (events,), (len(events),), (0,)
            view._base = len(events)
        return view

    def __len__(self) -> int:
        return self._base + len(self._own)

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return list(self)[index]
            return self._range(start, stop)
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"transcript index {index} out of range (it has {n} events)")
        base = self._base
        if index >= base:
            return self._own[index - base]
        i = bisect.bisect_right(self._starts, index) - 1
        return self._lists[i][index - self._starts[i]]

    def _range(self, start: int, stop: int) -> list[Event]:
        """Events ``start`` to ``stop`` (already clipped), oldest first."""
        if start >= stop:
            return []
        base = self._base
        if start >= base:
            return self._own[start - base : stop - base]
        out: list[Event] = []
        i = bisect.bisect_right(self._starts, start) - 1
        while i < len(self._lists) and self._starts[i] < stop:
            first = self._starts[i]
            out.extend(self._lists[i][max(start, first) - first : min(stop, first + self._counts[i]) - first])
            i += 1
        if stop > base:
            out.extend(self._own[: stop - base])
        return out

    def __iter__(self) -> Iterator[Event]:
        for items, count in zip(self._lists, self._counts, strict=True):
            yield from items[:count] if count < len(items) else items
        yield from self._own

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Transcript({len(self)} events)"

    def since(self, start: int) -> list[Event]:
        """The events from position ``start`` on (the recent ones: what incremental readers need)."""
        if start >= self._base:
            return self._own[start - self._base :]
        return self._range(start, len(self))

    def extend(self, events: Iterable[Event]) -> None:
        self._own.extend(events)

    def prefix(self, k: int) -> Transcript:
        """A new transcript holding this one's first ``k`` events, sharing them."""
        n = len(self)
        if not 0 <= k <= n:
            raise IndexError(f"cannot take the first {k} events of a transcript of {n}")
        lists: list[Sequence[Event]] = list(self._lists)
        counts, starts = list(self._counts), list(self._starts)
        if self._own:
            lists.append(self._own)
            counts.append(len(self._own))
            starts.append(self._base)
        keep = bisect.bisect_left(starts, k)  # segments that start before k
        lists, counts, starts = lists[:keep], counts[:keep], starts[:keep]
        if lists:
            counts[-1] = min(counts[-1], k - starts[-1])
        view = Transcript()
        view._lists, view._counts, view._starts = tuple(lists), tuple(counts), tuple(starts)
        view._base = starts[-1] + counts[-1] if lists else 0
        return view

    def depth(self) -> int:
        """How many shared segments this version reads through (for tests and diagnostics)."""
        return len(self._lists)
