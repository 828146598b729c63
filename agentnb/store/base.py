"""The run store contract: the few things a store does, and what is built on them once.

A store keeps runs. A run is a team's conversation, written event by event as it happens
(`RunWriter`), with the team's saved configuration, snapshots of its state, and — for a
rewind or a fork — a parent whose first ``fork_at`` events it shares (read from the parent,
never copied). `RunStore.runs` lists them (`RunInfo`); `RunStore.open_run` gives a
`StoredRun`, from which `Team.resume` builds a team.

`SQLiteStore` (a file) and `PostgresStore` (a server) implement the primitives: `create` a
run, `write` a batch of events in one transaction, `claim` and `release` a run (one run, one
writer), `read` events and snapshots, and list the rows. Everything else is here.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentnb.core.errors import RunBusyError, StoreError
from agentnb.core.events import Event
from agentnb.core.state import Fold, History
from agentnb.store.codec import event_of
from agentnb.store.history import stored_history
from agentnb.store.lease import Holder
from agentnb.store.writer import Batch, Describe, RunWriter, new_run_id

COLUMNS = (  # of a run's row, in `Row`'s order
    "key, id, team, parent, fork_at, config, started, updated, events, stop_reason, waiting, running, holder"
)

BATCHES = (  # the batches of a run that hold events before ``stop``, from the one holding ``start`` on
    "SELECT seq, count, data FROM {events} WHERE run = %s AND seq < %s AND seq >= coalesce("
    "(SELECT max(seq) FROM {events} WHERE run = %s AND seq <= %s), 0) ORDER BY seq"
)


@dataclass(frozen=True)
class Row:
    """A run as a store keeps it (`RunInfo` is what people read)."""

    key: int
    id: str
    team: str
    parent: int | None
    fork_at: int
    config: str
    started: float
    updated: float
    events: int
    stop_reason: str
    waiting: bool
    running: bool
    holder: str | None


@dataclass(frozen=True)
class RunInfo:
    """One stored run: its team, when it started and last changed, and where it stands.

    ``stop_reason`` is why it last stopped; ``waiting`` what it waits for ("" if nothing);
    ``running`` says a run was going on when the store last heard of it (still going, if
    ``writer`` names who writes it; otherwise cut off by a crash: ``Team.resume`` goes on).
    ``parent`` and ``fork_at``: a rewind or fork shares its parent's first ``fork_at`` events.
    """

    id: str
    team: str
    started: float
    updated: float
    events: int
    stop_reason: str
    waiting: str
    running: bool
    writer: str
    parent: str | None
    fork_at: int

    @property
    def status(self) -> str:
        if self.waiting:
            return f"waiting: {self.waiting}"
        if self.running:
            return f"running, written by {self.writer}" if self.writer else "cut off while running"
        return f"stopped: {self.stop_reason}" if self.stop_reason else "not run yet"

    def __str__(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.updated))
        branch = f", from {self.parent} at event {self.fork_at}" if self.parent else ""
        return f"{self.id} ({self.team}{branch}): {self.events} events, last {when}; {self.status}"


class RunStore(ABC):
    """Where durable runs are kept (see the module docstring); ``label`` names it in errors."""

    label: str

    def __str__(self) -> str:
        return self.label

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- what teams and people use -------------------------------------------------------------

    def writer(self, run_id: str | None, signature: str, describe: Describe) -> RunWriter:
        """The writer of a new run called ``run_id`` (None: a new id); nothing is written before
        its first event."""
        if run_id is not None and (not isinstance(run_id, str) or not run_id.strip()):
            raise StoreError(f"run_id: expected a non-empty name for the run, got {run_id!r}")
        run_id = run_id or new_run_id(str(describe().get("name", "team")))
        if self.find(run_id) is not None:
            raise taken(self, run_id)
        return RunWriter(self, run_id, signature, describe)

    def open_run(self, run_id: str) -> StoredRun:
        """The stored run ``run_id`` (its events are read when they are used)."""
        row = self.find(run_id)
        if row is None:
            known = [r.id for r in self.rows()[-5:]]
            listed = f"; its latest runs are: {', '.join(known)}" if known else "; it has no runs yet"
            raise StoreError(f"{self} has no run {run_id!r}{listed} (store.runs() lists them all)")
        chain = []
        current, stop = row, row.events
        while True:
            chain.append((current.key, current.fork_at, stop))
            if current.parent is None:
                break
            parent = self.row(current.parent)
            if parent is None:
                raise StoreError(
                    f"run store {self}: a run refers to a run that is not there (key {current.parent})"
                )
            stop, current = current.fork_at, parent
        return StoredRun(self, row, chain[::-1])

    def runs(self) -> list[RunInfo]:
        """Every run in the store, oldest first."""
        rows = self.rows()
        ids = {row.key: row.id for row in rows}
        return [
            RunInfo(
                id=row.id,
                team=row.team,
                started=row.started,
                updated=row.updated,
                events=row.events,
                stop_reason=row.stop_reason,
                waiting=row.stop_reason if row.waiting else "",
                running=row.running,
                writer=self.writer_of(row),
                parent=ids.get(row.parent) if row.parent is not None else None,
                fork_at=row.fork_at,
            )
            for row in rows
        ]

    def writer_of(self, row: Row) -> str:
        """Who writes the run now ("" if nobody)."""
        holder = Holder.of(row.holder)
        return holder.describe() if holder is not None and self.holds(row, holder) else ""

    @abstractmethod
    def close(self) -> None:
        """Close the connection (a store object is not used after this)."""

    # ----- the primitives a store implements -------------------------------------------------------

    @abstractmethod
    def find(self, run_id: str) -> Row | None: ...

    @abstractmethod
    def row(self, key: int) -> Row | None: ...

    @abstractmethod
    def rows(self) -> list[Row]: ...

    @abstractmethod
    def create(self, run_id: str, config: dict[str, Any], parent: int | None, fork_at: int) -> int:
        """Add a run (with no events of its own yet); its key."""

    @abstractmethod
    def write(self, key: int, holder: Holder, batch: Batch) -> None:
        """The batch, in one transaction; refused (`refused`) unless ``holder`` holds the run and
        the store has exactly ``batch.first`` of its events."""

    @abstractmethod
    def claim(self, key: int, holder: Holder, written: int, run_id: str) -> None:
        """Make ``holder`` the run's writer; `RunBusyError` while another live writer holds it,
        `StoreError` when the store has other than ``written`` events of it (it moved on)."""

    @abstractmethod
    def release(self, key: int, holder: Holder) -> None: ...

    @abstractmethod
    def holds(self, row: Row, holder: Holder) -> bool:
        """Whether the writer ``holder`` recorded for ``row`` may still be writing."""

    @abstractmethod
    def batches(self, key: int, start: int, stop: int) -> list[tuple[int, int, str]]:
        """The run's own batches that hold events ``start`` to ``stop``: (first event, count,
        the events as JSON lines), in order."""

    def read(self, key: int, start: int, stop: int) -> list[str]:
        """The run's own events ``start`` to ``stop``, as stored text (one JSON object each)."""
        out: list[str] = []
        for first, count, data in self.batches(key, start, stop):
            lines = data.split("\n")
            if len(lines) != count:
                raise StoreError(
                    f"run store {self}: a batch of {count} events holds {len(lines)}: it is damaged"
                )
            out.extend(lines[max(0, start - first) : stop - first])
        return out

    @abstractmethod
    def snapshot_positions(self, key: int, start: int, stop: int) -> list[tuple[int, str]]:
        """Where the run's own snapshots are, ``start`` < position <= ``stop``, and the
        signature of the fold that made each, in order."""

    @abstractmethod
    def snapshot(self, key: int, position: int) -> str | None:
        """The state stored after event ``position`` of the run, as text (None: there is none)."""


