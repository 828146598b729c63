"""One open store file, shared by a `MemoryStore` and every view `scope` makes of it.

It holds the SQLite connection and the lock that makes it safe between threads, runs reads and
write transactions (turning SQLite errors into `MemoryStoreError`), and keeps each namespace's
vector index, so a view made again and again never reloads its vectors.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from agentnb.memory.database import connect, translate
from agentnb.memory.records import MemoryStoreError
from agentnb.memory.search import VectorIndex


class StoreFile:
    """The connection to one store file (or ``":memory:"``), its lock and its vector indexes."""

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool) -> None:
        self._conn: sqlite3.Connection | None
        self._conn, self.path = connect(path, read_only=read_only)
        self.read_only = read_only
        self.lock = threading.RLock()
        self.vector_lock = threading.Lock()
        self.vectors: dict[str, VectorIndex] = {}  # by namespace; facts up to index.ids[-1]

    def close(self) -> None:
        with self.lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise MemoryStoreError(f"memory store {self.path} is closed; open it again with MemoryStore(...)")
        return self._conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock; SQLite errors become `MemoryStoreError`."""
        with self.lock:
            try:
                yield self.connection()
            except sqlite3.Error as exc:
                raise translate(exc, self.path) from None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, under the lock; SQLite errors become `MemoryStoreError`."""
        with self.lock:
            conn = self.connection()
            if self.read_only:
                raise MemoryStoreError(
                    f"memory store {self.path} was opened with read_only=True; open it without it to write"
                )
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise translate(exc, self.path) from None
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise translate(exc, self.path) from None
                raise
