"""Store files: older formats migrate in place, and a file whose schema was tampered with is refused.

``data/version1.db`` was written by agentnb at cde04f2 (format version 1): three facts, one of
them updated, one forgotten, with tags, then VACUUMed.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from agentnb.core.sqlite_files import objects
from agentnb.memory import MemoryStore, MemoryStoreError
from agentnb.memory import database as db
from tests.files import tamper

VERSION_1 = Path(__file__).parent / "data" / "version1.db"


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    path = tmp_path / "version1.db"
    shutil.copyfile(VERSION_1, path)
    return path


def columns(path: Path, table: str) -> list[str]:
    raw = sqlite3.connect(path)
    try:
        return [row[1] for row in raw.execute(f"PRAGMA table_info({table})")]
    finally:
        raw.close()


def schema_objects(path: Path) -> dict:
    raw = sqlite3.connect(path)
    try:
        return objects(raw)
    finally:
        raw.close()


def test_a_version_1_store_gains_the_new_columns_and_keeps_everything(old_store, tmp_path):
    assert "namespace" not in columns(old_store, "facts")
    with MemoryStore(old_store) as store:
        assert [
            (f.id, f.text, f.status, f.namespace, f.expires_at)
            for f in store.facts(True, include_superseded=True)
        ] == [
            (1, "The park vote is on Friday", "active", "default", None),
            (2, "The mayor is Ana Silva", "superseded", "default", None),
            (3, "The mayor is Tom Berg since the election", "active", "default", None),
            (4, "The printer on floor 2 is broken", "forgotten", "default", None),
        ]
        assert store.get(1).tags == ("council",)
        assert [c.action for c in store.audit()] == ["remember", "remember", "update", "remember", "forget"]
        assert [f.id for f in store.recall("Ana Silva")] == [3]  # the old full-text index still works
        assert [f.id for f in store.history(2)] == [2, 3]
    assert {"namespace", "expires_at"} <= set(columns(old_store, "facts"))
    assert "namespace" in columns(old_store, "audit")
    raw = sqlite3.connect(old_store)
    assert raw.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == ("2",)
    raw.close()
    MemoryStore(tmp_path / "new.db").close()
    assert schema_objects(old_store) == schema_objects(tmp_path / "new.db")


def test_a_migrated_store_takes_namespaces_and_expiry_and_compacts_its_old_facts(old_store, clock):
    with MemoryStore(old_store) as store:
        store.scope("alice").remember("Alice sits by the window", by="teacher")
        short_lived = store.update(1, "The park vote is on Saturday", by="clerk", why="moved", ttl=60)
        clock.advance(61)
        assert [f.id for f in store.forget_expired()] == [1, short_lived.id]
        assert store.recall("park vote") == []
        assert [f.text for f in store.scope("alice").recall("window")] == ["Alice sits by the window"]
    raw = sqlite3.connect(old_store)
    raw.execute("INSERT INTO facts_index(facts_index) VALUES ('integrity-check')")
    raw.close()


def test_a_version_1_store_must_be_upgraded_before_it_is_opened_read_only(old_store):
    with pytest.raises(MemoryStoreError, match=r"older format \(version 1\) .* without read_only=True"):
        MemoryStore(old_store, read_only=True)
    MemoryStore(old_store).close()
    with MemoryStore(old_store, read_only=True) as reader:
        assert [f.id for f in reader.recall("mayor")] == [3]


PLANTED = """CREATE TRIGGER planted AFTER INSERT ON audit BEGIN
    INSERT INTO meta(key, value) VALUES ('planted-' || new.seq, 'written by a trigger in the file');
END"""


def test_a_store_with_its_guards_dropped_and_a_trigger_planted_is_refused_untouched(store_path):
    MemoryStore(store_path).close()
    tamper(
        store_path,
        "DROP TRIGGER facts_deleted_only_when_expired",
        "DROP TRIGGER audit_never_deleted",
        PLANTED,
    )
    before = store_path.read_bytes()
    with pytest.raises(MemoryStoreError) as caught:
        MemoryStore(store_path)
    message = str(caught.value)
    assert f"cannot open memory store {store_path}: its schema is not an agentnb memory store's" in message
    assert "trigger audit_never_deleted is missing" in message
    assert "trigger facts_deleted_only_when_expired is missing" in message
    assert "unexpected trigger planted" in message
    assert "move the file away" in message
    with pytest.raises(MemoryStoreError, match="unexpected trigger planted"):
        MemoryStore(store_path, read_only=True)
    assert store_path.read_bytes() == before


def test_a_tampered_version_1_store_is_refused_before_it_is_migrated(old_store):
    tamper(old_store, "DROP TRIGGER facts_never_deleted", PLANTED)
    with pytest.raises(
        MemoryStoreError, match=r"\(format version 1\): trigger facts_never_deleted is missing"
    ):
        MemoryStore(old_store)
    raw = sqlite3.connect(old_store)
    assert raw.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == ("1",)
    raw.close()


@pytest.mark.parametrize(
    ("statements", "problem"),
    [
        (["CREATE VIEW recent AS SELECT * FROM facts"], "unexpected view recent"),
        (["DROP INDEX facts_active_text"], "index facts_active_text is missing"),
        (["CREATE INDEX facts_by_author ON facts(author)"], "unexpected index facts_by_author"),
        (["CREATE TABLE notes (x)"], "unexpected table notes"),
        (["ALTER TABLE facts ADD COLUMN extra TEXT"], "table facts is not defined as agentnb defines it"),
        (
            [
                "DROP TRIGGER audit_never_changed",
                "CREATE TRIGGER audit_never_changed BEFORE UPDATE ON audit WHEN 0 BEGIN SELECT 1; END",
            ],
            "trigger audit_never_changed is not defined as agentnb defines it",
        ),
    ],
)
def test_any_unexpected_or_missing_schema_object_is_named(store_path, statements, problem):
    MemoryStore(store_path).close()
    tamper(store_path, *statements)
    with pytest.raises(MemoryStoreError, match=problem):
        MemoryStore(store_path)


def test_sqlites_own_statistics_tables_are_not_a_tampered_schema(store):
    store.remember("Statistics are data, not code", by="a")
    tamper(Path(store.path), "ANALYZE")
    with MemoryStore(store.path) as again:
        assert len(again) == 1


def test_every_connection_runs_with_trusted_schema_off(store_path):
    MemoryStore(store_path).close()
    opened = [
        db.connect(":memory:", read_only=False)[0],
        db.connect(store_path, read_only=False)[0],
        db.connect(store_path, read_only=True)[0],
    ]
    try:
        assert [conn.execute("PRAGMA trusted_schema").fetchone()[0] for conn in opened] == [0, 0, 0]
    finally:
        for conn in opened:
            conn.close()
