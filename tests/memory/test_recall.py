"""Recall: BM25 ranking, any query text is safe, embeddings blend in by rank fusion."""

from __future__ import annotations

import importlib.util
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentnb.memory import MemoryStore, MemoryStoreError
from agentnb.memory.search import VectorIndex, fuse, match_expression
from tests.conftest import require

from .conftest import fake_embed

NEWSROOM = [
    "The park vote is on Friday at the town hall",
    "Alice writes about the park and the river",
    "Bob covers sports on weekends",
    "The town hall closes at five",
    "Carol's dog is called Pixel",
]


@pytest.fixture
def newsroom():
    with MemoryStore() as store:
        store.remember_many(NEWSROOM, by="teacher", why="setup")
        yield store


def texts(facts):
    return [f.text for f in facts]


def test_recall_ranks_the_fact_with_more_matching_words_first(newsroom):
    recalled = newsroom.recall("park vote")
    assert texts(recalled) == [NEWSROOM[0], NEWSROOM[1]]
    assert recalled[0].score > recalled[1].score


def test_recall_matches_word_forms_and_ignores_case_and_accents(newsroom):
    newsroom.remember("The café serves crêpes", by="writer")
    assert texts(newsroom.recall("PARKS")) == [NEWSROOM[1], NEWSROOM[0]] or set(
        texts(newsroom.recall("PARKS"))
    ) == {NEWSROOM[0], NEWSROOM[1]}
    assert texts(newsroom.recall("cafe crepe")) == ["The café serves crêpes"]
    assert texts(newsroom.recall("covering sport")) == [NEWSROOM[2]]


def test_recall_leaves_out_common_words_unless_the_query_has_nothing_else(newsroom):
    assert texts(newsroom.recall("what is the name of Carol's dog?")) == [NEWSROOM[4]]
    assert NEWSROOM[2] in texts(newsroom.recall("on", k=5))


def test_recall_returns_at_most_k_facts_and_nothing_for_empty_queries(newsroom):
    assert len(newsroom.recall("the town park hall vote", k=2)) == 2
    assert newsroom.recall("park", k=0) == []
    assert newsroom.recall("") == [] and newsroom.recall("   ") == []
    with pytest.raises(ValueError, match="k: expected an integer"):
        newsroom.recall("park", k=-1)
    with pytest.raises(TypeError, match="query: expected text, got NoneType"):
        newsroom.recall(None)


def test_recall_looks_past_forgotten_matches_to_fill_k():
    with MemoryStore() as store:
        old = store.remember_many([f"harbour report number {i}" for i in range(60)], by="w")
        for fact in old[:50]:
            store.forget(fact.id, by="editor", why="stale")
        recalled = store.recall("harbour report", k=8)
        assert len(recalled) == 8 and all(f.status == "active" for f in recalled)


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""park',
        "park AND",
        "NOT vote",
        "-park",
        "park*",
        "*",
        "title:park",
        "NEAR(park vote)",
        "(park",
        "park)",
        "^park",
        "park + vote",
        "🎉",
        "🎉 park 🎉",
        "'",
        "\\",
        "\x00park",
        "AND OR NOT",
    ],
)
def test_fts5_syntax_in_a_query_is_read_as_plain_words(newsroom, query):
    recalled = newsroom.recall(query)
    if "park" in query:
        assert NEWSROOM[0] in texts(recalled)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=60), k=st.integers(0, 8))
def test_recall_never_raises_whatever_the_query(newsroom, query, k):
    recalled = newsroom.recall(query, k)
    assert len(recalled) <= k and all(f.status == "active" for f in recalled)


@settings(max_examples=150, deadline=None)
@given(
    word=st.text(st.characters(categories=["Ll", "Lu"]), min_size=3, max_size=12), noise=st.text(max_size=30)
)
def test_a_fact_is_recalled_by_any_of_its_words(word, noise):
    with MemoryStore() as store:
        fact = store.remember(f"{word} {noise} zebra", by="writer")
        assert fact.id in [f.id for f in store.recall(f'"{word}" AND -{word}*')]


