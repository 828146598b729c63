"""MemoryStore: long-term facts that agents recall before a turn and write through tools.

A fact is never deleted or overwritten. An update writes a new version and marks the old one
superseded; forgetting marks a fact forgotten (restorable); a fact that contradicts an older
one is written as its new version, so the older text stays in the history. Every change is
an audit row saying who made it and why. The store is SQLite (stdlib): a file that outlives
the kernel, or ``":memory:"``. One store is safe to share between asyncio tasks and threads.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from agentnb.core.tools import Tool
from agentnb.core.words import short
from agentnb.memory import rows
from agentnb.memory.agents import context_note, memory_tools
from agentnb.memory.database import connect, translate
from agentnb.memory.records import Fact, MemoryStoreError, Status
from agentnb.memory.search import VectorIndex, check_vector, encode, fuse, match_expression
from agentnb.memory.tables import AuditLog, FactTable

Embed = Callable[[str], Sequence[float]]
MIN_CANDIDATES = 20  # hits fetched per ranking before resolving versions and statuses


class MemoryStore:
    """Facts that outlive a run: BM25 recall (SQLite FTS5), optional semantic recall, an audit log.

    ``path`` is a file (created with its directory if missing; reopening restores everything)
    or ``":memory:"``. ``embed`` maps a text to a vector (any length, the same for every call);
    with it, recall also finds facts that share no word with the query (see `recall`).
    Semantic candidates must be more similar (cosine) than ``min_similarity``. ``read_only=True``
    opens an existing file for recall only.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = ":memory:",
        *,
        embed: Embed | None = None,
        min_similarity: float = 0.0,
        read_only: bool = False,
    ) -> None:
        conn, self.path = connect(path, read_only=read_only)
        self._conn: sqlite3.Connection | None = conn
        self.read_only = read_only
        self.embed = embed
        self.min_similarity = min_similarity
        self._lock = threading.RLock()
        self._vector_lock = threading.Lock()
        self._vectors: VectorIndex | None = None
        self._vectors_seen = 0  # facts up to this id are in self._vectors

    def __repr__(self) -> str:
        mode = ", read_only=True" if self.read_only else ""
        return f"MemoryStore({self.path!r}{mode})"

    def __len__(self) -> int:
        """The number of active facts."""
        with self._read() as conn:
            return conn.execute("SELECT count(*) FROM facts WHERE status = 'active'").fetchone()[0]

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file; the store cannot be used afterwards (reopen it with a new store)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # ----- plumbing ------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise MemoryStoreError(f"memory store {self.path} is closed; open it again with MemoryStore(...)")
        return self._conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._connection()
            except sqlite3.Error as exc:
                raise translate(exc, self.path) from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, under the lock; SQLite errors become `MemoryStoreError`."""
        with self._lock:
            conn = self._connection()
            if self.read_only:
                raise MemoryStoreError(
                    f"memory store {self.path} was opened with read_only=True; open it without it to write"
                )
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise translate(exc, self.path) from None
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise translate(exc, self.path) from None
                raise

    def _vector_for(self, text: str) -> bytes | None:
        if self.embed is None:
            return None
        return encode(check_vector(self.embed(text), f"fact {short(text, 60)!r}"))

    # ----- writes --------------------------------------------------------------------------

    def remember(self, text: str, *, by: str, why: str = "", tags: Iterable[str] = ()) -> Fact:
        """Add a fact written by ``by`` (an agent's or a person's name) for the reason ``why``.

        A text equal to an active fact (ignoring case and spacing) is not added twice: the
        existing fact comes back and nothing is written.
        """
        return self._remember(text, by=by, why=why, tags=tags)[0]

    def _remember(self, text: str, *, by: str, why: str, tags: Iterable[str]) -> tuple[Fact, bool]:
        """`remember`, also saying whether the fact is new."""
        text, by = self._check_text(text), self._check_by(by)
        with self._read() as conn:
            found = rows.active_with_text(conn, text)
        if found is not None:
            return found, False
        vector = self._vector_for(text)
        with self._write() as conn:
            found = rows.active_with_text(conn, text)
            if found is not None:
                return found, False
            at = time.time()
            fact = rows.insert_fact(
                conn, text, by=by, why=why, tags=rows.clean_tags(tags), at=at, vector=vector
            )
            rows.log_change(conn, "remember", fact.id, by=by, why=why, at=at, new_text=text)
        return fact, True

    def remember_many(
        self, texts: Iterable[str], *, by: str, why: str = "", tags: Iterable[str] = ()
    ) -> list[Fact]:
        """`remember` each text, in one transaction (much faster for bulk loads)."""
        by, tags = self._check_by(by), rows.clean_tags(tags)
        batch = [self._check_text(t) for t in texts]
        vectors = [self._vector_for(t) for t in batch]
        facts: list[Fact] = []
        with self._write() as conn:
            at = time.time()
            for text, vector in zip(batch, vectors, strict=True):
                fact = rows.active_with_text(conn, text)
                if fact is None:
                    fact = rows.insert_fact(conn, text, by=by, why=why, tags=tags, at=at, vector=vector)
                    rows.log_change(conn, "remember", fact.id, by=by, why=why, at=at, new_text=text)
                facts.append(fact)
        return facts

    def update(self, fact_id: int, text: str, *, by: str, why: str) -> Fact:
        """Write ``text`` as the new version of an active fact; the old version is kept, superseded.

        Use it for corrections and for newer facts that contradict an older one: recall then
        finds the new version (also through the old one's words) and shows what it replaced.
        """
        text, by = self._check_text(text), self._check_by(by)
        vector = self._vector_for(text)
        with self._write() as conn:
            old = rows.get_fact(conn, fact_id)
            if old.superseded_by is not None:
                newer = rows.get_fact(conn, old.superseded_by)
                raise MemoryStoreError(
                    f"fact #{old.id} was already replaced by #{newer.id} ({short(newer.text, 100)!r}, "
                    f"by {newer.by}); update #{newer.id} instead"
                )
            if old.status == "forgotten":
                raise MemoryStoreError(f"fact #{old.id} is forgotten; restore it before updating it")
            if rows.normalize(text) == rows.normalize(old.text):
                return old
            at = time.time()
            fact = rows.insert_fact(
                conn, text, by=by, why=why, tags=old.tags, at=at, vector=vector, replaces=old.id
            )
            conn.execute(
                "UPDATE facts SET status = 'superseded', superseded_by = ?, changed_at = ? WHERE id = ?",
                (fact.id, at, old.id),
            )
            rows.log_change(
                conn,
                "update",
                fact.id,
                by=by,
                why=why,
                at=at,
                old_text=old.text,
                new_text=text,
                previous_id=old.id,
            )
        return fact

    def forget(self, fact_id: int, *, by: str, why: str) -> Fact:
        """Stop recalling an active fact. It stays in the store and `restore` brings it back."""
        return self._set_status(fact_id, "forgotten", by=by, why=why)

    def restore(self, fact_id: int, *, by: str, why: str) -> Fact:
        """Make a forgotten fact active again."""
        return self._set_status(fact_id, "active", by=by, why=why)

    def _set_status(self, fact_id: int, status: Status, *, by: str, why: str) -> Fact:
        by = self._check_by(by)
        with self._write() as conn:
            fact = rows.get_fact(conn, fact_id)
            if fact.status == status:
                return fact
            if fact.status == "superseded":
                advice = (
                    f"forget #{fact.superseded_by}, its current version"
                    if status == "forgotten"
                    else f"to bring its text back, update #{fact.superseded_by} with it"
                )
                raise MemoryStoreError(f"fact #{fact.id} was replaced by #{fact.superseded_by}; {advice}")
            at = time.time()
            conn.execute("UPDATE facts SET status = ?, changed_at = ? WHERE id = ?", (status, at, fact.id))
            if status == "forgotten":
                rows.log_change(conn, "forget", fact.id, by=by, why=why, at=at, old_text=fact.text)
            else:
                rows.log_change(conn, "restore", fact.id, by=by, why=why, at=at, new_text=fact.text)
        return replace(fact, status=status, changed_at=at)

    @staticmethod
    def _check_text(text: Any) -> str:
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"a fact must be non-empty text, got {text!r}")
        return text.strip()

    @staticmethod
    def _check_by(by: Any) -> str:
        if not isinstance(by, str) or not by.strip():
            raise ValueError(f"by: name who makes the change (an agent or a person), got {by!r}")
        return by.strip()

    # ----- reads ---------------------------------------------------------------------------

    def get(self, fact_id: int) -> Fact:
        """The fact with this id, whatever its status."""
        with self._read() as conn:
            return rows.get_fact(conn, fact_id)

    def get_many(self, ids: Iterable[int]) -> dict[int, Fact]:
        """The facts with these ids, by id; unknown ids are left out."""
        with self._read() as conn:
            return rows.load_facts(conn, ids)

    def history(self, fact_id: int, *, times: bool = True) -> FactTable:
        """Every version of the fact ``fact_id`` belongs to, oldest first."""
        with self._read() as conn:
            versions = [rows.get_fact(conn, fact_id)]
            while versions[0].replaces is not None:
                versions.insert(0, rows.get_fact(conn, versions[0].replaces))
            while versions[-1].superseded_by is not None:
                versions.append(rows.get_fact(conn, versions[-1].superseded_by))
        return FactTable(versions, times=times)

    def facts(
        self, include_forgotten: bool = False, *, include_superseded: bool = False, times: bool = True
    ) -> FactTable:
        """Facts in the order they were written: the active ones, and others if asked."""
        statuses = ["active"] + ["forgotten"] * include_forgotten + ["superseded"] * include_superseded
        marks = ", ".join("?" * len(statuses))
        with self._read() as conn:
            found = conn.execute(
                f"SELECT {rows.FACT_COLUMNS} FROM facts WHERE status IN ({marks}) ORDER BY id", statuses
            ).fetchall()
        return FactTable(map(rows.to_fact, found), times=times)

    def audit(self, limit: int | None = None, *, times: bool = True) -> AuditLog:
        """Every change (or the last ``limit``), oldest first: what, which fact, who, why, when."""
        with self._read() as conn:
            found = conn.execute(
                f"SELECT * FROM (SELECT {rows.CHANGE_COLUMNS} FROM audit ORDER BY seq DESC LIMIT ?) "
                "ORDER BY seq",
                (-1 if limit is None else limit,),
            ).fetchall()
        return AuditLog(map(rows.to_change, found), times=times)

    # ----- recall --------------------------------------------------------------------------

    def recall(self, query: str, k: int = 5) -> list[Fact]:
        """Up to ``k`` active facts relevant to ``query``, best first (``score`` set).

        Lexical: SQLite FTS5's BM25 over the query's words (stemmed; common English words
        dropped; any text is safe, it is never read as FTS5 syntax). With ``embed``: the query's
        vector is compared (cosine) with every fact's, and the two rankings are merged by
        reciprocal rank fusion — a fact scores ``1/(60 + rank)`` in each ranking it appears
        in, summed — so a fact found by both comes first and one found by either still counts,
        without comparing BM25 numbers to cosines. A match on an older version of a fact
        recalls its current version; forgotten facts are never recalled.
        """
        if not isinstance(k, int) or isinstance(k, bool) or k < 0:
            raise ValueError(f"k: expected an integer >= 0, got {k!r}")
        if not isinstance(query, str):
            raise TypeError(f"query: expected text, got {type(query).__name__}")
        if k == 0 or not query.strip():
            return []
        expression = match_expression(query)
        lexical = self._lexical(expression, k) if expression else []
        if self.embed is None:
            return [replace(fact, score=-rank) for fact, rank in lexical[:k]]
        semantic = self._semantic(query, k, self.embed)
        by_id = {fact.id: fact for fact, _ in (*lexical, *semantic)}
        fused = fuse([f.id for f, _ in lexical], [f.id for f, _ in semantic])
        return [replace(by_id[fact_id], score=score) for fact_id, score in fused[:k]]

    def _lexical(self, expression: str, k: int) -> list[tuple[Fact, float]]:
        """(current fact, BM25 rank) pairs, best first; fetches more hits if many are inactive."""
        n = max(MIN_CANDIDATES, 4 * k)
        while True:
            with self._read() as conn:
                hits = conn.execute(
                    "SELECT rowid, rank FROM facts_index WHERE facts_index MATCH ? "
                    "ORDER BY rank, rowid LIMIT ?",
                    (expression, n),
                ).fetchall()
            found = self._current(hits)
            if len(found) >= k or len(hits) < n:
                return found
            n *= 4

    def _semantic(self, query: str, k: int, embed: Embed) -> list[tuple[Fact, float]]:
        """(current fact, cosine) pairs, most similar first, above ``min_similarity``."""
        query_vector = check_vector(embed(query), f"the query {short(query, 60)!r}")
        n = max(MIN_CANDIDATES, 4 * k)
        while True:
            with self._vector_lock:
                index = self._synced_vectors(embed, len(query_vector))
                hits = [(i, s) for i, s in index.search(query_vector, n) if s > self.min_similarity]
                size = len(index)
            found = self._current(hits)
            if len(found) >= k or n >= size:
                return found
            n *= 4

    def _current(self, hits: list[tuple[int, float]]) -> list[tuple[Fact, float]]:
        """Each hit's current version (following ``superseded_by``), once, in hit order."""
        heads = self._heads([fact_id for fact_id, _ in hits])
        seen: set[int] = set()
        found: list[tuple[Fact, float]] = []
        for fact_id, value in hits:
            head = heads.get(fact_id)
            if head is not None and head.id not in seen:
                seen.add(head.id)
                found.append((head, value))
        return found

    def _heads(self, ids: list[int]) -> dict[int, Fact]:
        """The active current version of each id's fact (missing when it is forgotten)."""
        facts = self.get_many(ids)
        heads: dict[int, Fact] = {}
        pending = {i: facts[i] for i in ids if i in facts}
        while pending:
            newer = self.get_many(f.superseded_by for f in pending.values() if f.superseded_by is not None)
            still: dict[int, Fact] = {}
            for origin, fact in pending.items():
                if fact.status == "active":
                    heads[origin] = fact
                elif fact.status == "superseded" and fact.superseded_by in newer:
                    still[origin] = newer[fact.superseded_by]
            pending = still
        return heads

    def _synced_vectors(self, embed: Embed, dim: int) -> VectorIndex:
        """The vector index, with every fact written since the last call added (hold _vector_lock).

        Facts stored without a vector (written before ``embed`` was given, or by another
        embedding function of a different length) are embedded now and their vectors saved.
        """
        if self._vectors is None:
            self._vectors = VectorIndex()
        with self._read() as conn:
            stored = conn.execute(
                "SELECT id, vector FROM facts WHERE id > ? ORDER BY id", (self._vectors_seen,)
            ).fetchall()
        ids = [fact_id for fact_id, _ in stored]
        blobs: list[bytes] = [blob for _, blob in stored]
        missing: list[tuple[bytes, int]] = []
        for i, blob in enumerate(blobs):
            if blob is None or len(blob) != 4 * dim:
                blobs[i] = encode(check_vector(embed(self.get(ids[i]).text), f"fact #{ids[i]}"))
                missing.append((blobs[i], ids[i]))
        self._vectors.extend(ids, blobs)
        if ids:
            self._vectors_seen = ids[-1]
        if missing and not self.read_only:
            with self._write() as conn:
                conn.executemany("UPDATE facts SET vector = ? WHERE id = ?", missing)
        return self._vectors

    # ----- what agents see -----------------------------------------------------------------

    def context_note(self, query: str, k: int = 5) -> str | None:
        """The note an agent reads before its turn: facts recalled for ``query``, with ids.

        None when nothing is recalled. Deterministic: no times, no scores.
        """
        return context_note(self, query, k)

    def tools(self, agent: str, *, forget: bool = True) -> list[Tool]:
        """Tools that let ``agent`` write to this store, recorded as written by ``agent``.

        ``remember(fact, why, replaces=None)`` adds a fact, or a new version of fact
        ``replaces`` (a correction or contradiction: the old text stays as history);
        ``forget(fact_id, why)`` (left out with ``forget=False``) stops recalling one.
        """
        return memory_tools(self, self._check_by(agent), forget=forget)
