"""Expiry: a fact past its time to live is not recalled, stays in the audit, and can be compacted away."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from agentnb.memory import MemoryStore, MemoryStoreError, UnknownFactError

HOUR = 3600.0


def test_an_expired_fact_is_not_recalled_counted_or_listed(store, clock):
    lasting = store.remember("The school is on Elm Street", by="teacher")
    brief = store.remember("Today's room is B12", by="teacher", ttl=HOUR)
    assert {f.id for f in store.recall("school room street")} == {lasting.id, brief.id}
    clock.advance(HOUR + 1)
    assert [f.id for f in store.recall("school room street")] == [lasting.id]
    assert len(store) == 1 and [f.id for f in store.facts()] == [lasting.id]
    assert store.get(brief.id).status == "expired"
    assert [f.id for f in store.facts(include_expired=True)] == [lasting.id, brief.id]
    assert store.context_note("room") is None


def test_a_store_ttl_applies_to_every_write_unless_a_fact_gives_its_own(store_path, clock):
    with MemoryStore(store_path, ttl=timedelta(days=1)) as store:
        day = store.remember("The canteen serves soup", by="cook")
        week = store.remember("The trip is next week", by="teacher", ttl=timedelta(days=7))
        never = store.remember("The school was founded in 1901", by="teacher", ttl=float("inf"))
        batch = store.remember_many(["Bring a pencil", "Bring a ruler"], by="teacher")
        tool_fact = store.tools("assistant")[0]
    assert (day.expires_at, week.expires_at, never.expires_at) == (
        clock.now + 86400,
        clock.now + 7 * 86400,
        None,
    )
    assert {f.expires_at for f in batch} == {clock.now + 86400}
    assert tool_fact.name == "remember"


def test_the_remember_tool_writes_with_the_views_ttl(store, clock):
    import asyncio
    import json

    remember, _ = store.scope("alice", ttl=HOUR).tools("tutor")
    asyncio.run(remember.run(json.dumps({"fact": "Alice is tired today", "why": "she said so"})))
    fact = store.scope("alice").recall("tired")[0]
    assert fact.expires_at == clock.now + HOUR
    clock.advance(HOUR)
    assert store.scope("alice").recall("tired") == []


def test_expired_facts_stay_in_the_audit_and_forget_expired_compacts_them(store, store_path, clock):
    keep = store.remember("The library closes at 6", by="teacher")
    old = store.remember("Quiz on chapter 3 tomorrow", by="teacher", ttl=HOUR)
    new = store.update(old.id, "Quiz on chapter 4 tomorrow", by="teacher", why="moved on")
    assert new.expires_at == old.expires_at  # a correction keeps the fact's deadline
    clock.advance(2 * HOUR)
    before = [c.action for c in store.audit()]
    removed = store.forget_expired()
    assert [f.id for f in removed] == [old.id, new.id]
    assert [c.action for c in store.audit()] == [*before, "expire", "expire"]
    expired = {(c.fact_id, c.by, c.old_text) for c in store.audit()[-2:]}
    assert expired == {(old.id, "ttl", old.text), (new.id, "ttl", new.text)}
    assert [f.id for f in store.facts(include_superseded=True, include_expired=True)] == [keep.id]
    with pytest.raises(UnknownFactError, match=f"#{new.id} expired and was removed"):
        store.get(new.id)
    raw = sqlite3.connect(store_path)
    assert raw.execute("SELECT rowid FROM facts_index WHERE facts_index MATCH 'quiz'").fetchall() == []
    raw.close()
    assert store.forget_expired().rows == []


def test_forget_expired_leaves_other_namespaces_and_live_facts_alone(store, clock):
    store.remember("Fire drill at 10", by="office", ttl=HOUR)
    bobs = store.scope("bob").remember("Bob is away today", by="office", ttl=HOUR)
    lasting = store.remember("Fire drill at 11", by="office", ttl=3 * HOUR)
    clock.advance(2 * HOUR)
    assert len(store.forget_expired()) == 1
    assert store.scope("bob").get(bobs.id).status == "expired"
    assert [f.id for f in store.recall("fire drill")] == [lasting.id]


def test_the_database_refuses_to_delete_a_fact_without_an_expire_audit_row(store, store_path, clock):
    fact = store.remember("Short-lived", by="a", ttl=1)
    clock.advance(5)
    raw = sqlite3.connect(store_path)
    with pytest.raises(sqlite3.IntegrityError, match="deletes a fact only once it expired"):
        raw.execute("DELETE FROM facts WHERE id = ?", (fact.id,))
    raw.close()
    assert store.get(fact.id).status == "expired"


def test_an_expired_fact_is_not_updated_or_restored_and_its_text_can_be_remembered_again(store, clock):
    fact = store.remember("Room B12 today", by="teacher", ttl=HOUR)
    clock.advance(HOUR)
    with pytest.raises(MemoryStoreError, match=f"fact #{fact.id} expired"):
        store.update(fact.id, "Room B14 today", by="teacher", why="moved")
    again = store.remember("Room B12 today", by="teacher", ttl=HOUR)
    assert again.id != fact.id and [f.id for f in store.recall("room")] == [again.id]
    store.forget(again.id, by="teacher", why="x")
    clock.advance(HOUR)
    with pytest.raises(MemoryStoreError, match=f"fact #{again.id} expired; remember its text again"):
        store.restore(again.id, by="teacher", why="y")


def test_a_correction_can_set_a_new_deadline(store, clock):
    fact = store.remember("The pool is closed", by="office", ttl=HOUR)
    longer = store.update(fact.id, "The pool is closed all week", by="office", why="repairs", ttl=7 * 86400)
    clock.advance(2 * HOUR)
    assert [f.id for f in store.recall("pool")] == [longer.id]
    assert store.forget_expired().rows == []  # the fact's current version is alive


def test_the_fact_table_says_until_when_a_fact_is_recalled(store, clock):
    store.remember("Visitors sign in", by="office", ttl=HOUR)
    assert ", until " in str(store.facts())
    assert ", until " not in str(store.facts(times=False))


@pytest.mark.parametrize("bad", [0, -5, float("nan"), "1h", True, timedelta(0)])
def test_a_ttl_must_be_a_positive_time(store, bad):
    with pytest.raises(ValueError, match=r"ttl: expected seconds \(> 0\) or a timedelta"):
        store.remember("A fact", by="a", ttl=bad)
    with pytest.raises(ValueError, match="ttl: expected"):
        MemoryStore(ttl=bad)
    assert len(store.audit()) == 0
