"""The layout of a memory store file: every version's schema and the migrations between them.

The schema enforces the store's promise at the database level: an audit row is never changed
or deleted, a fact's text never changes (an update is a new row), and a fact is deleted only
after an ``expire`` audit row says so (`MemoryStore.forget_expired`). Every store, new or old,
is built the same way — the version-1 schema, then each migration in turn — so a file's
schema can be compared object by object, SQL text included, with the one agentnb expects for
its version (`agentnb.core.sqlite_files` does, before the first statement that could run
anything planted in the file).
"""

from __future__ import annotations

FORMAT = "agentnb-memory"
VERSION = 2

# The schema of format version 1, exactly as agentnb wrote it (besides the meta table every
# agentnb SQLite file has): files of that version are compared with it, and every new store
# starts from it.
VERSION_1 = """
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
