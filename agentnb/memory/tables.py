"""Facts and the audit log as lists that display as tables (`agentnb.views.memory` draws them).

``times=False`` leaves out the "when" column (and expiry times), so a saved notebook (and
nbval) sees the same output on every run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar, overload

from agentnb.core.plugins import Readable
from agentnb.memory.records import Change, Fact

Row = TypeVar("Row", Fact, Change)


class Table(Readable, Sequence[Row], Generic[Row]):
    """A list of records that shows as a table in notebooks (HTML, markdown) and terminals (text)."""

    def __init__(self, rows: Iterable[Row], *, times: bool = True) -> None:
        self.rows = list(rows)
        self.times = times

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...
    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        return self.rows[index]

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return str(self)


class FactTable(Table[Fact]):
    """Facts of a memory store (`MemoryStore.facts`, `MemoryStore.history`)."""


class AuditLog(Table[Change]):
    """Every change to a memory store, oldest first (`MemoryStore.audit`)."""
