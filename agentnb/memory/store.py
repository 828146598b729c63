"""MemoryStore: long-term facts that agents recall before a turn and write through tools.

A fact is never overwritten. An update writes a new version and marks the old one superseded;
forgetting marks a fact forgotten (restorable); a fact that contradicts an older one is
written as its new version, so the older text stays in the history. Every change is an audit
row saying who made it and why. Facts live in a namespace (a user, a team, a course section):
a store sees one namespace, and `scope` gives a view of another on the same file. A fact may
expire (``ttl``): it is no longer recalled, and `forget_expired` removes it, leaving its audit
rows. The store is SQLite (stdlib): a file that outlives the kernel, or ``":memory:"``. One
store, with its views, is safe to share between asyncio tasks and threads.
"""

from __future__ import annotations

import copy
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from agentnb.core.tools import Tool
from agentnb.memory import recall, rows
from agentnb.memory.agents import memory_tools, render_note
from agentnb.memory.connection import StoreFile
from agentnb.memory.records import DEFAULT_NAMESPACE, Fact, MemoryStoreError, Status
from agentnb.memory.search import check_vector, encode, fuse, match_expression
from agentnb.memory.tables import AuditLog, FactTable
from agentnb.memory.text import short
from agentnb.memory.values import TTL, check_by, check_namespace, check_text, check_ttl

Embed = Callable[[str], Sequence[float]]


