"""Runs in a SQLite file: the default store (``Team(..., store="runs.db")``).

What it guarantees: every batch of a run's events is one transaction (written before the run
waits for anything, and at its end), so a crashed or killed program loses at most the model
call it was waiting for, and a committed batch survives it; events and snapshots are never
changed or deleted (the schema refuses it); a file that is not a run store, whose schema was
changed, or that a newer agentnb wrote is refused with its name. One run has one writer: a
second one is told which process holds it; a writer that died holds nothing (its process is
gone). Made for one machine: several processes and notebooks there may share the file.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from agentnb.core.errors import StoreError
from agentnb.core.sqlite_files import SQLiteFile, connect
from agentnb.store.base import BATCHES, COLUMNS, Row, RunStore, busy_error, moved_on, refused, taken
from agentnb.store.lease import Holder
from agentnb.store.sqlite_schema import RUNS
from agentnb.store.writer import Batch

READ_BATCHES = BATCHES.format(events="events").replace("%s", "?")


class SQLiteStore(RunStore):
    """The runs in the SQLite file ``path`` (created if missing).

    ``read_only=True`` lists and reads runs (time travel, ``Team.resume`` to look) but writes
    nothing. ``timeout`` is how long a write waits for another program's write to end.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, read_only: bool = False, timeout: float = 5.0
    ) -> None:
        conn, self.label = connect(path, RUNS, read_only=read_only, timeout=timeout)
        self._file = SQLiteFile(conn, self.label, RUNS, read_only=read_only)
        self.read_only = read_only

    def __repr__(self) -> str:
        return f"SQLiteStore({self.label!r}{', read_only=True' if self.read_only else ''})"

    def close(self) -> None:
        self._file.close()

    # ----- rows ------------------------------------------------------------------------------------

    @staticmethod
    def _row(values: Any) -> Row:
        *head, waiting, running, holder = values
        return Row(*head, bool(waiting), bool(running), holder)

    def find(self, run_id: str) -> Row | None:
        with self._file.read() as conn:
            found = conn.execute(f"SELECT {COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        return None if found is None else self._row(found)

    def row(self, key: int) -> Row | None:
        with self._file.read() as conn:
            found = conn.execute(f"SELECT {COLUMNS} FROM runs WHERE key = ?", (key,)).fetchone()
        return None if found is None else self._row(found)

    def rows(self) -> list[Row]:
        with self._file.read() as conn:
            return [self._row(r) for r in conn.execute(f"SELECT {COLUMNS} FROM runs ORDER BY started, key")]

    # ----- writing ---------------------------------------------------------------------------------

    def create(self, run_id: str, config: dict[str, Any], parent: int | None, fork_at: int) -> int:
        now = time.time()
        try:
            with self._file.write() as conn:
                cursor = conn.execute(
                    "INSERT INTO runs(id, team, parent, fork_at, config, started, updated, events) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        run_id,
                        str(config.get("name", "")),
                        parent,
                        fork_at,
                        json.dumps(config),
                        now,
                        now,
                        fork_at,
                    ),
                )
        except StoreError as exc:
            if "UNIQUE" in str(exc):
                raise taken(self, run_id) from None
            raise
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def write(self, key: int, holder: Holder, batch: Batch) -> None:
        state, first = batch.state, batch.first
        mine = (key, first, holder.text)  # refused unless the store is where this writer left it
        with self._file.write() as conn:
            conn.execute(
                "INSERT INTO events(run, seq, count, data) VALUES (?, ?, ?, ?)",
                (key, first, len(batch.events), batch.data),
            )
            if batch.snapshots:
                conn.executemany(
                    "INSERT INTO snapshots(run, seq, fold, state) VALUES (?, ?, ?, ?)",
                    [(key, position, batch.signature, text) for position, text in batch.snapshots],
                )
            updated = conn.execute(
                "UPDATE runs SET events = ?, updated = ?, stop_reason = ?, waiting = ?, running = ? "
                "WHERE key = ? AND events = ? AND holder = ?",
                (batch.end, time.time(), state.stop_reason, state.waiting, state.running, *mine),
            ).rowcount
            if updated != 1:
                found = conn.execute("SELECT id, events, holder FROM runs WHERE key = ?", (key,)).fetchone()
                raise refused(self, holder, first, found)

    def claim(self, key: int, holder: Holder, written: int, run_id: str) -> None:
        with self._file.write() as conn:
            events, updated, current = conn.execute(
                "SELECT events, updated, holder FROM runs WHERE key = ?", (key,)
            ).fetchone()
            other = Holder.of(current)
            if other is not None and other.token != holder.token and other.alive(updated):
                raise busy_error(self, run_id, other)
            if events != written:
                raise moved_on(self, run_id, events, written)
            conn.execute("UPDATE runs SET holder = ? WHERE key = ?", (holder.text, key))

    def release(self, key: int, holder: Holder) -> None:
        with self._file.write() as conn:
            conn.execute("UPDATE runs SET holder = NULL WHERE key = ? AND holder = ?", (key, holder.text))

    def holds(self, row: Row, holder: Holder) -> bool:
        return holder.alive(row.updated)

    # ----- reading ---------------------------------------------------------------------------------

    def batches(self, key: int, start: int, stop: int) -> list[tuple[int, int, str]]:
        with self._file.read() as conn:
            return conn.execute(READ_BATCHES, (key, stop, key, start)).fetchall()

    def snapshot_positions(self, key: int, start: int, stop: int) -> list[tuple[int, str]]:
        with self._file.read() as conn:
            return conn.execute(
                "SELECT seq, fold FROM snapshots WHERE run = ? AND seq > ? AND seq <= ? ORDER BY seq",
                (key, start, stop),
            ).fetchall()

    def snapshot(self, key: int, position: int) -> str | None:
        with self._file.read() as conn:
            found = conn.execute(
                "SELECT state FROM snapshots WHERE run = ? AND seq = ?", (key, position)
            ).fetchone()
        return None if found is None else found[0]
