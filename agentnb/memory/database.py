"""Opening the SQLite file behind a memory store, the way every agentnb SQLite file is opened.

`agentnb.core.sqlite_files` does the work (``trusted_schema`` off, the schema checked before
anything runs, creation and migration in one ``BEGIN IMMEDIATE`` transaction); this module
says what a memory store's file is (`memory_format`: the layout in `schema`, and how errors
speak to the people who use memory) and adds stores that live in memory only (``":memory:"``).
"""

from __future__ import annotations

import os
import sqlite3

from agentnb.core import sqlite_files
from agentnb.core.sqlite_files import IN_MEMORY, SQLiteFormat, Wording
from agentnb.memory import schema
from agentnb.memory.records import MemoryStoreError

BUSY_TIMEOUT = 5000  # milliseconds a connection waits for another one's write to finish
WORDING = Wording(
    noun="memory store",
    example="memory.db",
    elsewhere="Choose a writable path, or use MemoryStore() for a store that lives in memory only.",
    read_instead="To recall from it without writing, open it with read_only=True.",
    locked="is locked by another process that is writing to it ({text}). Try again, or close the other "
    "notebook or program that uses it.",
    damaged="cannot open",  # the words memory's users have always read
    unwritable="cannot use",
)


def memory_format() -> SQLiteFormat:
    """A memory store file as this agentnb writes it (read when a store opens: `schema` decides)."""
    return SQLiteFormat(
        name=schema.FORMAT,
        version=schema.VERSION,
        schema=schema.VERSION_1,
        error=MemoryStoreError,
        wording=WORDING,
        migrations=schema.MIGRATIONS,
    )


def connect(path: str | os.PathLike[str], *, read_only: bool) -> tuple[sqlite3.Connection, str]:
    """Open (creating if needed) the store at ``path``, or a new one in memory for ``":memory:"``;
    the connection and its label. Every failure is a `MemoryStoreError` that names the path and
    says what to do."""
    fmt, timeout = memory_format(), BUSY_TIMEOUT / 1000
    if os.fspath(path) != IN_MEMORY:
        return sqlite_files.connect(path, fmt, read_only=read_only, timeout=timeout)
    if read_only:
        raise MemoryStoreError("read_only=True needs a file path; a store in memory starts empty")
    conn = sqlite3.connect(IN_MEMORY, check_same_thread=False, isolation_level=None)
    sqlite_files.prepare(conn, IN_MEMORY, fmt, read_only=False, timeout=timeout)
    return conn, IN_MEMORY
