"""Fact and audit rows: the SQL a store runs inside its transactions, and rows to records."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from agentnb.memory.records import Action, Change, Fact, UnknownFactError

FACT_COLUMNS = "id, text, author, why, at, status, changed_at, tags, replaces, superseded_by"
CHANGE_COLUMNS = "seq, at, action, fact_id, author, why, old_text, new_text, previous_id"


def normalize(text: str) -> str:
    """The key under which two texts count as the same fact (case and spacing ignored)."""
    return " ".join(text.split()).casefold()


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags on one line each, without blanks or repeats (stored newline-separated)."""
    return tuple(dict.fromkeys(" ".join(t.split()) for t in tags if t.strip()))


def to_fact(row: Sequence[Any]) -> Fact:
    fact_id, text, by, why, at, status, changed_at, tags, replaces, superseded_by = row
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
    )


def to_change(row: Sequence[Any]) -> Change:
    seq, at, action, fact_id, by, why, old_text, new_text, previous_id = row
    return Change(seq, at, action, fact_id, by, why, old_text, new_text, previous_id)


def get_fact(conn: sqlite3.Connection, fact_id: int) -> Fact:
    """The fact ``fact_id``, or `UnknownFactError` naming it."""
    row = conn.execute(f"SELECT {FACT_COLUMNS} FROM facts WHERE id = ?", (fact_id,)).fetchone()
    if row is None:
        raise UnknownFactError(
            f"there is no fact #{fact_id} in this memory; recalled facts show their ids as #id"
        )
    return to_fact(row)


def load_facts(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Fact]:
    """The facts with these ids, by id (unknown ids are left out)."""
    unique = list(dict.fromkeys(ids))
    found: dict[int, Fact] = {}
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for row in conn.execute(f"SELECT {FACT_COLUMNS} FROM facts WHERE id IN ({marks})", chunk):
            found[row[0]] = to_fact(row)
    return found


def active_with_text(conn: sqlite3.Connection, text: str) -> Fact | None:
    """The active fact that says ``text`` (ignoring case and spacing), if there is one."""
    row = conn.execute(
        f"SELECT {FACT_COLUMNS} FROM facts WHERE norm = ? AND status = 'active' LIMIT 1", (normalize(text),)
    ).fetchone()
    return to_fact(row) if row is not None else None


def insert_fact(
    conn: sqlite3.Connection,
    text: str,
    *,
    by: str,
    why: str,
    tags: tuple[str, ...],
    at: float,
    vector: bytes | None,
    replaces: int | None = None,
) -> Fact:
    """Write a new active fact (the insert trigger indexes it for search)."""
    cursor = conn.execute(
        "INSERT INTO facts(text, norm, tags, author, why, at, changed_at, replaces, vector) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (text, normalize(text), "\n".join(tags), by, why, at, at, replaces, vector),
    )
    assert cursor.lastrowid is not None
    return Fact(
        id=cursor.lastrowid, text=text, by=by, why=why, at=at, changed_at=at, tags=tags, replaces=replaces
    )


def log_change(
    conn: sqlite3.Connection,
    action: Action,
    fact_id: int,
    *,
    by: str,
    why: str,
    at: float,
    old_text: str | None = None,
    new_text: str | None = None,
    previous_id: int | None = None,
) -> None:
    """Append one audit row."""
    conn.execute(
        "INSERT INTO audit(at, action, fact_id, author, why, old_text, new_text, previous_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (at, action, fact_id, by, why, old_text, new_text, previous_id),
    )
