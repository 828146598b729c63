"""Recall within one namespace: BM25 hits, cosine hits, each resolved to its fact's current version.

A hit on an older version of a fact recalls its current version; forgotten and expired facts
are never recalled. Both rankings fetch more candidates when many hits resolve to nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from agentnb.memory import rows
from agentnb.memory.connection import StoreFile
from agentnb.memory.records import Fact
from agentnb.memory.search import VectorIndex, check_vector, encode
from agentnb.memory.text import short

Embed = Callable[[str], Sequence[float]]
MIN_CANDIDATES = 20  # hits fetched per ranking before resolving versions and statuses


# BM25 hits over the whole file: as fast as FTS5 gets, and right when one namespace has most facts.
ALL_HITS = "SELECT rowid, rank FROM facts_index WHERE facts_index MATCH :match ORDER BY rank, rowid LIMIT :n"
# The namespace's hits only: each hit's row is read, so it is used when the first query falls short.
NAMESPACE_HITS = (
    "SELECT facts_index.rowid, facts_index.rank FROM facts_index JOIN facts ON facts.id = facts_index.rowid "
    "WHERE facts_index MATCH :match AND facts.namespace = :namespace "
    "ORDER BY facts_index.rank, facts_index.rowid LIMIT :n"
)


def lexical(file: StoreFile, namespace: str, expression: str, k: int) -> list[tuple[Fact, float]]:
    """(current fact, BM25 rank) pairs, best first, for an FTS5 ``expression``."""
    query, n = ALL_HITS, max(MIN_CANDIDATES, 4 * k)
    while True:
        with file.read() as conn:
            hits = conn.execute(query, {"match": expression, "namespace": namespace, "n": n}).fetchall()
        found = current(file, namespace, hits)
        if len(found) >= k or len(hits) < n:
            return found
        if query == ALL_HITS:
            query = NAMESPACE_HITS  # other namespaces' facts filled the first hits
        else:
            n *= 4


def semantic(
    file: StoreFile, namespace: str, query: str, k: int, embed: Embed, min_similarity: float
) -> list[tuple[Fact, float]]:
    """(current fact, cosine) pairs, most similar first, above ``min_similarity``."""
    query_vector = check_vector(embed(query), f"the query {short(query, 60)!r}")
    n = max(MIN_CANDIDATES, 4 * k)
    while True:
        with file.vector_lock:
            index = synced_vectors(file, namespace, embed, len(query_vector))
            hits = [(i, s) for i, s in index.search(query_vector, n) if s > min_similarity]
            size = len(index)
        found = current(file, namespace, hits)
        if len(found) >= k or n >= size:
            return found
        n *= 4


def current(file: StoreFile, namespace: str, hits: list[tuple[int, float]]) -> list[tuple[Fact, float]]:
    """Each hit's current version (following ``superseded_by``), once, in hit order."""
    found_heads = heads(file, namespace, [fact_id for fact_id, _ in hits])
    seen: set[int] = set()
    found: list[tuple[Fact, float]] = []
    for fact_id, value in hits:
        head = found_heads.get(fact_id)
        if head is not None and head.id not in seen:
            seen.add(head.id)
            found.append((head, value))
    return found


def heads(file: StoreFile, namespace: str, ids: list[int]) -> dict[int, Fact]:
    """The active current version of each id's fact (missing when it is forgotten or expired)."""
    with file.read() as conn:
        facts = rows.load_facts(conn, namespace, ids)
    found: dict[int, Fact] = {}
    pending = {i: facts[i] for i in ids if i in facts}
    while pending:
        with file.read() as conn:
            newer = rows.load_facts(
                conn, namespace, (f.superseded_by for f in pending.values() if f.superseded_by is not None)
            )
        still: dict[int, Fact] = {}
        for origin, fact in pending.items():
            if fact.status == "active":
                found[origin] = fact
            elif fact.status == "superseded" and fact.superseded_by in newer:
                still[origin] = newer[fact.superseded_by]
        pending = still
    return found


def synced_vectors(file: StoreFile, namespace: str, embed: Embed, dim: int) -> VectorIndex:
    """The namespace's vector index, with every fact written since the last call added.

    Hold ``file.vector_lock``. Facts stored without a vector (written before ``embed`` was
    given, or by another embedding function of a different length) are embedded now and their
    vectors saved.
    """
    index = file.vectors.setdefault(namespace, VectorIndex())
    seen = index.ids[-1] if index.ids else 0
    with file.read() as conn:
        stored = conn.execute(
            "SELECT id, vector FROM facts WHERE namespace = ? AND id > ? ORDER BY id", (namespace, seen)
        ).fetchall()
        unembedded = [fact_id for fact_id, blob in stored if blob is None or len(blob) != 4 * dim]
        texts = {i: fact.text for i, fact in rows.load_facts(conn, namespace, unembedded).items()}
    ids = [fact_id for fact_id, _ in stored]
    blobs: list[bytes] = []
    missing: list[tuple[bytes, int]] = []
    for fact_id, blob in stored:
        if fact_id in texts:
            blob = encode(check_vector(embed(texts[fact_id]), f"fact #{fact_id}"))
            missing.append((blob, fact_id))
        blobs.append(blob)
    index.extend(ids, blobs)
    if missing and not file.read_only:
        with file.write() as conn:
            conn.executemany("UPDATE facts SET vector = ? WHERE id = ?", missing)
    return index
