"""Fact and audit rows: the SQL a store runs inside its transactions, and rows to records.

Every query is scoped to one namespace: a fact id of another namespace is unknown here.
A fact's words go into the full-text index when it is written and out when it is removed,
with the same text (`index_words`): the index keeps no copy to check against.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import Any

from agentnb.memory.records import Action, Change, Fact, UnknownFactError

FACT_COLUMNS = (
    "id, text, author, why, at, status, changed_at, tags, replaces, superseded_by, namespace, expires_at"
)
CHANGE_COLUMNS = "seq, at, action, fact_id, author, why, old_text, new_text, previous_id, namespace"
NOT_EXPIRED = "(expires_at IS NULL OR expires_at > ?)"
# Run before every write: it must stay an index search (facts_active_text), never a scan.
ACTIVE_WITH_TEXT = (
    f"SELECT {FACT_COLUMNS} FROM facts WHERE namespace = ? AND norm = ? AND status = 'active' "
    f"AND {NOT_EXPIRED} LIMIT 1"
)


def normalize(text: str) -> str:
    """The key under which two texts count as the same fact (case and spacing ignored)."""
    return " ".join(text.split()).casefold()


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags on one line each, without blanks or repeats (stored newline-separated)."""
    return tuple(dict.fromkeys(" ".join(t.split()) for t in tags if t.strip()))


def index_words(text: str, tags: str) -> str:
    """What the full-text index holds for a fact (version 1 stores indexed the same)."""
    return f"{text} {tags}"


def to_fact(row: Sequence[Any], now: float) -> Fact:
    """A fact row as a `Fact`; an active fact past its expiry at ``now`` reads as expired."""
    fact_id, text, by, why, at, status, changed_at, tags, replaces, superseded_by, namespace, expires = row
    if status == "active" and expires is not None and expires <= now:
        status = "expired"
    return Fact(
        id=fact_id,
        text=text,
        by=by,
        why=why,
        at=at,
        status=status,
        changed_at=changed_at,
        tags=tuple(tags.split("\n")) if tags else (),
        replaces=replaces,
        superseded_by=superseded_by,
        namespace=namespace,
        expires_at=expires,
    )


def to_change(row: Sequence[Any]) -> Change:
    return Change(*row)


def get_fact(conn: sqlite3.Connection, namespace: str, fact_id: int) -> Fact:
    """The fact ``fact_id``, or `UnknownFactError` naming it (and saying if it expired)."""
    row = conn.execute(
        f"SELECT {FACT_COLUMNS} FROM facts WHERE id = ? AND namespace = ?", (fact_id, namespace)
    ).fetchone()
    if row is not None:
        return to_fact(row, time.time())
    expired = conn.execute(
        "SELECT 1 FROM audit WHERE action = 'expire' AND fact_id = ? AND namespace = ?", (fact_id, namespace)
    ).fetchone()
    if expired:
        raise UnknownFactError(
            f"fact #{fact_id} expired and was removed from this memory (its text stays in the audit)"
        )
    raise UnknownFactError(
        f"there is no fact #{fact_id} in this memory; recalled facts show their ids as #id"
    )


def load_facts(conn: sqlite3.Connection, namespace: str, ids: Iterable[int]) -> dict[int, Fact]:
    """The facts with these ids, by id (unknown ids are left out)."""
    unique = list(dict.fromkeys(ids))
    found: dict[int, Fact] = {}
    now = time.time()
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        query = f"SELECT {FACT_COLUMNS} FROM facts WHERE id IN ({marks}) AND namespace = ?"
        for row in conn.execute(query, [*chunk, namespace]):
            found[row[0]] = to_fact(row, now)
    return found


def active_with_text(conn: sqlite3.Connection, namespace: str, text: str) -> Fact | None:
    """The active, unexpired fact that says ``text`` (ignoring case and spacing), if there is one."""
    now = time.time()
    row = conn.execute(ACTIVE_WITH_TEXT, (namespace, normalize(text), now)).fetchone()
    return to_fact(row, now) if row is not None else None


def insert_fact(
    conn: sqlite3.Connection,
    namespace: str,
    text: str,
    *,
    by: str,
    why: str,
    tags: tuple[str, ...],
    at: float,
    expires_at: float | None,
    vector: bytes | None,
    replaces: int | None = None,
) -> Fact:
    """Write a new active fact and index its words for search."""
    joined = "\n".join(tags)
    cursor = conn.execute(
        "INSERT INTO facts(namespace, text, norm, tags, author, why, at, changed_at, replaces, vector, "
        "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (namespace, text, normalize(text), joined, by, why, at, at, replaces, vector, expires_at),
    )
    fact_id = cursor.lastrowid
    assert fact_id is not None
    conn.execute("INSERT INTO facts_index(rowid, words) VALUES (?, ?)", (fact_id, index_words(text, joined)))
    return Fact(
        id=fact_id,
        text=text,
        by=by,
        why=why,
        at=at,
        changed_at=at,
        tags=tags,
        replaces=replaces,
        namespace=namespace,
        expires_at=expires_at,
    )


def remove_fact(conn: sqlite3.Connection, fact: Fact) -> None:
    """Delete an expired fact's row and its words from the index (its ``expire`` row comes first)."""
    conn.execute(
        "INSERT INTO facts_index(facts_index, rowid, words) VALUES ('delete', ?, ?)",
        (fact.id, index_words(fact.text, "\n".join(fact.tags))),
    )
    conn.execute("DELETE FROM facts WHERE id = ?", (fact.id,))


def remove_expired(conn: sqlite3.Connection, namespace: str, *, by: str, at: float) -> list[Fact]:
    """Remove every fact whose current version expired by ``at``, with its older versions.

    Each row's ``expire`` audit row is written before it is deleted (the schema refuses the
    deletion otherwise). Returns the removed rows, by id.
    """
    heads = conn.execute(
        f"SELECT {FACT_COLUMNS} FROM facts WHERE namespace = ? AND superseded_by IS NULL "
        "AND expires_at <= ? ORDER BY id",
        (namespace, at),
    ).fetchall()
    removed: list[Fact] = []
    for head in heads:
        version: Fact | None = to_fact(head, at)
        while version is not None:
            removed.append(version)
            log_change(
                conn, "expire", version, by=by, why="its time to live ended", at=at, old_text=version.text
            )
            remove_fact(conn, version)
            version = get_fact(conn, namespace, version.replaces) if version.replaces is not None else None
    return sorted(removed, key=lambda fact: fact.id)


def log_change(
    conn: sqlite3.Connection,
    action: Action,
    fact: Fact,
    *,
    by: str,
    why: str,
    at: float,
    old_text: str | None = None,
    new_text: str | None = None,
    previous_id: int | None = None,
) -> None:
    """Append one audit row about ``fact``, in its namespace."""
    conn.execute(
        "INSERT INTO audit(at, action, fact_id, author, why, old_text, new_text, previous_id, namespace) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at, action, fact.id, by, why, old_text, new_text, previous_id, fact.namespace),
    )
