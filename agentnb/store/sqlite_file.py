"""Opening a run store's SQLite file: safely, once, and with errors that name the file.

Every connection runs with ``trusted_schema`` off, and the file's schema is compared object by
object (SQL text included) with the one agentnb writes before anything else is read, so a
planted trigger or view never runs. A new file gets the schema in one ``BEGIN IMMEDIATE``
transaction (processes may open one new file at once). Write-ahead logging lets readers read
while a run writes; ``synchronous=NORMAL`` keeps every committed batch through a crash of the
program (a power cut may lose the last ones, never the file).
"""

from __future__ import annotations

import functools
import os
import sqlite3
import time
import urllib.parse
from pathlib import Path

from agentnb.core.errors import StoreError

FORMAT = "agentnb-runs"
VERSION = 1
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    key INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    team TEXT NOT NULL,
    parent INTEGER REFERENCES runs(key),
    fork_at INTEGER NOT NULL DEFAULT 0,
    config TEXT NOT NULL,
    started REAL NOT NULL,
    updated REAL NOT NULL,
    events INTEGER NOT NULL,
    stop_reason TEXT NOT NULL DEFAULT '',
    waiting INTEGER NOT NULL DEFAULT 0,
    running INTEGER NOT NULL DEFAULT 0,
    holder TEXT
);
CREATE TABLE events (
    run INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    count INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run, seq)
);
CREATE TABLE snapshots (
    run INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    fold TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (run, seq)
) WITHOUT ROWID;
CREATE TRIGGER events_kept BEFORE UPDATE ON events BEGIN
    SELECT RAISE(ABORT, 'a stored event never changes');
END;
CREATE TRIGGER events_never_deleted BEFORE DELETE ON events BEGIN
    SELECT RAISE(ABORT, 'a stored event is never deleted');
END;
CREATE TRIGGER snapshots_kept BEFORE UPDATE ON snapshots BEGIN
    SELECT RAISE(ABORT, 'a stored snapshot never changes');
END;
"""
PAGE_SIZE = 8192
SQLITE_TABLES = {"sqlite_sequence", "sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4"}
WHAT_TO_DO = "Choose a writable path, or open the store with read_only=True to read its runs."


def connect(
    path: str | os.PathLike[str], *, read_only: bool, timeout: float
) -> tuple[sqlite3.Connection, str]:
    """Open (creating if needed) the run store at ``path``; the connection and the file's name."""
    file = Path(path).expanduser().absolute()
    label = str(file)
    if file.is_dir():
        example = str(file / "runs.db")
        raise StoreError(f"cannot open run store {label}: it is a directory; give a file, e.g. {example!r}")
    if read_only and not file.exists():
        raise StoreError(f"cannot open run store {label} read-only: there is no such file")
    if not read_only:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create run store {label}: its directory cannot be created ({exc.strerror}). "
                + WHAT_TO_DO
            ) from None
        return _open(label, "mode=rwc", read_only=False, timeout=timeout), label
    try:
        return _open(label, "mode=ro", read_only=True, timeout=timeout), label
    except StoreError:
        if unwritable(label) is None:
            raise
    # Reading a WAL file writes a shared-memory file beside it; where that cannot be, read a snapshot.
    return _open(label, "mode=ro&immutable=1", read_only=True, timeout=timeout), label


def _open(label: str, parameters: str, *, read_only: bool, timeout: float) -> sqlite3.Connection:
    uri = f"file:{urllib.parse.quote(label)}?{parameters}"
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
    except sqlite3.Error as exc:
        raise translate(exc, label) from None
    try:
        _prepare(conn, label, read_only=read_only, timeout=timeout)
    except BaseException:
        conn.close()
        raise
    return conn


