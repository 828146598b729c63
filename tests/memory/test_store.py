"""Writes: facts persist, are versioned instead of overwritten, and every change is audited."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from agentnb.core.errors import AgentnbError
from agentnb.memory import MemoryStore, MemoryStoreError, UnknownFactError

from .conftest import fake_embed


def test_a_file_store_restores_facts_history_and_audit_after_reopening(store_path):
    with MemoryStore(store_path) as store:
        paris = store.remember("Alice lives in Paris", by="teacher", why="intro", tags=["people"])
        vote = store.remember("The park vote is on Friday", by="writer", why="story")
        berlin = store.update(paris.id, "Alice lives in Berlin", by="editor", why="she moved")
        store.forget(vote.id, by="editor", why="vote cancelled")
    with MemoryStore(store_path) as reopened:
        assert [f.text for f in reopened.facts()] == ["Alice lives in Berlin"]
        assert reopened.get(paris.id).status == "superseded"
        assert reopened.get(vote.id).status == "forgotten"
        assert reopened.get(berlin.id).tags == ("people",)
        assert [c.action for c in reopened.audit()] == ["remember", "remember", "update", "forget"]
        assert reopened.recall("Berlin")[0].id == berlin.id


def test_every_change_is_an_audit_row_saying_who_why_and_what(store):
    fact = store.remember("The deadline is Friday", by="writer", why="from the brief")
    newer = store.update(fact.id, "The deadline is Thursday", by="editor", why="moved up")
    store.forget(newer.id, by="editor", why="no deadline now")
    store.restore(newer.id, by="teacher", why="it was right")
    rows = [(c.action, c.fact_id, c.previous_id, c.old_text, c.new_text, c.by, c.why) for c in store.audit()]
    assert rows == [
        ("remember", fact.id, None, None, "The deadline is Friday", "writer", "from the brief"),
        (
            "update",
            newer.id,
            fact.id,
            "The deadline is Friday",
            "The deadline is Thursday",
            "editor",
            "moved up",
        ),
        ("forget", newer.id, None, "The deadline is Thursday", None, "editor", "no deadline now"),
        ("restore", newer.id, None, None, "The deadline is Thursday", "teacher", "it was right"),
    ]
    assert [c.seq for c in store.audit(limit=2)] == [3, 4]
    assert all(c.at > 0 for c in store.audit())


def test_an_update_writes_a_new_version_and_keeps_the_old_one(store):
    old = store.remember("Bob edits the sports page", by="teacher")
    new = store.update(old.id, "Bob edits the front page", by="editor", why="promotion")
    assert new.id != old.id and new.replaces == old.id
    kept = store.get(old.id)
    assert (kept.text, kept.status, kept.superseded_by) == ("Bob edits the sports page", "superseded", new.id)
    assert [f.id for f in store.history(old.id)] == [old.id, new.id]
    assert [f.id for f in store.history(new.id)] == [old.id, new.id]


def test_a_contradicting_new_fact_never_removes_the_older_one(store):
    first = store.remember("The museum opens at 9", by="writer")
    second = store.remember("The museum opens at 10", by="fact_checker", why="their website says so")
    assert {f.id for f in store.facts()} == {first.id, second.id}
    assert {f.id for f in store.recall("museum opens")} == {first.id, second.id}


def test_a_replaced_fact_is_recalled_as_its_current_version(store):
    old = store.remember("The mayor is Ana Silva", by="writer")
    new = store.update(old.id, "The mayor is Tom Berg since the election", by="fact_checker", why="election")
    recalled = store.recall("Ana Silva")  # words only the old version has
    assert [f.id for f in recalled] == [new.id]
    assert 'replaces #1: "The mayor is Ana Silva"' in store.context_note("Ana Silva")


def test_forget_hides_a_fact_from_recall_and_restore_brings_it_back(store):
    fact = store.remember("The printer is broken", by="writer")
    store.forget(fact.id, by="editor", why="fixed")
    assert store.recall("printer") == []
    assert fact.id in {f.id for f in store.facts(include_forgotten=True)}
    assert len(store.facts()) == 0
    store.restore(fact.id, by="editor", why="broken again")
    assert [f.id for f in store.recall("printer")] == [fact.id]


def test_forgetting_the_current_version_hides_the_older_versions_too(store):
    old = store.remember("The budget is 3 million", by="writer")
    new = store.update(old.id, "The budget is 4 million", by="editor", why="revised")
    store.forget(new.id, by="editor", why="budget withdrawn")
    assert store.recall("budget million") == []


def test_forget_and_restore_are_idempotent_and_write_no_extra_rows(store):
    fact = store.remember("Lunch is at noon", by="writer")
    store.forget(fact.id, by="a", why="x")
    store.forget(fact.id, by="a", why="x")
    store.restore(fact.id, by="a", why="y")
    store.restore(fact.id, by="a", why="y")
    assert [c.action for c in store.audit()] == ["remember", "forget", "restore"]


def test_remembering_the_same_text_again_returns_the_existing_fact_and_writes_nothing(store):
    first = store.remember("Alice likes tea", by="writer")
    again = store.remember("  alice LIKES   tea ", by="editor")
    assert again.id == first.id and len(store) == 1 and len(store.audit()) == 1
    batch = store.remember_many(["Alice likes tea", "Bob likes coffee"], by="x")
    assert batch[0].id == first.id and len(store) == 2


def test_updating_a_replaced_fact_names_its_newer_version(store):
    old = store.remember("The office is on floor 2", by="writer")
    store.update(old.id, "The office is on floor 3", by="editor", why="moved")
    with pytest.raises(MemoryStoreError, match=r"#1 was already replaced by #2 .*update #2 instead"):
        store.update(old.id, "The office is on floor 4", by="writer", why="late news")


def test_a_forgotten_fact_must_be_restored_before_it_is_updated(store):
    fact = store.remember("The office is on floor 2", by="writer")
    store.forget(fact.id, by="editor", why="x")
    with pytest.raises(MemoryStoreError, match="restore it before updating"):
        store.update(fact.id, "The office is on floor 3", by="editor", why="y")


def test_an_older_version_cannot_be_forgotten_or_restored_on_its_own(store):
    old = store.remember("Stand-up is at 10", by="writer")
    store.update(old.id, "Stand-up is at 11", by="editor", why="moved")
    with pytest.raises(MemoryStoreError, match="forget #2, its current version"):
        store.forget(old.id, by="editor", why="x")
    with pytest.raises(MemoryStoreError, match="update #2 with it"):
        store.restore(old.id, by="editor", why="x")


def test_an_unknown_fact_id_is_named_in_the_error(store):
    for action in (
        lambda: store.get(42),
        lambda: store.update(42, "x", by="a", why="b"),
        lambda: store.forget(42, by="a", why="b"),
        lambda: store.restore(42, by="a", why="b"),
        lambda: store.history(42),
    ):
        with pytest.raises(UnknownFactError, match="no fact #42"):
            action()
    assert issubclass(UnknownFactError, AgentnbError)


def test_empty_text_or_writer_is_refused(store):
    with pytest.raises(ValueError, match="non-empty text"):
        store.remember("   ", by="writer")
    with pytest.raises(ValueError, match="name who makes the change"):
        store.remember("A fact", by="")
    assert len(store.audit()) == 0


def test_the_database_itself_refuses_to_delete_or_rewrite_facts_and_audit_rows(store, store_path):
    store.remember("Keep me", by="writer")
    raw = sqlite3.connect(store_path)
    for statement in (
        "DELETE FROM facts",
        "UPDATE facts SET text = 'changed'",
        "DELETE FROM audit",
        "UPDATE audit SET why = 'rewritten'",
    ):
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute(statement)
    raw.close()
    assert store.get(1).text == "Keep me" and store.audit()[0].why == ""


@pytest.mark.parametrize("embed", [None, fake_embed], ids=["bm25", "embeddings"])
def test_many_threads_writing_and_recalling_at_once_lose_nothing(store_path, embed):
    store = MemoryStore(store_path, embed=embed)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(40):
                fact = store.remember(f"worker{worker} note{i} about the harbour", by=f"w{worker}")
                store.recall("harbour note", k=3)
                if i % 10 == 0:
                    store.update(fact.id, f"worker{worker} note{i} revised", by=f"w{worker}", why="t")
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store) == 8 * 40
    assert len(store.audit()) == 8 * 40 + 8 * 4
    assert len(store.facts(include_superseded=True)) == 8 * 44


def test_two_store_objects_on_one_file_see_each_others_writes(store_path):
    with MemoryStore(store_path) as first, MemoryStore(store_path) as second:
        first.remember("Written by the first notebook", by="a")
        assert [f.text for f in second.recall("notebook")] == ["Written by the first notebook"]
        second.remember("Written by the second notebook", by="b")
        assert len(first) == 2


def test_a_memory_store_in_memory_starts_empty_every_time():
    with MemoryStore() as store:
        store.remember("Temporary", by="a")
        assert len(store) == 1
    with MemoryStore(":memory:") as store:
        assert len(store) == 0
