"""The layout of a memory store file: every version's schema, the migrations, and the check on open.

The schema enforces the store's promise at the database level: an audit row is never changed
or deleted, a fact's text never changes (an update is a new row), and a fact is deleted only
after an ``expire`` audit row says so (`MemoryStore.forget_expired`). Every store, new or old,
is built the same way — the version-1 schema, then each migration in turn — so a file's
schema can be compared object by object, SQL text included, with the one agentnb expects for
its version. A file is data: anything unexpected in it (a planted trigger, a dropped guard,
an altered table) is refused before the first statement that could run it.
"""

from __future__ import annotations

import functools
import sqlite3

from agentnb.memory.records import MemoryStoreError

FORMAT = "agentnb-memory"
VERSION = 2

# The schema of format version 1, exactly as agentnb wrote it: files of that version are
# compared with it, and every new store starts from it.
VERSION_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE facts (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    norm TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL,
    why TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'superseded', 'forgotten')),
    changed_at REAL NOT NULL,
    replaces INTEGER REFERENCES facts(id),
    superseded_by INTEGER REFERENCES facts(id),
    vector BLOB
);
CREATE INDEX facts_active_text ON facts(norm) WHERE status = 'active';
CREATE VIRTUAL TABLE facts_index USING fts5(
    words, content='', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER facts_indexed AFTER INSERT ON facts BEGIN
    INSERT INTO facts_index(rowid, words) VALUES (new.id, new.text || ' ' || new.tags);
END;
CREATE TRIGGER facts_never_deleted BEFORE DELETE ON facts BEGIN
    SELECT RAISE(ABORT, 'agentnb memory never deletes a fact; forget it instead');
END;
CREATE TRIGGER facts_text_fixed BEFORE UPDATE OF id, text, norm, tags, author, why, at, replaces
ON facts BEGIN
    SELECT RAISE(ABORT, 'a remembered fact never changes; update() writes a new version');
END;
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('remember', 'update', 'forget', 'restore')),
    fact_id INTEGER NOT NULL REFERENCES facts(id),
    previous_id INTEGER REFERENCES facts(id),
    old_text TEXT,
    new_text TEXT,
    author TEXT NOT NULL,
    why TEXT NOT NULL
);
CREATE INDEX audit_fact ON audit(fact_id);
CREATE TRIGGER audit_never_changed BEFORE UPDATE ON audit BEGIN
    SELECT RAISE(ABORT, 'the memory audit log is append-only');
END;
CREATE TRIGGER audit_never_deleted BEFORE DELETE ON audit BEGIN
    SELECT RAISE(ABORT, 'the memory audit log is append-only');
END;
"""

# Version 2: namespaces and expiry. Facts are indexed for search by the store's code, not by a
# trigger (with trusted_schema off, a trigger may not write to a full-text index); the audit
# table is rebuilt because a CHECK constraint cannot be altered, and its rows no longer
# reference facts, since an expired fact's rows may be removed while its audit rows stay.
TO_VERSION_2 = """
ALTER TABLE facts ADD COLUMN namespace TEXT NOT NULL DEFAULT 'default';
ALTER TABLE facts ADD COLUMN expires_at REAL;
DROP TRIGGER facts_indexed;
DROP TRIGGER facts_never_deleted;
DROP TRIGGER facts_text_fixed;
DROP INDEX facts_active_text;
CREATE INDEX facts_active_text ON facts(namespace, norm) WHERE status = 'active';
CREATE INDEX facts_expiry ON facts(namespace, expires_at) WHERE expires_at IS NOT NULL;
CREATE TRIGGER facts_text_fixed
BEFORE UPDATE OF id, text, norm, tags, author, why, at, replaces, namespace, expires_at ON facts BEGIN
    SELECT RAISE(ABORT, 'a remembered fact never changes; update() writes a new version');
END;
CREATE TABLE audit_v2 (
    seq INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('remember', 'update', 'forget', 'restore', 'expire')),
    fact_id INTEGER NOT NULL,
    previous_id INTEGER,
    old_text TEXT,
    new_text TEXT,
    author TEXT NOT NULL,
    why TEXT NOT NULL,
    namespace TEXT NOT NULL DEFAULT 'default'
);
INSERT INTO audit_v2(seq, at, action, fact_id, previous_id, old_text, new_text, author, why)
SELECT seq, at, action, fact_id, previous_id, old_text, new_text, author, why FROM audit;
DROP TABLE audit;
ALTER TABLE audit_v2 RENAME TO audit;
CREATE INDEX audit_fact ON audit(fact_id);
CREATE INDEX audit_namespace ON audit(namespace, seq);
CREATE TRIGGER audit_never_changed BEFORE UPDATE ON audit BEGIN
    SELECT RAISE(ABORT, 'the memory audit log is append-only');
