"""Namespaces: one file, many memories; a view sees, recalls and changes only its own facts."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from agentnb import Agent, Team
from agentnb.memory import MemoryStore, UnknownFactError
from agentnb.models import ScriptedModel, call

from .conftest import fake_embed


def test_recall_and_remember_are_scoped_to_the_namespace(store):
    alice, bob = store.scope("alice"), store.scope("bob")
    alice.remember("Alice's exam is on Monday", by="tutor")
    bob.remember("Bob's exam is on Friday", by="tutor")
    store.remember("The library opens at 9", by="teacher")
    assert [f.text for f in alice.recall("exam")] == ["Alice's exam is on Monday"]
    assert [f.text for f in bob.recall("exam")] == ["Bob's exam is on Friday"]
    assert store.recall("exam") == [] and [f.text for f in store.recall("library")] == [
        "The library opens at 9"
    ]
    assert (len(alice), len(bob), len(store)) == (1, 1, 1)
    assert [f.namespace for f in alice.facts()] == ["alice"]
    assert store.namespaces() == ["alice", "bob", "default"]


def test_a_fact_id_of_another_namespace_is_unknown_to_every_read_and_write(store):
    bobs = store.scope("bob").remember("Bob's locker code is 4711", by="bob")
    alice = store.scope("alice")
    for action in (
        lambda: alice.get(bobs.id),
        lambda: alice.update(bobs.id, "Bob's locker code is 0000", by="alice", why="x"),
        lambda: alice.forget(bobs.id, by="alice", why="x"),
        lambda: alice.restore(bobs.id, by="alice", why="x"),
        lambda: alice.history(bobs.id),
    ):
        with pytest.raises(UnknownFactError, match=f"no fact #{bobs.id} in this memory"):
            action()
    assert alice.get_many([bobs.id]) == {}
    assert store.scope("bob").get(bobs.id).status == "active"


def test_the_same_text_in_two_namespaces_is_two_facts_each_with_its_own_audit(store):
    first = store.scope("section-a").remember("Homework is due Thursday", by="teacher")
    second = store.scope("section-b").remember("Homework is due Thursday", by="teacher")
    assert first.id != second.id
    again = store.scope("section-a").remember("homework is due  thursday", by="assistant")
    assert again.id == first.id
    assert [(c.action, c.fact_id) for c in store.scope("section-a").audit()] == [("remember", first.id)]
    assert [c.namespace for c in store.scope("section-b").audit()] == ["section-b"]
    assert len(store.audit()) == 0


def test_an_older_versions_words_recall_the_current_version_only_in_its_namespace(store):
    alice = store.scope("alice")
    old = alice.remember("The mayor is Ana Silva", by="writer")
    new = alice.update(old.id, "The mayor is Tom Berg", by="checker", why="election")
    store.scope("bob").remember("Ana Silva runs the bakery", by="writer")
    assert [f.id for f in alice.recall("Ana Silva")] == [new.id]
    assert [f.id for f in alice.history(old.id)] == [old.id, new.id]


def test_semantic_recall_keeps_each_namespace_to_its_own_vectors(store_path):
    with MemoryStore(store_path, embed=fake_embed) as store:
        store.scope("alice").remember("Alice drives a red car", by="a")
        store.scope("bob").remember("Bob parks his automobile outside", by="b")
        assert [f.text for f in store.scope("alice").recall("vehicle")] == ["Alice drives a red car"]
        assert [f.text for f in store.scope("bob").recall("vehicle")] == ["Bob parks his automobile outside"]
        assert store.recall("vehicle") == []


def test_a_store_opened_on_a_namespace_and_a_scoped_view_are_the_same_memory(store_path):
    with MemoryStore(store_path) as store:
        store.scope("team-blue").remember("Blue team meets on Tuesdays", by="coach")
    with MemoryStore(store_path, namespace="team-blue") as blue:
        assert [f.text for f in blue.recall("meets")] == ["Blue team meets on Tuesdays"]
        assert repr(blue) == f"MemoryStore({str(store_path)!r}, namespace='team-blue')"
        assert blue.scope("default").facts().rows == []


def test_agents_with_different_namespaces_never_see_each_others_facts(store):
    facts = {"alice": "Alice prefers visual examples", "bob": "Bob is revising fractions"}
    tutors = []
    for person, fact in facts.items():
        model = ScriptedModel({f"tutor_{person}": [call("remember", fact=fact, why="said so"), "Noted."]})
        tutors.append(Agent(f"tutor_{person}", memory=store.scope(person), model=model))
    for tutor in tutors:
        Team([tutor], max_turns=1).run_sync("Remember what the student said.")
    seen: dict[str, list[str]] = {}
    for tutor in tutors:
        note = tutor.memory.context_note("Alice Bob visual fractions examples revising")
        seen[tutor.name] = [line for line in note.splitlines()[1:]]
    assert seen == {
        "tutor_alice": ["- #1 Alice prefers visual examples (from tutor_alice)"],
        "tutor_bob": ["- #2 Bob is revising fractions (from tutor_bob)"],
    }


def test_an_agents_forget_tool_cannot_reach_another_namespace(store):
    bobs = store.scope("bob").remember("Bob is allergic to nuts", by="nurse")
    _, forget = store.scope("alice").tools("tutor_alice")
    outcome = asyncio.run(forget.run(json.dumps({"fact_id": bobs.id, "why": "cleanup"})))
    assert outcome.is_error and f"no fact #{bobs.id}" in outcome.content
    assert store.scope("bob").get(bobs.id).status == "active"


def test_a_scope_shares_the_file_and_inherits_embedding_and_ttl(store_path):
    with MemoryStore(store_path, embed=fake_embed, ttl=60) as store:
        view = store.scope("alice")
        assert (view.embed, view.ttl, view.path) == (fake_embed, 60.0, store.path)
        assert store.scope("alice", ttl=5).ttl == 5.0
        assert store.scope("alice", ttl=float("inf")).ttl is None
        view.close()
        with pytest.raises(Exception, match="is closed"):
            store.recall("anything")


@pytest.mark.parametrize("bad", ["", "   ", "two\nlines", None, 7])
def test_a_namespace_must_be_a_name_on_one_line(store, bad):
    with pytest.raises(ValueError, match="namespace: expected a name on one line"):
        store.scope(bad)
    with pytest.raises(ValueError, match="namespace: expected a name on one line"):
        MemoryStore(namespace=bad)


def test_looking_for_an_equal_fact_before_a_write_is_an_index_search_not_a_scan(store):
    from agentnb.memory import rows

    store.scope("alice").remember("A fact", by="a", ttl=60)
    raw = sqlite3.connect(store.path)
    try:
        plan = raw.execute("EXPLAIN QUERY PLAN " + rows.ACTIVE_WITH_TEXT, ("alice", "a fact", 0.0)).fetchall()
    finally:
        raw.close()
    assert [step[-1] for step in plan] == [
        "SEARCH facts USING INDEX facts_active_text (namespace=? AND norm=?)"
    ]


def test_a_small_namespace_finds_its_facts_when_a_big_one_matches_better(store):
    store.scope("bob").remember_many([f"Bob's exam {i}: exam exam exam" for i in range(60)], by="tutor")
    alices = store.scope("alice").remember("Alice's report mentions the exam once, among much else", by="t")
    assert [f.id for f in store.scope("alice").recall("exam", k=3)] == [alices.id]
