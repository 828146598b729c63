"""agentnb's SQLite files, opened as data: one safe way for every kind (run stores, memory stores).

A file may come from anyone, so nothing in it runs: every connection has ``trusted_schema``
off, and the file's schema is compared object by object (SQL text included) with the one
agentnb writes for the file's version before anything else is read, so a planted trigger or
view is refused, never run. A new file is made — or an older one checked and migrated — in
one ``BEGIN IMMEDIATE`` transaction, so threads and processes may open one new file at once.
Write-ahead logging lets readers read while a writer writes; ``synchronous=NORMAL`` keeps every
commit through a crash of the program (a power cut may lose the last ones, never the file).
Every SQLite failure becomes the kind's own error, naming the file and saying what to do.
A kind of file is a `SQLiteFormat`; `connect` opens one, `SQLiteFile` shares it between threads.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from agentnb.core.errors import AgentnbError

IN_MEMORY = ":memory:"
# The table every agentnb SQLite file has, whatever its kind: its format stamp and version.
META = "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
# SQLite's own bookkeeping tables (ANALYZE, AUTOINCREMENT): content, never code.
SQLITE_TABLES = {"sqlite_sequence", "sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4"}
MOVE_AWAY = "Choose another path, or move the file away to start a new store."

Objects = dict[tuple[str, str], str]


@dataclass(frozen=True)
class Wording:
    """How errors name one kind of file, and what they tell its users to do."""

    noun: str  # "run store": "cannot open run store /home/ana/runs.db: ..."
    example: str  # the file name suggested to someone who gave a directory
    elsewhere: str  # what to do when the file cannot be written, e.g. "Choose a writable path."
    read_instead: str  # how to read an existing file that cannot be written
    locked: str  # follows "{noun} {label} " when another program writes; {text}: SQLite's words
    damaged: str = "cannot use"  # starts "... {noun} {label}: the file is not a SQLite database"
    unwritable: str = "cannot write to"  # starts "... {noun} {label}: the file is not writable"


@dataclass(frozen=True)
class SQLiteFormat:
    """One kind of agentnb SQLite file: its stamp, its schema at every version, its errors."""

    name: str  # the format stamp in the file's meta table, e.g. "agentnb-runs"
    version: int  # the version this agentnb writes (and the newest it reads)
    schema: str  # version 1's tables, indexes and triggers, besides `META`
    error: type[AgentnbError]
    wording: Wording
    migrations: Mapping[int, str] = field(default_factory=dict)  # version -> script to the next one
    page_size: int | None = None  # of a new file (None: SQLite's default)

    def scripts(self, start: int, end: int, label: str) -> list[str]:
        """The migration scripts that bring a file from version ``start`` to ``end``, in order."""
        scripts = []
        for step in range(start, end):
            script = self.migrations.get(step)
            if script is None:
                raise self.error(
                    f"cannot open {self.wording.noun} {label}: no migration from format version {step}. "
                    "Open it with the agentnb version that wrote it and export what it holds."
                )
            scripts.append(script)
        return scripts


def connect(
    path: str | os.PathLike[str], fmt: SQLiteFormat, *, read_only: bool, timeout: float
) -> tuple[sqlite3.Connection, str]:
    """Open the file at ``path`` (created with ``fmt``'s schema if missing, unless ``read_only``),
    waiting up to ``timeout`` seconds for other writers; the connection and the file's name."""
    words = fmt.wording
    file = Path(path).expanduser().absolute()
    label = str(file)
    if file.is_dir():
        raise fmt.error(
            f"cannot open {words.noun} {label}: it is a directory. Give a file path, "
            f"such as {str(file / words.example)!r}."
        )
    if read_only and not file.exists():
        raise fmt.error(f"cannot open {words.noun} {label} read-only: there is no such file.")
    if not read_only:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise fmt.error(
                f"cannot create {words.noun} {label}: its directory cannot be created "
                f"({exc.strerror}). {words.elsewhere}"
            ) from None
        return _open(label, "mode=rwc", fmt, read_only=False, timeout=timeout), label
    try:
        return _open(label, "mode=ro", fmt, read_only=True, timeout=timeout), label
    except fmt.error:
        if unwritable(label) is None:
            raise
    # Even reading a WAL file writes a shared-memory file beside it; where that cannot be, read
    # the file as a snapshot that no other program changes meanwhile.
    return _open(label, "mode=ro&immutable=1", fmt, read_only=True, timeout=timeout), label


def _open(
    label: str, parameters: str, fmt: SQLiteFormat, *, read_only: bool, timeout: float
) -> sqlite3.Connection:
    uri = f"file:{urllib.parse.quote(label)}?{parameters}"
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
    except sqlite3.Error as exc:
        raise translate(exc, label, fmt) from None
    try:
        prepare(conn, label, fmt, read_only=read_only, timeout=timeout)
    except BaseException:
        conn.close()
        raise
    return conn


def prepare(
    conn: sqlite3.Connection, label: str, fmt: SQLiteFormat, *, read_only: bool, timeout: float
) -> None:
    """Set up a new connection: create the schema in an empty database, or check (and, unless
    ``read_only``, migrate) an existing file before anything else reads it."""
    try:
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA synchronous = NORMAL")
        if read_only:
            _check_readable(conn, label, fmt)
            return
        if conn.execute("PRAGMA database_list").fetchone()[2]:  # a file, not a database in memory
            if fmt.page_size is not None and not _tables(conn):
                conn.execute(f"PRAGMA page_size = {fmt.page_size}")
            _use_wal(conn, timeout)
        # IMMEDIATE takes the write lock first: of several connections opening one new file,
        # one creates the schema and the others, waiting, then find it there.
        conn.execute("BEGIN IMMEDIATE")
        try:
            if _tables(conn):
                version = _check(conn, label, fmt)
                conn.execute("UPDATE meta SET value = value WHERE key = 'format'")  # fails if unwritable
                _migrate(conn, label, fmt, version)
            else:
                _create(conn, fmt)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise translate(exc, label, fmt) from None


def _use_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch a file to write-ahead logging, once per file.

    The switch needs the file to itself and SQLite reports "locked" at once instead of waiting
    (its busy timeout does not apply): while other connections open the same new file, retry.
    """
    deadline = time.monotonic() + timeout
    while conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.002)


def _tables(conn: sqlite3.Connection) -> list[str]:
    return sorted(row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))


def _run(conn: sqlite3.Connection, script: str) -> None:
    """Run ``script`` inside the caller's transaction (``executescript`` would commit it); a
    statement ends where SQLite says it is complete (triggers hold ';' inside BEGIN ... END)."""
    current = ""
    for line in script.strip().splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            conn.execute(current.strip())
            current = ""
    if current.strip():  # a last statement without its ';': run, so that a mistake in it shows
        conn.execute(current.strip())


def objects(conn: sqlite3.Connection) -> Objects:
    """The schema objects of a database: (type, name) -> SQL with its spacing normalised.

    The tables a virtual table keeps its data in (FTS5's ``<name>_data``, ...) are made and
    written by SQLite itself, so they are compared by name only.
    """
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    virtual = tuple(
        f"{name}_"
        for kind, name, _, sql in rows
        if kind == "table" and (sql or "").upper().startswith("CREATE VIRTUAL")
    )
    found: Objects = {}
    for kind, name, table, sql in rows:
        if kind == "table" and name in SQLITE_TABLES:
            continue
        shadow = kind == "table" and name.startswith(virtual)
        found[kind, name] = f"on {table}" if shadow else " ".join((sql or f"on {table}").split())
    return found


@functools.lru_cache(maxsize=16)
def _expected(scripts: tuple[str, ...]) -> Objects:
    """The objects of a file built by ``scripts`` after `META`, made in memory."""
    conn = sqlite3.connect(IN_MEMORY, isolation_level=None)
    try:
        for script in (META, *scripts):
            _run(conn, script)
        return objects(conn)
    finally:
        conn.close()


def _check(conn: sqlite3.Connection, label: str, fmt: SQLiteFormat) -> int:
    """The version of a file of ``fmt``; refuses other databases, newer versions, and a schema
    that is not exactly agentnb's for the file's version (checked before anything in it could run)."""
    words = fmt.wording
    found = objects(conn)
    meta = {}
    if found.get(("table", "meta")) == _expected(())["table", "meta"]:
        meta = dict(conn.execute("SELECT key, value FROM meta"))
    if meta.get("format") != fmt.name:
        tables = _tables(conn)
        names = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise fmt.error(
            f"cannot open {words.noun} {label}: it is a SQLite database but not an agentnb {words.noun} "
            f"(its tables: {names}). Choose another path; agentnb does not change this file."
        )
    raw = meta.get("version", "")
    if not raw.isdigit():
        raise fmt.error(
            f"cannot open {words.noun} {label}: its format version {raw!r} is unreadable, so the file "
            f"is damaged. {MOVE_AWAY}"
        )
    version = int(raw)
    if version > fmt.version:
        raise fmt.error(
            f"cannot open {words.noun} {label}: it was written by a newer agentnb (format version "
            f"{version}; this one reads up to {fmt.version}). Upgrade agentnb to open it; the file is "
            "left as it is."
        )
    wanted = _expected((fmt.schema, *fmt.scripts(1, version, label)))  # as agentnb wrote that version
    problems = [f"{kind} {name} is missing" for kind, name in wanted if (kind, name) not in found]
    problems += [f"unexpected {kind} {name}" for kind, name in found if (kind, name) not in wanted]
    problems += [
        f"{kind} {name} is not defined as agentnb defines it"
        for (kind, name), sql in found.items()
        if (kind, name) in wanted and wanted[kind, name] != sql
    ]
    if problems:
        shown = "; ".join(sorted(problems)[:6]) + ("; …" if len(problems) > 6 else "")
        older = f" (format version {version})" if version < fmt.version else ""
        raise fmt.error(
            f"cannot open {words.noun} {label}: its schema is not an agentnb {words.noun}'s{older}: "
            f"{shown}. The file was changed outside agentnb, so it is not used. {MOVE_AWAY}"
        )
    return version


def _check_readable(conn: sqlite3.Connection, label: str, fmt: SQLiteFormat) -> None:
    """Check a file opened read-only: not empty, of ``fmt``'s current version, schema intact."""
    noun = fmt.wording.noun
    if not _tables(conn):
        raise fmt.error(f"cannot open {noun} {label} read-only: the file is empty.")
    version = _check(conn, label, fmt)
    if version < fmt.version:
        raise fmt.error(
            f"cannot open {noun} {label} read-only: it has an older format (version {version}) that "
            "must be upgraded first. Open it once without read_only=True."
        )


def _create(conn: sqlite3.Connection, fmt: SQLiteFormat) -> None:
    """Write the current schema and the format stamp into an empty database (in the caller's transaction)."""
    for script in (META, fmt.schema, *fmt.scripts(1, fmt.version, "(new)")):
        _run(conn, script)
    conn.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?)",
        [("format", fmt.name), ("version", str(fmt.version)), ("created_at", repr(time.time()))],
    )