@given(st.text(max_size=80))
def test_the_match_expression_quotes_every_piece_of_the_query(text):
    expression = match_expression(text)
    if expression is not None:
        assert all(re.fullmatch(r'"[^"]+"', term) for term in expression.split(" OR "))


def test_recall_with_embeddings_finds_facts_that_share_no_word_with_the_query():
    with MemoryStore(embed=fake_embed) as store:
        store.remember_many(["Maria bought a new car", "The canteen serves soup"], by="w")
        assert texts(store.recall("automobile")) == ["Maria bought a new car"]
    with MemoryStore() as plain:
        plain.remember("Maria bought a new car", by="w")
        assert plain.recall("automobile") == []


def test_rank_fusion_puts_facts_found_both_ways_first():
    with MemoryStore(embed=fake_embed, min_similarity=0.1) as store:
        both = store.remember("The puppy sleeps in the dog basket", by="w")
        lexical_only = store.remember("A basket of apples", by="w")
        semantic_only = store.remember("My canine friend", by="w")
        recalled = store.recall("dog basket", k=3)
        assert recalled[0].id == both.id
        assert {f.id for f in recalled[1:]} == {lexical_only.id, semantic_only.id}
        assert recalled[0].score == pytest.approx(2 / 61)


def test_fuse_sums_reciprocal_ranks_and_breaks_ties_by_id():
    assert fuse([3, 1], [1, 2]) == [(1, 1 / 62 + 1 / 61), (3, 1 / 61), (2, 1 / 62)]
    assert [item for item, _ in fuse([5], [4])] == [4, 5]


def test_min_similarity_keeps_unrelated_facts_out():
    with MemoryStore(embed=fake_embed, min_similarity=0.5) as store:
        store.remember("The canteen serves soup", by="w")
        assert store.recall("automobile") == []


def test_a_store_reopened_with_an_embedding_function_embeds_its_older_facts(store_path):
    with MemoryStore(store_path) as store:
        store.remember("Maria bought a new car", by="w")
    with MemoryStore(store_path, embed=fake_embed) as store:
        assert texts(store.recall("vehicle")) == ["Maria bought a new car"]
    calls = []
    with MemoryStore(store_path, embed=lambda t: calls.append(t) or fake_embed(t)) as store:
        store.recall("vehicle")
        assert calls == ["vehicle"]  # the fact's vector was saved the first time


def test_an_embedding_function_that_returns_nonsense_is_a_clear_error():
    with MemoryStore(embed=lambda text: "not numbers") as store:
        with pytest.raises(MemoryStoreError, match="must return a list of numbers"):
            store.remember("A fact", by="w")
        assert len(store.audit()) == 0
    nan_store = MemoryStore(embed=lambda text: [float("nan")])
    with pytest.raises(MemoryStoreError, match="finite"):
        nan_store.recall("anything")


def test_vector_search_with_numpy_and_in_plain_python_agree():
    require(importlib.util.find_spec("numpy") is not None, "numpy")
    fast, plain = VectorIndex(), VectorIndex(use_numpy=False)
    rng = random.Random(7)
    for i in range(300):
        vector = [rng.gauss(0, 1) for _ in range(16)]
        fast.add(i, vector)
        plain.add(i, vector)
    query = [rng.gauss(0, 1) for _ in range(16)]
    got_fast, got_plain = fast.search(query, 10), plain.search(query, 10)
    assert [i for i, _ in got_fast] == [i for i, _ in got_plain]
    assert [s for _, s in got_fast] == pytest.approx([s for _, s in got_plain], abs=1e-5)
    assert fast.search(query, 1000) and len(fast.search(query, 1000)) == 300


def test_vectors_of_another_length_are_refused():
    index = VectorIndex()
    index.add(1, [1.0, 0.0])
    with pytest.raises(MemoryStoreError, match="returned 3 numbers, but earlier vectors have 2"):
        index.add(2, [1.0, 0.0, 0.0])