def busy_error(store: RunStore, run_id: str, holder: Holder | None) -> StoreError:
    """The error for a run another writer holds: who, and what to do."""
    who = holder.describe() if holder is not None else "another writer"
    return RunBusyError(
        f"run {run_id!r} in {store} is being written by {who}: one run has one writer. Wait until "
        "its run ends (or stop it there), then resume it here with Team.resume."
    )


def taken(store: RunStore, run_id: str) -> StoreError:
    """The error for a new run whose id the store already has."""
    return StoreError(
        f"{store} already has a run {run_id!r}: go on with it with Team.resume({str(store)!r}, "
        f"{run_id!r}, participants), or give the new team another run_id"
    )


def refused(store: RunStore, holder: Holder, first: int, found: Sequence[Any]) -> StoreError:
    """Why a write of events ``first``.. was refused, from the run's stored (id, events, holder):
    another writer holds the run, or the run moved on without this one."""
    run_id, events, current = found
    if current != holder.text:
        return busy_error(store, run_id, Holder.of(current))
    return moved_on(store, run_id, events, first)


def moved_on(store: RunStore, run_id: str, stored: int, known: int) -> StoreError:
    return StoreError(
        f"run {run_id!r} in {store} has moved on: the store has {stored} of its events and this "
        f"team knows {known}, so another team or process went on with it. Resume it again with "
        f"Team.resume({str(store)!r}, {run_id!r}, participants) to go on from where it is now."
    )