def _migrate(conn: sqlite3.Connection, label: str, fmt: SQLiteFormat, version: int) -> None:
    """Upgrade a checked file in place, one version at a time (in the caller's transaction)."""
    for step, script in enumerate(fmt.scripts(version, fmt.version, label), start=version):
        _run(conn, script)
        conn.execute("UPDATE meta SET value = ? WHERE key = 'version'", (str(step + 1),))


def translate(exc: sqlite3.Error, label: str, fmt: SQLiteFormat) -> AgentnbError:
    """``fmt``'s error for a SQLite failure on the file ``label``: what happened, what to do."""
    words = fmt.wording
    text = str(exc)
    damaged = "not a database" in text or "malformed" in text or "corrupt" in text
    if isinstance(exc, sqlite3.DatabaseError) and damaged:
        return fmt.error(
            f"{words.damaged} {words.noun} {label}: the file is not a SQLite database, or it is damaged "
            f"({text}). {MOVE_AWAY}"
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        reason = unwritable(label) or text
        read = f" {words.read_instead}" if label != IN_MEMORY and Path(label).is_file() else ""
        return fmt.error(f"{words.unwritable} {words.noun} {label}: {reason}. {words.elsewhere}{read}")
    if "locked" in text or "busy" in text:
        return fmt.error(f"{words.noun} {label} {words.locked.format(text=text)}")
    return fmt.error(f"{words.noun} {label}: SQLite failed: {text}")


def unwritable(label: str) -> str | None:
    """Why the file (or its directory) cannot be written, in words; found by trying."""
    if label == IN_MEMORY:
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


class SQLiteFile:
    """One open file of ``fmt``, shared by threads: its connection under a lock, reads, and write
    transactions, every SQLite failure turned into ``fmt``'s error."""

    def __init__(self, conn: sqlite3.Connection, label: str, fmt: SQLiteFormat, *, read_only: bool) -> None:
        self._conn: sqlite3.Connection | None = conn
        self.label, self.format, self.read_only = label, fmt, read_only
        self._lock = threading.RLock()

    def close(self) -> None:
        """Close the connection (closing twice is harmless)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise self.format.error(f"{self.format.wording.noun} {self.label} is closed; open it again")
        return self._conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock."""
        with self._lock:
            conn = self._connection()
            try:
                yield conn
            except sqlite3.Error as exc:
                raise translate(exc, self.label, self.format) from None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, under the lock, taking the file's write lock first; rolled back if
        the block fails."""
        with self._lock:
            conn = self._connection()
            if self.read_only:
                raise self.format.error(
                    f"{self.format.wording.noun} {self.label} was opened with read_only=True; open it "
                    "without it to write"
                )
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise translate(exc, self.label, self.format) from None
