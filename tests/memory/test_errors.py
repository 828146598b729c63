"""Errors for people: unwritable paths, files that are not stores, newer formats, closed stores."""

from __future__ import annotations

import sqlite3

import pytest

from agentnb.memory import MemoryStore, MemoryStoreError, database, schema
from tests.files import tamper, unprivileged


def test_a_store_in_a_read_only_directory_says_the_directory_is_not_writable(shared_dir):
    shared_dir.chmod(0o555)
    path = shared_dir / "team.db"
    with unprivileged(), pytest.raises(MemoryStoreError) as caught:
        MemoryStore(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"its directory {shared_dir} is not writable (Permission denied)" in message
    assert "Choose a writable path, or use MemoryStore()" in message
    assert not path.exists()


def test_an_unwritable_store_file_is_refused_for_writing_but_can_be_read(shared_dir):
    path = shared_dir / "team.db"
    with MemoryStore(path) as store:
        store.remember("The archive is in the basement", by="teacher")
    path.chmod(0o444)
    shared_dir.chmod(0o555)
    with unprivileged():
        with pytest.raises(MemoryStoreError) as caught:
            MemoryStore(path)
        with MemoryStore(path, read_only=True) as reader:
            recalled = [f.text for f in reader.recall("archive")]
    assert f"cannot use memory store {path}: the file is not writable (Permission denied)" in str(
        caught.value
    )
    assert "open it with read_only=True" in str(caught.value)
    assert recalled == ["The archive is in the basement"]


def test_a_read_only_store_recalls_but_refuses_writes(store_path):
    with MemoryStore(store_path) as store:
        store.remember("Deadline is Friday", by="teacher")
    with MemoryStore(store_path, read_only=True) as reader:
        assert [f.text for f in reader.recall("deadline")] == ["Deadline is Friday"]
        with pytest.raises(MemoryStoreError, match="opened with read_only=True; open it without it to write"):
            reader.remember("Another fact", by="writer")
        with pytest.raises(MemoryStoreError, match="read_only=True"):
            reader.forget(1, by="writer", why="x")
    assert len(MemoryStore(store_path).audit()) == 1


def test_read_only_needs_an_existing_store_file(tmp_path):
    with pytest.raises(MemoryStoreError, match="read-only: there is no such file"):
        MemoryStore(tmp_path / "missing.db", read_only=True)
    with pytest.raises(MemoryStoreError, match="read_only=True needs a file path"):
        MemoryStore(":memory:", read_only=True)


def test_a_path_under_a_regular_file_cannot_be_created(tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a directory")
    with pytest.raises(
        MemoryStoreError, match=r"its directory cannot be created \(.+\)\. Choose a writable path"
    ):
        MemoryStore(blocker / "memory.db")


def test_a_directory_given_as_the_store_path_gets_a_suggested_file_name(tmp_path):
    with pytest.raises(
        MemoryStoreError, match=r"it is a directory\. Give a file path, such as '.*memory\.db'"
    ):
        MemoryStore(tmp_path)


def test_a_file_that_is_not_sqlite_is_reported_as_damaged_and_left_alone(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    with pytest.raises(MemoryStoreError) as caught:
        MemoryStore(path)
    assert f"cannot open memory store {path}: the file is not a SQLite database, or it is damaged" in str(
        caught.value
    )
    assert "move the file away to start a new store" in str(caught.value)
    assert path.read_bytes().startswith(b"these are my notes")


def test_a_store_whose_pages_are_damaged_is_a_clear_error(store_path):
    with MemoryStore(store_path) as store:
        store.remember_many([f"fact number {i} about the harbour" for i in range(300)], by="w")
    data = bytearray(store_path.read_bytes())
    data[4096:] = b"\xff" * (len(data) - 4096)  # keep the header, ruin every page after the first
    store_path.write_bytes(bytes(data))
    with pytest.raises(MemoryStoreError, match="not a SQLite database, or it is damaged"):
        MemoryStore(store_path).recall("harbour")


def test_another_programs_sqlite_database_is_refused_and_not_changed(tmp_path):
    path = tmp_path / "shop.db"
    tamper(path, "CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT)")
    with pytest.raises(
        MemoryStoreError, match=r"a SQLite database but not an agentnb memory store \(its tables: orders\)"
    ):
        MemoryStore(path)
    tables = sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert tables == [("orders",)]


def test_a_store_written_by_a_newer_agentnb_is_refused(store_path):
    MemoryStore(store_path).close()
    tamper(store_path, "UPDATE meta SET value = '99' WHERE key = 'version'")
    with pytest.raises(
        MemoryStoreError, match=r"newer agentnb \(format version 99; this one reads up to 2\)"
    ):
        MemoryStore(store_path)


def test_a_store_without_a_migration_path_says_so(store_path, monkeypatch):
    MemoryStore(store_path).close()
    monkeypatch.setattr(schema, "VERSION", 3)
    with pytest.raises(MemoryStoreError, match="no migration from format version 2"):
        MemoryStore(store_path)


def test_a_closed_store_says_it_is_closed(store_path):
    store = MemoryStore(store_path)
    store.close()
    with pytest.raises(MemoryStoreError, match=f"memory store {store_path} is closed"):
        store.recall("anything")
    store.close()  # closing twice is harmless


def test_a_store_locked_by_another_writer_says_what_to_do(store_path, monkeypatch):
    monkeypatch.setattr(database, "BUSY_TIMEOUT", 50)
    store = MemoryStore(store_path)
    other = sqlite3.connect(store_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(MemoryStoreError, match=r"locked by another process .* Try again"):
            store.remember("Blocked", by="writer")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.remember("Not blocked any more", by="writer").id == 1
