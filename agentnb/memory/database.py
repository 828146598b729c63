"""Opening the SQLite file behind a memory store: safely, once, and with errors for people.

Every connection runs with ``trusted_schema`` off, so nothing in a file can call functions or
virtual tables from a trigger or view, and the file's schema is checked against the expected
one (`schema.verify`) before any statement could run something planted in it. Creating a new
store, checking an existing one and migrating it happen in one ``BEGIN IMMEDIATE``
transaction, so any number of threads or processes may open the same new file at once.
"""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.parse
from pathlib import Path

from agentnb.memory import schema
from agentnb.memory.records import MemoryStoreError

BUSY_TIMEOUT = 5000  # milliseconds a connection waits for another one's write to finish
WHAT_TO_DO = "Choose a writable path, or use MemoryStore() for a store that lives in memory only."


def connect(path: str | os.PathLike[str], *, read_only: bool) -> tuple[sqlite3.Connection, str]:
    """Open (creating if needed) the store at ``path``; returns the connection and its label.

    Every failure becomes a `MemoryStoreError` that names the path and says what to do.
    """
    if os.fspath(path) == ":memory:":
        if read_only:
            raise MemoryStoreError("read_only=True needs a file path; a store in memory starts empty")
        conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        prepare(conn, ":memory:", read_only=False)
        return conn, ":memory:"
    file = Path(path).expanduser().absolute()
    label = str(file)
    if file.is_dir():
        raise MemoryStoreError(
            f"cannot open memory store {label}: it is a directory. Give a file path, "
            f"such as {str(file / 'memory.db')!r}."
        )
    if read_only and not file.exists():
        raise MemoryStoreError(f"cannot open memory store {label} read-only: there is no such file.")
    if not read_only:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MemoryStoreError(
                f"cannot create memory store {label}: its directory cannot be created "
                f"({exc.strerror}). {WHAT_TO_DO}"
            ) from None
    if not read_only:
        return open_uri(label, "mode=rwc", read_only=False), label
    try:
        return open_uri(label, "mode=ro", read_only=True), label
    except MemoryStoreError:
        if unwritable_reason(label) is None:
            raise
    # Even reading a WAL database writes a shared-memory file beside it; where that is not
    # possible, read the file as a snapshot that no other program changes meanwhile.
    return open_uri(label, "mode=ro&immutable=1", read_only=True), label


def open_uri(label: str, parameters: str, *, read_only: bool) -> sqlite3.Connection:
    """Connect to the file ``label`` with SQLite URI ``parameters`` and check or create the schema."""
    uri = f"file:{urllib.parse.quote(label)}?{parameters}"
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
    except sqlite3.Error as exc:
        raise translate(exc, label) from None
    try:
        prepare(conn, label, read_only=read_only)
    except BaseException:
        conn.close()
        raise
    return conn


def prepare(conn: sqlite3.Connection, label: str, *, read_only: bool) -> None:
    """Create the schema in an empty database, or check (and migrate) an existing store."""
    try:
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT}")
        # With WAL, NORMAL never corrupts the file; a power cut may lose the last commits (a crash
        # of the program does not), and each write skips an fsync.
        conn.execute("PRAGMA synchronous = NORMAL")
        if read_only:
            check_readable(conn, label)
            return
        if conn.execute("PRAGMA database_list").fetchone()[2]:  # a file, not ":memory:"
            use_wal(conn)
        # IMMEDIATE takes the write lock first: of several connections opening one new file,
        # one creates the schema and the others, waiting, then find it there.
        conn.execute("BEGIN IMMEDIATE")
        try:
            tables = table_names(conn)
            if tables:
                version = check_format(conn, label, tables)
                schema.verify(conn, label, version)
                conn.execute("UPDATE meta SET value = value WHERE key = 'format'")  # fails if unwritable
                schema.migrate(conn, label, version)
            else:
                create(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise translate(exc, label) from None


def use_wal(conn: sqlite3.Connection) -> None:
    """Switch a file to write-ahead logging (readers never block the writer), once per file.

    The switch needs the file to itself and SQLite reports "locked" at once instead of waiting
    (its busy timeout does not apply): while other connections open the same new file, retry.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT / 1000
    while conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.002)


def check_readable(conn: sqlite3.Connection, label: str) -> None:
    """Check a store opened read-only: an agentnb store of the current format, schema intact."""
    tables = table_names(conn)
    if not tables:
        raise MemoryStoreError(f"cannot open memory store {label} read-only: the file is empty.")
    version = check_format(conn, label, tables)
    schema.verify(conn, label, version)
    if version < schema.VERSION:
        raise MemoryStoreError(
            f"cannot open memory store {label} read-only: it has an older format (version "
            f"{version}) that must be upgraded first. Open it once without read_only=True."
        )


def table_names(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def create(conn: sqlite3.Connection) -> None:
    """Write the schema and the format stamp into an empty database (in the caller's transaction)."""
    schema.create(conn)
    conn.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?)",
        [("format", schema.FORMAT), ("version", str(schema.VERSION)), ("created_at", repr(time.time()))],
    )


def check_format(conn: sqlite3.Connection, label: str, tables: set[str]) -> int:
    """The format version of an agentnb store; refuses other databases and newer formats."""
    meta = dict(conn.execute("SELECT key, value FROM meta")) if schema.plain_meta(conn) else {}
    if meta.get("format") != schema.FORMAT:
        names = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
        raise MemoryStoreError(
            f"cannot open memory store {label}: it is a SQLite database but not an agentnb memory "
            f"store (its tables: {names}). Choose another path; agentnb does not change this file."
        )
    raw = meta.get("version", "")
    if not raw.isdigit():
        raise MemoryStoreError(
            f"cannot open memory store {label}: its format version {raw!r} is unreadable, so the "
            "file is damaged. Choose another path, or move the file away to start a new store."
        )
    version = int(raw)
    if version > schema.VERSION:
        raise MemoryStoreError(
            f"cannot open memory store {label}: it was written by a newer agentnb (format version "
            f"{version}; this one reads up to {schema.VERSION}). Upgrade agentnb to open it."
        )
    return version


def translate(exc: sqlite3.Error, label: str) -> MemoryStoreError:
    """A `MemoryStoreError` for a SQLite failure on the store at ``label``."""
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and (
        "not a database" in text or "malformed" in text or "corrupt" in text
    ):
        return MemoryStoreError(
            f"cannot open memory store {label}: the file is not a SQLite database, or it is "
            f"damaged ({text}). Choose another path, or move the file away to start a new store."
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        reason = unwritable_reason(label) or text
        recall_only = (
            " To recall from it without writing, open it with read_only=True."
            if label != ":memory:" and Path(label).is_file()
            else ""
        )
        return MemoryStoreError(f"cannot use memory store {label}: {reason}. {WHAT_TO_DO}{recall_only}")
    if "locked" in text or "busy" in text:
        return MemoryStoreError(
            f"memory store {label} is locked by another process that is writing to it ({text}). "
            "Try again, or close the other notebook or program that uses it."
        )
    return MemoryStoreError(f"memory store {label}: SQLite failed: {text}")


def unwritable_reason(label: str) -> str | None:
    """Why the file (or its directory) cannot be written, in words; found by trying."""
    if label == ":memory:":
        return None
    file = Path(label)
    if file.exists():
        try:
            os.close(os.open(file, os.O_RDWR))
        except OSError as exc:
            return f"the file is not writable ({exc.strerror})"
    probe = file.parent / f".{file.name}.agentnb-probe-{os.getpid()}"
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError as exc:
        return f"its directory {file.parent} is not writable ({exc.strerror})"
    os.unlink(probe)
    return None
