"""The SQLite file behind a memory store: schema, format version, opening, and errors for people.

The schema enforces the store's promise at the database level: facts and audit rows are never
deleted, a fact's text never changes (an update is a new row), and every fact is indexed for
full-text search (FTS5, Porter stemming) by an insert trigger. ``meta`` holds the format name
and version, so a future layout can migrate older files (`MIGRATIONS`).
"""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from agentnb.memory.records import MemoryStoreError

FORMAT = "agentnb-memory"
VERSION = 1

# version -> function that upgrades a connection's schema from that version to the next one
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {}

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE facts (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    norm TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL,
    why TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'superseded', 'forgotten')),
    changed_at REAL NOT NULL,
    replaces INTEGER REFERENCES facts(id),
    superseded_by INTEGER REFERENCES facts(id),
    vector BLOB
);
CREATE INDEX facts_active_text ON facts(norm) WHERE status = 'active';
CREATE VIRTUAL TABLE facts_index USING fts5(
    words, content='', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER facts_indexed AFTER INSERT ON facts BEGIN
    INSERT INTO facts_index(rowid, words) VALUES (new.id, new.text || ' ' || new.tags);
END;
CREATE TRIGGER facts_never_deleted BEFORE DELETE ON facts BEGIN
    SELECT RAISE(ABORT, 'agentnb memory never deletes a fact; forget it instead');
END;
CREATE TRIGGER facts_text_fixed BEFORE UPDATE OF id, text, norm, tags, author, why, at, replaces
ON facts BEGIN
    SELECT RAISE(ABORT, 'a remembered fact never changes; update() writes a new version');
END;
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('remember', 'update', 'forget', 'restore')),
    fact_id INTEGER NOT NULL REFERENCES facts(id),
    previous_id INTEGER REFERENCES facts(id),
    old_text TEXT,
    new_text TEXT,
    author TEXT NOT NULL,
    why TEXT NOT NULL
);
CREATE INDEX audit_fact ON audit(fact_id);
CREATE TRIGGER audit_never_changed BEFORE UPDATE ON audit BEGIN
    SELECT RAISE(ABORT, 'the memory audit log is append-only');
END;
CREATE TRIGGER audit_never_deleted BEFORE DELETE ON audit BEGIN
    SELECT RAISE(ABORT, 'the memory audit log is append-only');
END;
"""

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
        conn.execute("PRAGMA busy_timeout = 5000")
        # With WAL, NORMAL never corrupts the file; a power cut may lose the last commits (a crash
        # of the program does not), and each write skips an fsync.
        conn.execute("PRAGMA synchronous = NORMAL")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            if read_only:
                raise MemoryStoreError(f"cannot open memory store {label} read-only: the file is empty.")
            create(conn)
            return
        version = check_format(conn, label, tables)
        if read_only:
            if version < VERSION:
                raise MemoryStoreError(
                    f"cannot open memory store {label} read-only: it has an older format (version "
                    f"{version}) that must be upgraded first. Open it once without read_only=True."
                )
            return
        conn.execute("BEGIN IMMEDIATE")  # fails here, not at the first remember, if unwritable
        try:
            conn.execute("UPDATE meta SET value = value WHERE key = 'format'")
            migrate(conn, label, version)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise translate(exc, label) from None


def create(conn: sqlite3.Connection) -> None:
    """Write the schema and the format stamp into an empty database."""
    if conn.execute("PRAGMA database_list").fetchone()[2]:  # a file, not ":memory:"
        conn.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in split_script(SCHEMA):
            conn.execute(statement)
        conn.executemany(
            "INSERT INTO meta(key, value) VALUES (?, ?)",
            [("format", FORMAT), ("version", str(VERSION)), ("created_at", repr(time.time()))],
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def split_script(script: str) -> list[str]:
    """The statements of ``script`` (triggers contain ';' inside BEGIN ... END)."""
    statements: list[str] = []
    current = ""
    for line in script.strip().splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements


def check_format(conn: sqlite3.Connection, label: str, tables: set[str]) -> int:
    """The format version of an agentnb store; refuses other databases and newer formats."""
    meta = dict(conn.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
    if meta.get("format") != FORMAT:
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
    if version > VERSION:
        raise MemoryStoreError(
            f"cannot open memory store {label}: it was written by a newer agentnb (format version "
            f"{version}; this one reads up to {VERSION}). Upgrade agentnb to open it."
        )
    return version


def migrate(conn: sqlite3.Connection, label: str, version: int) -> None:
    """Upgrade an older store in place, one version at a time (inside the caller's transaction)."""
    while version < VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise MemoryStoreError(
                f"cannot open memory store {label}: no migration from format version {version}. "
                "Open it with the agentnb version that wrote it and export its facts."
            )
        step(conn)
        version += 1
        conn.execute("UPDATE meta SET value = ? WHERE key = 'version'", (str(version),))


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