class StoredRun:
    """A run read from a store: its team's saved form and its events (read when used)."""

    def __init__(self, store: RunStore, row: Row, chain: list[tuple[int, int, int]]) -> None:
        self.store, self.row = store, row
        self.chain = chain  # (key, first, stop) per run whose events it shares, oldest first
        self.id = row.id
        self.length = row.events

    def config(self) -> dict[str, Any]:
        """The team's saved form (checked by `Team.resume` like a saved file)."""
        try:
            data = json.loads(self.row.config)
        except ValueError as exc:
            raise StoreError(f"run {self.id!r} in {self.store}: its saved team is damaged ({exc})") from None
        return data if isinstance(data, dict) else {}

    def history(self, fold: Fold, signature: str) -> History:
        """A team's history of this run (``fold``: the team's), written on as this same run."""
        writer = RunWriter(self.store, self.id, signature, self.config, key=self.row.key, written=self.length)
        return stored_history(self, fold, signature, writer)

    def events(self, start: int, stop: int) -> list[Event]:
        """Events ``start`` to ``stop`` of the run, read from the runs that hold them."""
        texts: list[str] = []
        for key, first, end in self.chain:
            low, high = max(start, first), min(stop, end)
            if low < high:
                texts.extend(self.store.read(key, low, high))
        if len(texts) != max(0, stop - start):
            raise StoreError(
                f"run {self.id!r} in {self.store}: events {start} to {stop} should be stored, "
                f"{len(texts)} are: the store was changed outside agentnb"
            )
        out = []
        for offset, text in enumerate(texts):
            try:
                out.append(event_of(text))
            except ValueError as exc:
                first_line = str(exc).splitlines()[0]
                raise StoreError(
                    f"run {self.id!r} in {self.store}: event {start + offset} is damaged ({first_line})"
                ) from None
        return out

    def snapshot_positions(self) -> list[tuple[int, int, str]]:
        """(key, position, fold signature) of every stored snapshot of this run, in order."""
        found = []
        for key, first, end in self.chain:
            found.extend((key, p, fold) for p, fold in self.store.snapshot_positions(key, first, end))
        return found

    def snapshot_text(self, key: int, position: int) -> str:
        found = self.store.snapshot(key, position)
        if found is None:
            raise StoreError(f"run store {self.store}: the snapshot after event {position} is gone")
        return found
