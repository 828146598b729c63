"""The one way agentnb opens its SQLite files, on a kind of file of its own (a notebook of notes).

The run store and the memory store are tested through their own APIs (tests/store,
tests/memory); these tests pin what any kind of file gets from `agentnb.core.sqlite_files`.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest

from agentnb.core.errors import AgentnbError
from agentnb.core.sqlite_files import SQLiteFile, SQLiteFormat, Wording, connect, objects
from tests.files import tamper


class NotesError(AgentnbError):
    pass


VERSION_1 = """
CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TRIGGER notes_kept BEFORE DELETE ON notes BEGIN
    SELECT RAISE(ABORT, 'a note is never deleted');
END;
CREATE VIRTUAL TABLE notes_index USING fts5(text, content='')
"""  # the last statement without its ';'
TO_VERSION_2 = "ALTER TABLE notes ADD COLUMN tags TEXT NOT NULL DEFAULT '';"
WORDING = Wording(
    noun="notebook",
    example="notes.db",
    elsewhere="Choose a writable path.",
    read_instead="Open it with read_only=True to read it.",
    locked="is locked by another writer ({text}). Try again.",
)


def notes_format(version: int = 2) -> SQLiteFormat:
    return SQLiteFormat(
        name="agentnb-notes",
        version=version,
        schema=VERSION_1,
        error=NotesError,
        wording=WORDING,
        migrations={1: TO_VERSION_2},
    )


def open_file(path: Path, version: int = 2, read_only: bool = False) -> SQLiteFile:
    fmt = notes_format(version)
    conn, label = connect(path, fmt, read_only=read_only, timeout=1.0)
    return SQLiteFile(conn, label, fmt, read_only=read_only)


def schema_of(path: Path) -> dict[tuple[str, str], str]:
    with closing(sqlite3.connect(path)) as raw:
        return objects(raw)


def query(path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as raw:
        return raw.execute(sql).fetchall()


def new_file(tmp_path: Path) -> Path:
    path = tmp_path / "new.db"
    open_file(path).close()
    return path


def test_a_new_file_gets_the_whole_schema_even_a_last_statement_without_its_semicolon(tmp_path):
    path = tmp_path / "notes.db"
    open_file(path).close()
    found = schema_of(path)
    assert ("table", "notes_index") in found and ("trigger", "notes_kept") in found
    assert query(path, "SELECT key, value FROM meta WHERE key != 'created_at' ORDER BY key") == [
        ("format", "agentnb-notes"),
        ("version", "2"),
    ]
    assert [r[1] for r in query(path, "PRAGMA table_info(notes)")] == ["id", "text", "tags"]
    assert query(path, "PRAGMA journal_mode") == [("wal",)]


def test_an_older_file_is_checked_against_its_own_version_then_migrated_in_place(tmp_path):
    path = tmp_path / "notes.db"
    open_file(path, version=1).close()
    with open_file(path, version=1).write() as conn:
        conn.execute("INSERT INTO notes(text) VALUES ('kept through the migration')")
    opened = open_file(path, version=2)
    with opened.read() as conn:
        assert conn.execute("SELECT text, tags FROM notes").fetchall() == [("kept through the migration", "")]
        assert conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == ("2",)
    opened.close()
    assert schema_of(path) == schema_of(new_file(tmp_path))


def test_a_tampered_older_file_is_refused_naming_its_version_and_left_unmigrated(tmp_path):
    path = tmp_path / "notes.db"
    open_file(path, version=1).close()
    tamper(path, "CREATE TRIGGER planted AFTER INSERT ON notes BEGIN DELETE FROM meta; END")
    with pytest.raises(
        NotesError, match=r"not an agentnb notebook's \(format version 1\): unexpected trigger"
    ):
        open_file(path, version=2)
    assert query(path, "SELECT value FROM meta WHERE key = 'version'") == [("1",)]


def test_tables_a_virtual_table_keeps_its_data_in_are_compared_by_name_only(tmp_path):
    path = tmp_path / "notes.db"
    open_file(path).close()
    found = schema_of(path)
    assert found["table", "notes_index_data"] == "on notes_index_data"
    assert found["table", "notes"].startswith("CREATE TABLE notes (id INTEGER PRIMARY KEY")
    tamper(path, "CREATE TABLE notes_index_more (x)")
    with pytest.raises(NotesError, match="unexpected table notes_index_more"):
        open_file(path)


def test_every_error_is_the_formats_own_and_speaks_its_words(tmp_path):
    (tmp_path / "other.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(
        NotesError, match=r"cannot use notebook .*other\.db: the file is not a SQLite database"
    ):
        open_file(tmp_path / "other.db")
    with pytest.raises(NotesError, match=r"it is a directory\. Give a file path, such as '.*notes\.db'"):
        open_file(tmp_path)
    with pytest.raises(NotesError, match=r"newer agentnb \(format version 2; this one reads up to 1\)"):
        open_file(new_file(tmp_path), version=1)
    with pytest.raises(NotesError, match="no migration from format version 2"):
        open_file(new_file(tmp_path), version=3)


def test_every_connection_runs_with_trusted_schema_off(tmp_path):
    path = tmp_path / "notes.db"
    for read_only in (False, True):
        with open_file(path, read_only=read_only).read() as conn:
            assert conn.execute("PRAGMA trusted_schema").fetchone() == (0,)


def test_a_write_that_fails_is_rolled_back_and_its_sqlite_error_translated(tmp_path):
    file = open_file(tmp_path / "notes.db")
    with pytest.raises(RuntimeError), file.write() as conn:
        conn.execute("INSERT INTO notes(text) VALUES ('half done')")
        raise RuntimeError("the caller failed")
    with (
        pytest.raises(NotesError, match=r"notebook .*: SQLite failed: a note is never deleted"),
        file.write() as conn,
    ):
        conn.execute("INSERT INTO notes(text) VALUES ('kept')")
        conn.execute("DELETE FROM notes")
    with file.read() as conn:
        assert conn.execute("SELECT count(*) FROM notes").fetchone() == (0,)
        assert not conn.in_transaction


def test_a_file_held_by_another_writer_says_so_in_the_formats_words(tmp_path):
    path = tmp_path / "notes.db"
    file = open_file(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with (
            pytest.raises(
                NotesError, match=r"is locked by another writer \(database is locked\)\. Try again"
            ),
            file.write(),
        ):
            pass
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_read_only_or_closed_file_refuses_writes_and_says_why(tmp_path):
    path = tmp_path / "notes.db"
    open_file(path).close()
    reader = open_file(path, read_only=True)
    refused = "opened with read_only=True; open it without it to write"
    with pytest.raises(NotesError, match=refused), reader.write():
        pass
    reader.close()
    reader.close()
    with pytest.raises(NotesError, match=r"notebook .*notes\.db is closed; open it again"), reader.read():
        pass


def test_threads_creating_one_new_file_at_once_make_it_once(tmp_path):
    path = tmp_path / "deep" / "notes.db"
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def race() -> None:
        barrier.wait()
        try:
            open_file(path).close()
        except BaseException as exc:  # collected: the test names every failure
            errors.append(exc)

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert query(path, "SELECT count(*) FROM meta WHERE key = 'format'") == [(1,)]