class MemoryStore:
    """Facts that outlive a run: BM25 recall (SQLite FTS5), optional semantic recall, an audit log.

    ``path`` is a file (created with its directory if missing; reopening restores everything)
    or ``":memory:"``. ``namespace`` is the memory this store reads and writes (other
    namespaces in the same file are invisible to it; see `scope`). ``ttl`` is how long a fact
    written here is recalled (seconds or a ``timedelta``; None: for ever), unless the write
    gives its own. ``embed`` maps a text to a vector (any length, the same for every call);
    with it, recall also finds facts that share no word with the query (see `recall`).
    Semantic candidates must be more similar (cosine) than ``min_similarity``. ``read_only=True``
    opens an existing file for recall only.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = ":memory:",
        *,
        namespace: str = DEFAULT_NAMESPACE,
        ttl: TTL | None = None,
        embed: Embed | None = None,
        min_similarity: float = 0.0,
        read_only: bool = False,
    ) -> None:
        self.namespace = check_namespace(namespace)
        self.ttl = check_ttl(ttl)
        self._file = StoreFile(path, read_only=read_only)
        self.path = self._file.label
        self.read_only = read_only
        self.embed = embed
        self.min_similarity = min_similarity

    def scope(self, namespace: str, *, ttl: TTL | None = None) -> MemoryStore:
        """A view of another namespace on the same open file: its own facts, recall and audit.

        Give each person, team or course section its own view, e.g.
        ``Agent("tutor", memory=store.scope("alice"))``: that agent never recalls, changes or
        sees another namespace's facts. ``ttl`` is the view's default time to live (None: this
        store's). The views share one connection: closing any of them closes the file.
        """
        view = copy.copy(self)
        view.namespace = check_namespace(namespace)
        view.ttl = self.ttl if ttl is None else check_ttl(ttl)
        return view

    def namespaces(self) -> list[str]:
        """The namespaces that hold facts in this file, sorted."""
        with self._file.read() as conn:
            return [name for (name,) in conn.execute("SELECT DISTINCT namespace FROM facts ORDER BY 1")]

    def __repr__(self) -> str:
        options = "" if self.namespace == DEFAULT_NAMESPACE else f", namespace={self.namespace!r}"
        options += "" if self.ttl is None else f", ttl={self.ttl!r}"
        options += ", read_only=True" if self.read_only else ""
        return f"MemoryStore({self.path!r}{options})"

    def __len__(self) -> int:
        """The number of active facts (not expired) in this namespace."""
        with self._file.read() as conn:
            active = "namespace = ? AND status = 'active' AND " + rows.NOT_EXPIRED
            return conn.execute(
                f"SELECT count(*) FROM facts WHERE {active}", (self.namespace, time.time())
            ).fetchone()[0]

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (for every view of it); reopen it with a new store."""
        self._file.close()

    def _vector_for(self, text: str) -> bytes | None:
        if self.embed is None:
            return None
        return encode(check_vector(self.embed(text), f"fact {short(text, 60)!r}"))

    def _lifetime(self, ttl: TTL | None) -> float | None:
        """A write's time to live in seconds: its own ``ttl``, else the store's (None: for ever)."""
        return self.ttl if ttl is None else check_ttl(ttl)

    # ----- writes --------------------------------------------------------------------------

    def remember(
        self, text: str, *, by: str, why: str = "", tags: Iterable[str] = (), ttl: TTL | None = None
    ) -> Fact:
        """Add a fact written by ``by`` (an agent's or a person's name) for the reason ``why``.

        A text equal to an active fact (ignoring case and spacing) is not added twice: the
        existing fact comes back and nothing is written. ``ttl`` overrides the store's.
        """
        return self._remember(text, by=by, why=why, tags=tags, ttl=ttl)[0]

    def _remember(
        self, text: str, *, by: str, why: str, tags: Iterable[str] = (), ttl: TTL | None = None
    ) -> tuple[Fact, bool]:
        """`remember`, also saying whether the fact is new."""
        text, by, lifetime = check_text(text), check_by(by), self._lifetime(ttl)
        with self._file.read() as conn:
            found = rows.active_with_text(conn, self.namespace, text)
        if found is not None:
            return found, False
        vector = self._vector_for(text)
        with self._file.write() as conn:
            at = time.time()
            return self._add(conn, text, vector, by, why, rows.clean_tags(tags), at, expires(at, lifetime))

    def remember_many(
        self,
        texts: Iterable[str],
        *,
        by: str,
        why: str = "",
        tags: Iterable[str] = (),
        ttl: TTL | None = None,
    ) -> list[Fact]:
        """`remember` each text, in one transaction (much faster for bulk loads)."""
        by, tags, lifetime = check_by(by), rows.clean_tags(tags), self._lifetime(ttl)
        batch = [check_text(t) for t in texts]
        vectors = [self._vector_for(t) for t in batch]
        with self._file.write() as conn:
            at = time.time()
            expires_at = expires(at, lifetime)
            return [
                self._add(conn, text, vector, by, why, tags, at, expires_at)[0]
                for text, vector in zip(batch, vectors, strict=True)
            ]

    def _add(
        self,
        conn: sqlite3.Connection,
        text: str,
        vector: bytes | None,
        by: str,
        why: str,
        tags: tuple[str, ...],
        at: float,
        expires_at: float | None,
    ) -> tuple[Fact, bool]:
        """Write ``text`` as a fact, with its audit row, unless an active fact already says it (in
        the caller's transaction); the fact, and whether it is new."""
        found = rows.active_with_text(conn, self.namespace, text)
        if found is not None:
            return found, False
        fact = rows.insert_fact(
            conn, self.namespace, text, by=by, why=why, tags=tags, at=at, expires_at=expires_at, vector=vector
        )
        rows.log_change(conn, "remember", fact, by=by, why=why, at=at, new_text=text)
        return fact, True

    def update(self, fact_id: int, text: str, *, by: str, why: str, ttl: TTL | None = None) -> Fact:
        """Write ``text`` as the new version of an active fact; the old version is kept, superseded.

        Use it for corrections and for newer facts that contradict an older one: recall then
        finds the new version (also through the old one's words) and shows what it replaced.
        The new version expires when the old one would have, unless ``ttl`` is given.
        """
        text, by = check_text(text), check_by(by)
        lifetime = None if ttl is None else check_ttl(ttl)
        vector = self._vector_for(text)
        with self._file.write() as conn:
            old = rows.get_fact(conn, self.namespace, fact_id)
            if old.superseded_by is not None:
                newer = rows.get_fact(conn, self.namespace, old.superseded_by)
                raise MemoryStoreError(
                    f"fact #{old.id} was already replaced by #{newer.id} ({short(newer.text, 100)!r}, "
                    f"by {newer.by}); update #{newer.id} instead"
                )
            if old.status == "forgotten":
                raise MemoryStoreError(f"fact #{old.id} is forgotten; restore it before updating it")
            if old.status == "expired":
                raise MemoryStoreError(f"fact #{old.id} expired; remember its new text as a new fact")
            if rows.normalize(text) == rows.normalize(old.text):
                return old
            at = time.time()
            expires_at = old.expires_at if ttl is None else expires(at, lifetime)
            fact = rows.insert_fact(
                conn,
                self.namespace,
                text,
                by=by,
                why=why,
                tags=old.tags,
                at=at,
                expires_at=expires_at,
                vector=vector,
                replaces=old.id,
            )
            conn.execute(
                "UPDATE facts SET status = 'superseded', superseded_by = ?, changed_at = ? WHERE id = ?",
                (fact.id, at, old.id),
            )
            rows.log_change(
                conn,
                "update",
                fact,
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
        """Make a forgotten fact active again (unless its time to live is over)."""
        return self._set_status(fact_id, "active", by=by, why=why)

    def _set_status(self, fact_id: int, status: Status, *, by: str, why: str) -> Fact:
        by = check_by(by)
        with self._file.write() as conn:
            fact = rows.get_fact(conn, self.namespace, fact_id)
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
            if status == "active" and fact.expires_at is not None and fact.expires_at <= at:
                raise MemoryStoreError(f"fact #{fact.id} expired; remember its text again to recall it")
            conn.execute("UPDATE facts SET status = ?, changed_at = ? WHERE id = ?", (status, at, fact.id))
            if status == "forgotten":
                rows.log_change(conn, "forget", fact, by=by, why=why, at=at, old_text=fact.text)
            else:
                rows.log_change(conn, "restore", fact, by=by, why=why, at=at, new_text=fact.text)
        return replace(fact, status=status, changed_at=at)

    def forget_expired(self, *, by: str = "ttl") -> FactTable:
        """Remove this namespace's expired facts (every version of each) from the store.

        Each removal is first written to the audit (``expire``, with the text), so the audit
        still tells what was known and when; the database refuses to delete a fact otherwise.
        Returns the removed rows.
        """
        by = check_by(by)
        with self._file.write() as conn:
            removed = rows.remove_expired(conn, self.namespace, by=by, at=time.time())
        return FactTable(removed)

    # ----- reads ---------------------------------------------------------------------------

    def get(self, fact_id: int) -> Fact:
        """The fact with this id, whatever its status."""
        with self._file.read() as conn:
            return rows.get_fact(conn, self.namespace, fact_id)

    def get_many(self, ids: Iterable[int]) -> dict[int, Fact]:
        """The facts with these ids, by id; unknown ids are left out."""
        with self._file.read() as conn:
            return rows.load_facts(conn, self.namespace, ids)

    def history(self, fact_id: int, *, times: bool = True) -> FactTable:
        """Every version of the fact ``fact_id`` belongs to, oldest first."""
        with self._file.read() as conn:
            versions = [rows.get_fact(conn, self.namespace, fact_id)]
            while versions[0].replaces is not None:
                versions.insert(0, rows.get_fact(conn, self.namespace, versions[0].replaces))
            while versions[-1].superseded_by is not None:
                versions.append(rows.get_fact(conn, self.namespace, versions[-1].superseded_by))
        return FactTable(versions, times=times)

    def facts(
        self,
        include_forgotten: bool = False,
        *,
        include_superseded: bool = False,
        include_expired: bool = False,
        times: bool = True,
    ) -> FactTable:
        """Facts in the order they were written: the active ones, and others if asked."""
        wanted = {"active", "forgotten"} if include_forgotten else {"active"}
        wanted |= {"superseded"} if include_superseded else set()
        wanted |= {"expired"} if include_expired else set()
        with self._file.read() as conn:
            found = conn.execute(
                f"SELECT {rows.FACT_COLUMNS} FROM facts WHERE namespace = ? ORDER BY id", (self.namespace,)
            ).fetchall()
        now = time.time()
        facts = (rows.to_fact(row, now) for row in found)
        return FactTable((fact for fact in facts if fact.status in wanted), times=times)

    def audit(self, limit: int | None = None, *, times: bool = True) -> AuditLog:
        """Every change (or the last ``limit``), oldest first: what, which fact, who, why, when."""
        with self._file.read() as conn:
            found = conn.execute(
                f"SELECT * FROM (SELECT {rows.CHANGE_COLUMNS} FROM audit WHERE namespace = ? "
                "ORDER BY seq DESC LIMIT ?) ORDER BY seq",
                (self.namespace, -1 if limit is None else limit),
            ).fetchall()
        return AuditLog(map(rows.to_change, found), times=times)

    # ----- recall --------------------------------------------------------------------------

    def recall(self, query: str, k: int = 5) -> list[Fact]:
        """Up to ``k`` active facts of this namespace relevant to ``query``, best first (``score`` set).

        Lexical: SQLite FTS5's BM25 over the query's words (stemmed; common English words
        dropped; any text is safe, it is never read as FTS5 syntax). With ``embed``: the query's
        vector is compared (cosine) with every fact's, and the two rankings are merged by
        reciprocal rank fusion — a fact scores ``1/(60 + rank)`` in each ranking it appears
        in, summed — so a fact found by both comes first and one found by either still counts,
        without comparing BM25 numbers to cosines. A match on an older version of a fact
        recalls its current version; forgotten and expired facts are never recalled.
        """
        if not isinstance(k, int) or isinstance(k, bool) or k < 0:
            raise ValueError(f"k: expected an integer >= 0, got {k!r}")
        if not isinstance(query, str):
            raise TypeError(f"query: expected text, got {type(query).__name__}")
        if k == 0 or not query.strip():
            return []
        expression = match_expression(query)
        lexical = recall.lexical(self._file, self.namespace, expression, k) if expression else []
        if self.embed is None:
            return [replace(fact, score=-rank) for fact, rank in lexical[:k]]
        semantic = recall.semantic(self._file, self.namespace, query, k, self.embed, self.min_similarity)
        by_id = {fact.id: fact for fact, _ in (*lexical, *semantic)}
        fused = fuse([f.id for f, _ in lexical], [f.id for f, _ in semantic])
        return [replace(by_id[fact_id], score=score) for fact_id, score in fused[:k]]

    # ----- what agents see -----------------------------------------------------------------

    def context_note(self, query: str, k: int = 5) -> str | None:
        """The note an agent reads before its turn: facts recalled for ``query``, with ids.

        None when nothing is recalled. Deterministic: no times, no scores.
        """
        facts = self.recall(query, k)
        return render_note(facts, self.get_many(f.replaces for f in facts if f.replaces is not None))

    def tools(self, agent: str, *, forget: bool = True) -> list[Tool]:
        """Tools that let ``agent`` write to this namespace, recorded as written by ``agent``.

        ``remember(fact, why, replaces=None)`` adds a fact (with the store's ``ttl``), or a new
        version of fact ``replaces`` (a correction or contradiction: the old text stays as
        history); ``forget(fact_id, why)`` (left out with ``forget=False``) stops recalling one.
        """
        return memory_tools(
            check_by(agent),
            remember=lambda text, by, why: self._remember(text, by=by, why=why),
            update=lambda fact_id, text, by, why: self.update(fact_id, text, by=by, why=why),
            forget=(lambda fact_id, by, why: self.forget(fact_id, by=by, why=why)) if forget else None,
            inline=self.embed is None,
        )


def expires(at: float, lifetime: float | None) -> float | None:
    """When a fact written at ``at`` with this time to live expires (None: never)."""
    return None if lifetime is None else at + lifetime