def _prepare(conn: sqlite3.Connection, label: str, *, read_only: bool, timeout: float) -> None:
    try:
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA synchronous = NORMAL")
        if read_only:
            if not _tables(conn):
                raise StoreError(f"cannot open run store {label} read-only: the file is empty")
            _check(conn, label)
            return
        if not _tables(conn):  # a new file: pages that hold a batch of events each, several to a page
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        _use_wal(conn, timeout)
        conn.execute("BEGIN IMMEDIATE")
        try:
            if _tables(conn):
                _check(conn, label)
                conn.execute("UPDATE meta SET value = value WHERE key = 'format'")  # fails if unwritable
            else:
                for statement in _statements(SCHEMA):
                    conn.execute(statement)
                conn.executemany(
                    "INSERT INTO meta(key, value) VALUES (?, ?)",
                    [("format", FORMAT), ("version", str(VERSION)), ("created_at", repr(time.time()))],
                )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise translate(exc, label) from None


def _use_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch to write-ahead logging; the switch reports "locked" at once while others open the file."""
    deadline = time.monotonic() + timeout
    while conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.002)


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _statements(script: str) -> list[str]:
    statements, current = [], ""
    for line in script.strip().splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements


def _objects(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    return {
        (kind, name): " ".join((sql or f"on {table}").split())
        for kind, name, table, sql in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
        if not (kind == "table" and name in SQLITE_TABLES)
    }


@functools.cache
def _expected() -> dict[tuple[str, str], str]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for statement in _statements(SCHEMA):
            conn.execute(statement)
        return _objects(conn)
    finally:
        conn.close()


def _check(conn: sqlite3.Connection, label: str) -> None:
    """Refuse a file that is not a run store of a version this agentnb reads, or whose schema
    is not exactly agentnb's (checked before any of its triggers or views could run)."""
    wanted, found = _expected(), _objects(conn)
    meta = {}
    if found.get(("table", "meta")) == wanted["table", "meta"]:
        meta = dict(conn.execute("SELECT key, value FROM meta"))
    if meta.get("format") != FORMAT:
        names = ", ".join(sorted(name for kind, name in found if kind == "table")[:5])
        raise StoreError(
            f"cannot open run store {label}: it is a SQLite database but not an agentnb run store "
            f"(its tables: {names}). Choose another path; agentnb does not change this file."
        )
    version = meta.get("version", "")
    if not version.isdigit():
        raise StoreError(
            f"cannot open run store {label}: its format version {version!r} is unreadable: the file is "
            "damaged"
        )
    if int(version) > VERSION:
        raise StoreError(
            f"cannot open run store {label}: it was written by a newer agentnb (format version {version}; "
            f"this one reads up to {VERSION}). Upgrade agentnb to open it; the file is left as it is."
        )
    problems = [f"{kind} {name} is missing" for kind, name in wanted if (kind, name) not in found]
    problems += [f"unexpected {kind} {name}" for kind, name in found if (kind, name) not in wanted]
    problems += [
        f"{kind} {name} is not defined as agentnb defines it"
        for (kind, name), sql in found.items()
        if (kind, name) in wanted and wanted[kind, name] != sql
    ]
    if problems:
        raise StoreError(
            f"cannot open run store {label}: its schema is not an agentnb run store's: "
            f"{'; '.join(sorted(problems)[:6])}. The file was changed outside agentnb, so it is not used."
        )


def translate(exc: sqlite3.Error, label: str) -> StoreError:
    """A `StoreError` for a SQLite failure on the store at ``label``: what happened, what to do."""
    text = str(exc)
    damaged = "not a database" in text or "malformed" in text or "corrupt" in text
    if isinstance(exc, sqlite3.DatabaseError) and damaged:
        return StoreError(
            f"cannot use run store {label}: the file is not a SQLite database, or it is damaged ({text}). "
            "Choose another path, or move the file away to start a new store."
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        reason = unwritable(label) or text
        return StoreError(f"cannot write to run store {label}: {reason}. {WHAT_TO_DO}")
    if "locked" in text or "busy" in text:
        return StoreError(
            f"run store {label} is locked by another program writing to it ({text}). Nothing is lost: "
            "the team keeps its events and writes them with its next batch or run; close the other "
            "program, or try again."
        )
    return StoreError(f"run store {label}: SQLite failed: {text}")


def unwritable(label: str) -> str | None:
    """Why the file (or its directory) cannot be written, in words; found by trying."""
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
