"""Transcript: a team's events in order, append-only, with history shared between versions.

A rewind or a fork does not copy the events before it: the new transcript is a view of
the first ``k`` events of an older one plus its own list of new events. No transcript is
ever truncated or changed in place, so every view stays valid however the others grow.
Taking a prefix is O(1), appending is O(1), and reading the recent events (what an
agent's incremental context needs) never walks the older versions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from agentnb.core.events import Event


class Transcript(Sequence[Event]):
    """The events of a conversation; build new versions with `prefix`, never by editing."""

    __slots__ = ("_base", "_base_len", "_own")

    def __init__(self, events: Iterable[Event] = (), *, base: Transcript | None = None, base_len: int = 0):
        self._base = base
        self._base_len = base_len if base is not None else 0
        self._own: list[Event] = list(events)

    def __len__(self) -> int:
        return self._base_len + len(self._own)

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
        node = self
        while index < node._base_len:
            node = node._base  # type: ignore[assignment]
        return node._own[index - node._base_len]

    def _range(self, start: int, stop: int) -> list[Event]:
        """Events ``start`` to ``stop`` (already clipped), oldest first."""
        if start >= stop:
            return []
        if start >= self._base_len:
            return self._own[start - self._base_len : stop - self._base_len]
        head = self._base._range(start, min(stop, self._base_len))  # type: ignore[union-attr]
        if stop > self._base_len:
            head.extend(self._own[: stop - self._base_len])
        return head

    def __iter__(self) -> Iterator[Event]:
        segments: list[tuple[list[Event], int]] = []
        node: Transcript | None = self
        limit: int | None = None
        while node is not None:
            segments.append((node._own, len(node._own) if limit is None else limit - node._base_len))
            limit = node._base_len
            node = node._base
        for own, count in reversed(segments):
            yield from own[:count] if count < len(own) else own

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Transcript({len(self)} events)"

    def append(self, event: Event) -> None:
        self._own.append(event)

    def extend(self, events: Iterable[Event]) -> None:
        self._own.extend(events)

    def prefix(self, k: int) -> Transcript:
        """A new transcript holding this one's first ``k`` events, sharing them."""
        if not 0 <= k <= len(self):
            raise IndexError(f"cannot take the first {k} events of a transcript of {len(self)}")
        if k == 0:
            return Transcript()
        node = self
        while node._base is not None and k <= node._base_len:
            node = node._base
        return Transcript(base=node, base_len=k)

    def depth(self) -> int:
        """How many older versions this one reads through (for tests and diagnostics)."""
        n, node = 0, self._base
        while node is not None:
            n, node = n + 1, node._base
        return n
