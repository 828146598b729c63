"""The tables of a PostgreSQL run store, made on first use and checked on every open.

They live in the schema ``agentnb``, so a database shared with an application keeps them
apart. Making them happens under a transaction lock, so processes opening a new database at
once make them once. An existing schema is checked first — its format and version (a newer
agentnb's is refused), its columns, and that its only triggers and functions are agentnb's —
so nothing planted in it runs on our writes.
"""

from __future__ import annotations

from typing import Any

from agentnb.core.errors import StoreError

FORMAT, VERSION = "agentnb-runs", 1
LOCKS = 0x61676E74  # the first key of agentnb's session locks ("agnt"); the second is a run's key
REFUSE = "BEGIN RAISE EXCEPTION 'agentnb never changes or deletes a stored event or snapshot'; END"
SCHEMA = [
    "CREATE SCHEMA IF NOT EXISTS agentnb",
    "CREATE TABLE agentnb.meta (key text PRIMARY KEY, value text NOT NULL)",
    """CREATE TABLE agentnb.runs (
        key bigserial PRIMARY KEY,
        id text NOT NULL UNIQUE,
        team text NOT NULL,
        parent bigint REFERENCES agentnb.runs(key),
        fork_at integer NOT NULL DEFAULT 0,
        config text NOT NULL,
        started double precision NOT NULL,
        updated double precision NOT NULL,
        events integer NOT NULL,
        stop_reason text NOT NULL DEFAULT '',
        waiting boolean NOT NULL DEFAULT false,
        running boolean NOT NULL DEFAULT false,
        holder text
    )""",
    """CREATE TABLE agentnb.events (
        run bigint NOT NULL, seq integer NOT NULL, count integer NOT NULL, data text NOT NULL,
        PRIMARY KEY (run, seq)
    )""",
    """CREATE TABLE agentnb.snapshots (
        run bigint NOT NULL, seq integer NOT NULL, fold text NOT NULL, state text NOT NULL,
        PRIMARY KEY (run, seq)
    )""",
    f"CREATE FUNCTION agentnb.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $${REFUSE}$$",
    "CREATE TRIGGER events_kept BEFORE UPDATE OR DELETE ON agentnb.events "
    "FOR EACH ROW EXECUTE FUNCTION agentnb.refuse_change()",
    "CREATE TRIGGER snapshots_kept BEFORE UPDATE OR DELETE ON agentnb.snapshots "
    "FOR EACH ROW EXECUTE FUNCTION agentnb.refuse_change()",
]
COLUMNS = {
    ("meta", "key", "text"), ("meta", "value", "text"),
    ("runs", "key", "bigint"), ("runs", "id", "text"), ("runs", "team", "text"), ("runs", "parent", "bigint"),
    ("runs", "fork_at", "integer"), ("runs", "config", "text"), ("runs", "started", "double precision"),
    ("runs", "updated", "double precision"), ("runs", "events", "integer"), ("runs", "stop_reason", "text"),
    ("runs", "waiting", "boolean"), ("runs", "running", "boolean"), ("runs", "holder", "text"),
    ("events", "run", "bigint"), ("events", "seq", "integer"), ("events", "count", "integer"),
    ("events", "data", "text"),
    ("snapshots", "run", "bigint"), ("snapshots", "seq", "integer"), ("snapshots", "fold", "text"),
    ("snapshots", "state", "text"),
}  # fmt: skip
TRIGGERS = {
    ("events_kept", "events", "UPDATE"), ("events_kept", "events", "DELETE"),
    ("snapshots_kept", "snapshots", "UPDATE"), ("snapshots_kept", "snapshots", "DELETE"),
}  # fmt: skip


def check_schema(conn: Any, label: str) -> None:
    """Make the tables in a database that has none; check them in one that has."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (LOCKS,))
        if conn.execute("SELECT to_regclass('agentnb.meta')").fetchone()[0] is None:
            if conn.execute("SELECT to_regnamespace('agentnb')").fetchone()[0] is not None:
                found = _tables(conn)
                if found:
                    raise StoreError(
                        f"cannot use run store {label}: its schema 'agentnb' holds tables agentnb did not "
                        f"make ({', '.join(sorted(found)[:5])}); use another database"
                    )
            for statement in SCHEMA:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO agentnb.meta (key, value) VALUES ('format', %s), ('version', %s)",
                (FORMAT, str(VERSION)),
            )
            return
        _check(conn, label)


def _tables(conn: Any) -> set[str]:
    rows = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'agentnb'")
    return {r[0] for r in rows}


def _check(conn: Any, label: str) -> None:
    meta = dict(conn.execute("SELECT key, value FROM agentnb.meta").fetchall())
    if meta.get("format") != FORMAT:
        raise StoreError(f"cannot use run store {label}: its schema 'agentnb' is not an agentnb run store's")
    version = meta.get("version", "")
    if not version.isdigit():
        raise StoreError(f"cannot use run store {label}: its format version {version!r} is unreadable")
    if int(version) > VERSION:
        raise StoreError(
            f"cannot use run store {label}: it was written by a newer agentnb (format version {version}; "
            f"this one reads up to {VERSION}). Upgrade agentnb to use it; nothing in it was changed."
        )
    columns = {
        tuple(r)
        for r in conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'agentnb'"
        )
    }
    triggers = {
        tuple(r)
        for r in conn.execute(
            "SELECT trigger_name, event_object_table, event_manipulation FROM information_schema.triggers "
            "WHERE trigger_schema = 'agentnb' OR event_object_schema = 'agentnb'"
        )
    }
    functions = conn.execute(
        "SELECT proname, prosrc FROM pg_proc WHERE pronamespace = 'agentnb'::regnamespace"
    ).fetchall()
    problems = [f"column {t}.{c} ({d}) is missing" for t, c, d in sorted(COLUMNS - columns)]
    problems += [f"unexpected column {t}.{c} ({d})" for t, c, d in sorted(columns - COLUMNS)]
    problems += [f"unexpected trigger {name} on {table}" for name, table, _ in sorted(triggers - TRIGGERS)]
    problems += [f"trigger {name} on {table} is missing" for name, table, _ in sorted(TRIGGERS - triggers)]
    if [tuple(f) for f in functions] != [("refuse_change", REFUSE)]:
        problems.append("its functions are not agentnb's")
    if problems:
        raise StoreError(
            f"cannot use run store {label}: its schema 'agentnb' is not an agentnb run store's: "
            f"{'; '.join(problems[:6])}. It was changed outside agentnb, so it is not used."
        )
