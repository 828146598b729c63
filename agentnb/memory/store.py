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
from typing import Annotated, Any

from pydantic import BeforeValidator

from agentnb.memory.database import connect, translate
from agentnb.memory.records import Change, Fact, MemoryStoreError, Status, UnknownFactError
from agentnb.memory.search import (
    VectorIndex,
    check_vector,
    encode,
    fuse,
    match_expression,
)
from agentnb.memory.tables import AuditLog, FactTable, one_line
from agentnb.render import short
from agentnb.tools import Tool, tool

Embed = Callable[[str], Sequence[float]]
FACT_COLUMNS = "id, text, author, why, at, status, changed_at, tags, replaces, superseded_by"
CHANGE_COLUMNS = "seq, at, action, fact_id, author, why, old_text, new_text, previous_id"
MIN_CANDIDATES = 20


def normalize(text: str) -> str:
    """The key under which two texts count as the same fact (case and spacing ignored)."""
    return " ".join(text.split()).casefold()


def strip_hash(value: Any) -> Any:
    """Models copy ids as written in the context note ("#3"); accept that for 3."""
    return value.strip().lstrip("#") if isinstance(value, str) else value


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(one_line(t) for t in tags if t.strip()))


def to_fact(row: Sequence[Any]) -> Fact:
    fid, text, by, why, at, status, changed_at, tags, replaces, superseded_by = row
    return Fact(
        id=fid,
        text=text,
        by=by,
        why=why,
        at=at,
        status=status,
        changed_at=changed_at,
        tags=tuple(tags.split("\n")) if tags else (),
        replaces=replaces,
        superseded_by=superseded_by,
    )


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

    def _vector_for(self, text: str, what: str) -> bytes | None:
        return encode(check_vector(self.embed(text), what)) if self.embed is not None else None

    @staticmethod
    def _get(conn: sqlite3.Connection, fact_id: int) -> Fact:
        row = conn.execute(f"SELECT {FACT_COLUMNS} FROM facts WHERE id = ?", (fact_id,)).fetchone()
        if row is None:
            raise UnknownFactError(
                f"there is no fact #{fact_id} in this memory; recalled facts show their ids as #id"
            )
        return to_fact(row)

    @staticmethod
    def _log(
        conn: sqlite3.Connection, action: str, fact_id: int, by: str, why: str, at: float, **texts: Any
    ) -> None:
        conn.execute(
            "INSERT INTO audit(at, action, fact_id, author, why, old_text, new_text, previous_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                at,
                action,
                fact_id,
                by,
                why,
                texts.get("old_text"),
                texts.get("new_text"),
                texts.get("previous_id"),
            ),
        )

    @staticmethod
    def _insert(
        conn: sqlite3.Connection,
        text: str,
        by: str,
        why: str,
        tags: tuple[str, ...],
        at: float,
        vector: bytes | None,
        replaces: int | None = None,
    ) -> Fact:
        cursor = conn.execute(
            "INSERT INTO facts(text, norm, tags, author, why, at, changed_at, replaces, vector) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (text, normalize(text), "\n".join(tags), by, why, at, at, replaces, vector),
        )
        fact_id = cursor.lastrowid
        assert fact_id is not None
        return Fact(id=fact_id, text=text, by=by, why=why, at=at, changed_at=at, tags=tags, replaces=replaces)

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
        found = self._active_with_text(text)
        if found is not None:
            return found, False
        vector = self._vector_for(text, f"fact {short(text, 60)!r}")
        with self._write() as conn:
            existing = conn.execute(
                f"SELECT {FACT_COLUMNS} FROM facts WHERE norm = ? AND status = 'active' LIMIT 1",
                (normalize(text),),
            ).fetchone()
            if existing is not None:
                return to_fact(existing), False
            at = time.time()
            fact = self._insert(conn, text, by, why, clean_tags(tags), at, vector)
            self._log(conn, "remember", fact.id, by, why, at, new_text=text)
        return fact, True

    def remember_many(
        self, texts: Iterable[str], *, by: str, why: str = "", tags: Iterable[str] = ()
    ) -> list[Fact]:
        """`remember` each text, in one transaction (much faster for bulk loads)."""
        by, tags = self._check_by(by), clean_tags(tags)
        batch = [self._check_text(t) for t in texts]
        vectors = [self._vector_for(t, f"fact {short(t, 60)!r}") for t in batch]
        facts: list[Fact] = []
        with self._write() as conn:
            at = time.time()
            for text, vector in zip(batch, vectors, strict=True):
                existing = conn.execute(
                    f"SELECT {FACT_COLUMNS} FROM facts WHERE norm = ? AND status = 'active' LIMIT 1",
                    (normalize(text),),
                ).fetchone()
                if existing is not None:
                    facts.append(to_fact(existing))
                    continue
                fact = self._insert(conn, text, by, why, tags, at, vector)
                self._log(conn, "remember", fact.id, by, why, at, new_text=text)
                facts.append(fact)
        return facts

    def update(self, fact_id: int, text: str, *, by: str, why: str) -> Fact:
        """Write ``text`` as the new version of an active fact; the old version is kept, superseded.

        Use it for corrections and for newer facts that contradict an older one: recall then
        finds the new version (also through the old one's words) and shows what it replaced.
        """
        text, by = self._check_text(text), self._check_by(by)
        vector = self._vector_for(text, f"fact {short(text, 60)!r}")
        with self._write() as conn:
            old = self._get(conn, fact_id)
            if old.status == "superseded":
                newer = self._get(conn, old.superseded_by or 0)
                raise MemoryStoreError(
                    f"fact #{old.id} was already replaced by #{newer.id} ({short(newer.text, 100)!r}, "
                    f"by {newer.by}); update #{newer.id} instead"
                )
            if old.status == "forgotten":
                raise MemoryStoreError(f"fact #{old.id} is forgotten; restore it before updating it")
            if normalize(text) == normalize(old.text):
                return old
            at = time.time()
            fact = self._insert(conn, text, by, why, old.tags, at, vector, replaces=old.id)
            conn.execute(
                "UPDATE facts SET status = 'superseded', superseded_by = ?, changed_at = ? WHERE id = ?",
                (fact.id, at, old.id),
            )
            self._log(
                conn, "update", fact.id, by, why, at, old_text=old.text, new_text=text, previous_id=old.id
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
            fact = self._get(conn, fact_id)
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
                self._log(conn, "forget", fact.id, by, why, at, old_text=fact.text)
            else:
                self._log(conn, "restore", fact.id, by, why, at, new_text=fact.text)
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

    def _active_with_text(self, text: str) -> Fact | None:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {FACT_COLUMNS} FROM facts WHERE norm = ? AND status = 'active' LIMIT 1",
                (normalize(text),),
            ).fetchone()
        return to_fact(row) if row is not None else None

    # ----- reads ---------------------------------------------------------------------------

    def get(self, fact_id: int) -> Fact:
        """The fact with this id, whatever its status."""
        with self._read() as conn:
            return self._get(conn, fact_id)

    def history(self, fact_id: int, *, times: bool = True) -> FactTable:
        """Every version of the fact ``fact_id`` belongs to, oldest first."""
        with self._read() as conn:
            fact = self._get(conn, fact_id)
            versions = [fact]
            while versions[0].replaces is not None:
                versions.insert(0, self._get(conn, versions[0].replaces))
            while versions[-1].superseded_by is not None:
                versions.append(self._get(conn, versions[-1].superseded_by))
        return FactTable(versions, times=times)

    def facts(
        self, include_forgotten: bool = False, *, include_superseded: bool = False, times: bool = True
    ) -> FactTable:
        """Facts in the order they were written: the active ones, and others if asked."""
        statuses = ["active"] + ["forgotten"] * include_forgotten + ["superseded"] * include_superseded
        marks = ", ".join("?" * len(statuses))
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {FACT_COLUMNS} FROM facts WHERE status IN ({marks}) ORDER BY id", statuses
            ).fetchall()
        return FactTable(map(to_fact, rows), times=times)

    def audit(self, limit: int | None = None, *, times: bool = True) -> AuditLog:
        """Every change (or the last ``limit``), oldest first: what, which fact, who, why, when."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT * FROM (SELECT {CHANGE_COLUMNS} FROM audit ORDER BY seq DESC LIMIT ?) ORDER BY seq",
                (-1 if limit is None else limit,),
            ).fetchall()
        return AuditLog(
            (
                Change(seq, at, action, fact_id, by, why, old_text, new_text, previous_id)
                for seq, at, action, fact_id, by, why, old_text, new_text, previous_id in rows
            ),
            times=times,
        )

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
        if k == 0 or not isinstance(query, str) or not query.strip():
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
        index = self._synced_vectors(embed, len(query_vector))
        n = max(MIN_CANDIDATES, 4 * k)
        while True:
            hits = [(i, s) for i, s in index.search(query_vector, n) if s > self.min_similarity]
            found = self._current(hits)
            if len(found) >= k or n >= len(index):
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
        facts = self._load(ids)
        heads: dict[int, Fact] = {}
        pending = {i: facts[i] for i in ids if i in facts}
        while pending:
            newer = self._load([f.superseded_by for f in pending.values() if f.superseded_by is not None])
            still: dict[int, Fact] = {}
            for origin, fact in pending.items():
                if fact.status == "active":
                    heads[origin] = fact
                elif fact.status == "superseded" and fact.superseded_by in newer:
                    still[origin] = newer[fact.superseded_by]
            pending = still
        return heads

    def _load(self, ids: list[int]) -> dict[int, Fact]:
        found: dict[int, Fact] = {}
        unique = list(dict.fromkeys(ids))
        with self._read() as conn:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                for row in conn.execute(f"SELECT {FACT_COLUMNS} FROM facts WHERE id IN ({marks})", chunk):
                    found[row[0]] = to_fact(row)
        return found

    def _synced_vectors(self, embed: Embed, dim: int) -> VectorIndex:
        """The vector index, with every fact written since the last recall added.

        Facts stored without a vector (written before ``embed`` was given, or by another
        embedding function of a different length) are embedded now and their vectors saved.
        """
        with self._vector_lock:
            if self._vectors is None:
                self._vectors = VectorIndex()
            with self._read() as conn:
                rows = conn.execute(
                    "SELECT id, vector FROM facts WHERE id > ? ORDER BY id", (self._vectors_seen,)
                ).fetchall()
            ids = [fact_id for fact_id, _ in rows]
            blobs: list[bytes] = [blob for _, blob in rows]
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
        facts = self.recall(query, k)
        if not facts:
            return None
        earlier = self._load([f.replaces for f in facts if f.replaces is not None])
        lines = ["Things you remember (long-term memory, most relevant first):"]
        for fact in facts:
            notes = [f"from {fact.by}"]
            if fact.replaces in earlier:
                notes.append(
                    f'replaces #{fact.replaces}: "{short(one_line(earlier[fact.replaces].text), 120)}"'
                )
            lines.append(f"- #{fact.id} {one_line(fact.text)} ({'; '.join(notes)})")
        return "\n".join(lines)

    def tools(self, agent: str, *, forget: bool = True) -> list[Tool]:
        """Tools that let ``agent`` write to this store, recorded as written by ``agent``.

        ``remember(fact, why, replaces=None)`` adds a fact, or a new version of fact
        ``replaces`` (a correction or contradiction: the old text stays as history);
        ``forget(fact_id, why)`` (left out with ``forget=False``) stops recalling one.
        """
        agent = self._check_by(agent)
        store = self

        def remember(
            fact: Annotated[str, "the fact, as one sentence that makes sense on its own later"],
            why: Annotated[str, "why it is worth remembering"],
            replaces: Annotated[
                int | None,
                BeforeValidator(strip_hash),
                "the id (#id) of a remembered fact that this one corrects or contradicts; "
                "the old fact is kept as history",
            ] = None,
        ) -> str:
            if replaces is not None:
                saved = store.update(replaces, fact, by=agent, why=why)
                if saved.id == replaces:
                    return f"#{replaces} already says that; nothing changed."
                return f"Remembered as #{saved.id}; it replaces #{replaces}, which is kept as history."
            saved, new = store._remember(fact, by=agent, why=why, tags=())
            return f"Remembered as #{saved.id}." if new else f"Already remembered as #{saved.id}."

        def forget_fact(
            fact_id: Annotated[int, BeforeValidator(strip_hash), "the id (#id) of the remembered fact"],
            why: Annotated[str, "why it should no longer be recalled"],
        ) -> str:
            store.forget(fact_id, by=agent, why=why)
            return f"Forgot #{fact_id}; a person can restore it."

        tools = [
            tool(
                remember,
                description="Save a fact to long-term memory, so that you and your team recall it in "
                "later turns and runs. To correct or contradict a remembered fact, pass its id as "
                "`replaces`.",
            )
        ]
        if forget:
            tools.append(
                tool(
                    forget_fact,
                    name="forget",
                    description="Stop recalling a remembered fact that is wrong or no longer useful "
                    "(it is kept, and a person can restore it).",
                )
            )
        return tools
