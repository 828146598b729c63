"""Runs on a PostgreSQL server: shared by processes and machines (``store="postgresql://..."``).

The same runs, writes and guarantees as the SQLite store, on a server (psycopg 3, the
``postgres`` extra): a batch of events is one statement (one round trip), refused unless its
writer still holds the run and the run is where the writer left it; events and snapshots are
never changed or deleted (triggers). One run has one writer: a writer holds a PostgreSQL
session lock on its run, so a writer that dies (``kill -9``, a lost machine) lets go with its
connection, and a second one is told who holds it. A server restart ends every session: the
run being written fails with an error saying so, and goes on (``run()`` again, or
``Team.resume``) once the server is back. Tables live in the schema ``agentnb``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from agentnb.core.errors import ConfigError, StoreError
from agentnb.core.secrets import public_url, remember, url_secrets
from agentnb.store.base import BATCHES, COLUMNS, Row, RunStore, busy_error, moved_on, refused, taken
from agentnb.store.lease import Holder
from agentnb.store.postgres_schema import LOCKS, check_schema
from agentnb.store.writer import Batch

WRITE = """
WITH mine AS (
    UPDATE agentnb.runs SET events = %(total)s, updated = extract(epoch FROM clock_timestamp()),
        stop_reason = %(reason)s, waiting = %(waiting)s, running = %(running)s
    WHERE key = %(key)s AND events = %(first)s AND holder = %(holder)s RETURNING key
), written AS (
    INSERT INTO agentnb.events (run, seq, count, data) SELECT key, %(first)s, %(count)s, %(data)s FROM mine
), snapshotted AS (
    INSERT INTO agentnb.snapshots (run, seq, fold, state)
    SELECT mine.key, t.seq, %(fold)s, t.state FROM mine, unnest(%(positions)s::integer[], %(states)s::text[])
        AS t(seq, state)
)
SELECT count(*) FROM mine
"""

READ_BATCHES = BATCHES.format(events="agentnb.events")


class PostgresStore(RunStore):
    """The runs in the PostgreSQL database at ``url`` (the schema is made on first use).

    ``connect_timeout`` bounds each attempt to reach the server, in seconds.
    """

    def __init__(self, url: str, *, connect_timeout: float = 10.0) -> None:
        try:
            import psycopg
        except ImportError:
            raise ConfigError(
                "store: a postgresql:// store needs psycopg; pip install 'agentnb[postgres]'"
            ) from None
        remember(url_secrets(url))  # the password never shows in traces, errors or saved files
        self.url, self.label = url, public_url(url)
        self.connect_timeout = connect_timeout
        self._psycopg = psycopg
        self._conn: Any = None
        self._lock = threading.RLock()
        self._generation = 0  # counts connections: a session lock lives as long as one
        self._held: dict[str, tuple[int, int]] = {}  # holder token -> (run key, connection number)
        with self._session() as conn:
            check_schema(conn, self.label)

    def __repr__(self) -> str:
        return f"PostgresStore({self.label!r})"

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._held.clear()

    # ----- the connection --------------------------------------------------------------------------

    @contextmanager
    def _session(self) -> Iterator[Any]:
        """The connection (made again after a failure), under the lock; errors for people."""
        psycopg = self._psycopg
        with self._lock:
            if self._conn is None or self._conn.closed:
                self._held.clear()
                self._generation += 1
                try:
                    self._conn = psycopg.connect(
                        self.url, autocommit=True, connect_timeout=max(1, round(self.connect_timeout))
                    )
                except psycopg.Error as exc:
                    raise StoreError(
                        f"cannot connect to run store {self.label}: {_first_line(exc)}. Is the server "
                        "running? Nothing is lost: the team keeps its events, and running it again "
                        "(or Team.resume) goes on once the server is back."
                    ) from None
            try:
                yield self._conn
            except psycopg.OperationalError as exc:
                self._drop()
                raise StoreError(
                    f"run store {self.label}: the connection to the server was lost ({_first_line(exc)}). "
                    "Nothing is lost: the team keeps its events, and running it again (or Team.resume) "
                    "goes on once the server is back."
                ) from None
            except psycopg.Error as exc:
                raise StoreError(f"run store {self.label}: PostgreSQL refused: {_first_line(exc)}") from None

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self._held.clear()
        if conn is not None:
            with suppress(self._psycopg.Error):
                conn.close()

    def _do(self, query: str, params: Any = ()) -> None:
        with self._session() as conn:
            conn.execute(query, params)

    def _one(self, query: str, params: Any = ()) -> Any:
        with self._session() as conn:
            return conn.execute(query, params).fetchone()

    def _all(self, query: str, params: Any = ()) -> list[Any]:
        with self._session() as conn:
            return conn.execute(query, params).fetchall()

    # ----- rows ------------------------------------------------------------------------------------

    def find(self, run_id: str) -> Row | None:
        found = self._one(f"SELECT {COLUMNS} FROM agentnb.runs WHERE id = %s", (run_id,))
        return None if found is None else Row(*found)

    def row(self, key: int) -> Row | None:
        found = self._one(f"SELECT {COLUMNS} FROM agentnb.runs WHERE key = %s", (key,))
        return None if found is None else Row(*found)

    def rows(self) -> list[Row]:
        return [Row(*r) for r in self._all(f"SELECT {COLUMNS} FROM agentnb.runs ORDER BY started, key")]

    # ----- writing ---------------------------------------------------------------------------------

    def create(self, run_id: str, config: dict[str, Any], parent: int | None, fork_at: int) -> int:
        try:
            found = self._one(
                "INSERT INTO agentnb.runs (id, team, parent, fork_at, config, started, updated, events) "
                "VALUES (%s, %s, %s, %s, %s, extract(epoch FROM clock_timestamp()), "
                "extract(epoch FROM clock_timestamp()), %s) RETURNING key",
                (run_id, str(config.get("name", "")), parent, fork_at, json.dumps(config), fork_at),
            )
        except StoreError as exc:
            if "duplicate key" in str(exc):
                raise taken(self, run_id) from None
            raise
        return int(found[0])

    def write(self, key: int, holder: Holder, batch: Batch) -> None:
        with self._lock:
            if self._held.get(holder.token) != (key, self._generation):
                raise StoreError(
                    f"run store {self.label}: the connection that held this run was lost, so its "
                    "writer let go of it; run the team again (or Team.resume) to go on"
                )
            params = {
                "key": key,
                "first": batch.first,
                "total": batch.end,
                "holder": holder.text,
                "reason": batch.state.stop_reason,
                "waiting": batch.state.waiting,
                "running": batch.state.running,
                "count": len(batch.events),
                "data": batch.data,
                "fold": batch.signature,
                "positions": [p for p, _ in batch.snapshots],
                "states": [s for _, s in batch.snapshots],
            }
            if self._one(WRITE, params)[0] != 1:
                found = self._one("SELECT id, events, holder FROM agentnb.runs WHERE key = %s", (key,))
                raise refused(self, holder, batch.first, found)

    def claim(self, key: int, holder: Holder, written: int, run_id: str) -> None:
        with self._lock:
            mine = [token for token, (k, _) in self._held.items() if k == key]
            got = not mine and self._one("SELECT pg_try_advisory_lock(%s, %s)", (LOCKS, key))[0]
            if not got:  # another session holds it, or another writer of this process
                current = self._one("SELECT holder FROM agentnb.runs WHERE key = %s", (key,))[0]
                raise busy_error(self, run_id, Holder.of(current))
            self._held[holder.token] = (key, self._generation)
            try:
                events = self._one(
                    "UPDATE agentnb.runs SET holder = %s WHERE key = %s RETURNING events",
                    (holder.text, key),
                )[0]
                if events != written:
                    raise moved_on(self, run_id, events, written)
            except BaseException:
                self.release(key, holder)
                raise

    def release(self, key: int, holder: Holder) -> None:
        with self._lock:
            if self._held.pop(holder.token, None) != (key, self._generation):
                return  # a lost connection already let go of the lock
            self._do(
                "UPDATE agentnb.runs SET holder = NULL WHERE key = %s AND holder = %s", (key, holder.text)
            )
            self._one("SELECT pg_advisory_unlock(%s, %s)", (LOCKS, key))

    def holds(self, row: Row, holder: Holder) -> bool:
        if holder.is_here():
            return holder.alive(row.updated)
        found = self._one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s::oid AND objid = %s::oid AND objsubid = 2",
            (LOCKS, row.key),
        )
        return bool(found[0])

    # ----- reading ---------------------------------------------------------------------------------

    def batches(self, key: int, start: int, stop: int) -> list[tuple[int, int, str]]:
        return self._all(READ_BATCHES, (key, stop, key, start))

    def snapshot_positions(self, key: int, start: int, stop: int) -> list[tuple[int, str]]:
        return self._all(
            "SELECT seq, fold FROM agentnb.snapshots WHERE run = %s AND seq > %s AND seq <= %s ORDER BY seq",
            (key, start, stop),
        )

    def snapshot(self, key: int, position: int) -> str | None:
        found = self._one("SELECT state FROM agentnb.snapshots WHERE run = %s AND seq = %s", (key, position))
        return None if found is None else found[0]


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