END;
CREATE TRIGGER audit_never_deleted BEFORE DELETE ON audit BEGIN
    SELECT RAISE(ABORT, 'the memory audit log is append-only');
END;
CREATE TRIGGER facts_deleted_only_when_expired BEFORE DELETE ON facts
WHEN NOT EXISTS (SELECT 1 FROM audit WHERE action = 'expire' AND fact_id = old.id) BEGIN
    SELECT RAISE(ABORT, 'agentnb memory deletes a fact only once it expired; forget it instead');
END;
"""

# version -> the script that upgrades a store from that version to the next one
MIGRATIONS: dict[int, str] = {1: TO_VERSION_2}

# SQLite's own bookkeeping tables (ANALYZE, AUTOINCREMENT): content, never code.
SQLITE_TABLES = {"sqlite_sequence", "sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4"}
FTS_SHADOW = "facts_index_"  # tables FTS5 creates and writes itself, compared by name only

Objects = dict[tuple[str, str], str]


def split_script(script: str) -> list[str]:
    """The statements of ``script`` (triggers contain ';' inside BEGIN ... END)."""
    statements: list[str] = []
    current = ""
    for line in script.strip().splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run ``script`` inside the caller's transaction (``executescript`` would commit it)."""
    for statement in split_script(script):
        conn.execute(statement)


def steps(start: int, end: int, label: str) -> list[str]:
    """The migration scripts that bring a store from version ``start`` to ``end``, in order."""
    scripts = []
    for step in range(start, end):
        script = MIGRATIONS.get(step)
        if script is None:
            raise MemoryStoreError(
                f"cannot open memory store {label}: no migration from format version {step}. "
                "Open it with the agentnb version that wrote it and export its facts."
            )
        scripts.append(script)
    return scripts


def objects(conn: sqlite3.Connection) -> Objects:
    """The schema objects of a database: (type, name) -> SQL with its spacing normalised."""
    found: Objects = {}
    for kind, name, table, sql in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"):
        if kind == "table" and name in SQLITE_TABLES:
            continue
        shadow = kind == "table" and name.startswith(FTS_SHADOW)
        found[kind, name] = f"on {table}" if shadow else " ".join((sql or f"on {table}").split())
    return found


@functools.lru_cache(maxsize=8)
def expected(scripts: tuple[str, ...]) -> Objects:
    """The objects of a store built by ``scripts`` (version 1, then migrations), made in memory."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for script in scripts:
            run_script(conn, script)
        return objects(conn)
    finally:
        conn.close()


def plain_meta(conn: sqlite3.Connection) -> bool:
    """Whether the database has the ``meta`` table every version has, as agentnb defines it."""
    return objects(conn).get(("table", "meta")) == expected((VERSION_1,))["table", "meta"]


def verify(conn: sqlite3.Connection, label: str, version: int) -> None:
    """Refuse a store whose schema is not exactly the one agentnb writes at ``version``."""
    wanted = expected((VERSION_1, *steps(1, version, label)))
    found = objects(conn)
    problems = [f"{kind} {name} is missing" for kind, name in wanted if (kind, name) not in found]
    problems += [f"unexpected {kind} {name}" for kind, name in found if (kind, name) not in wanted]
    problems += [
        f"{kind} {name} is not defined as agentnb defines it"
        for (kind, name), sql in found.items()
        if (kind, name) in wanted and wanted[kind, name] != sql
    ]
    if problems:
        shown = "; ".join(sorted(problems)[:6]) + ("; …" if len(problems) > 6 else "")
        raise MemoryStoreError(
            f"cannot open memory store {label}: its schema is not an agentnb memory store's "
            f"(format version {version}): {shown}. The file was changed outside agentnb, so it is "
            "not used. Choose another path, or move the file away to start a new store."
        )


def create(conn: sqlite3.Connection) -> None:
    """Write the current schema into an empty database (inside the caller's transaction)."""
    for script in (VERSION_1, *steps(1, VERSION, "(new)")):
        run_script(conn, script)


def migrate(conn: sqlite3.Connection, label: str, version: int) -> None:
    """Upgrade a checked store in place, one version at a time (inside the caller's transaction)."""
    for step, script in enumerate(steps(version, VERSION, label), start=version):
        run_script(conn, script)
        conn.execute("UPDATE meta SET value = ? WHERE key = 'version'", (str(step + 1),))
