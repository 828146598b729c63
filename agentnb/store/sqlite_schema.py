"""The layout of a SQLite run store: its tables and guards, and how its errors speak.

`agentnb.core.sqlite_files` opens the file with it, as it opens every agentnb SQLite file: with
``trusted_schema`` off, the file's schema compared object by object with this one before
anything else is read (a planted trigger or view never runs), a new file made in one
``BEGIN IMMEDIATE`` transaction, and write-ahead logging. Events and snapshots are never
changed, and events never deleted: the triggers refuse it.
"""

from __future__ import annotations

from agentnb.core.errors import StoreError
from agentnb.core.sqlite_files import SQLiteFormat, Wording

SCHEMA = """
CREATE TABLE runs (
    key INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    team TEXT NOT NULL,
    parent INTEGER REFERENCES runs(key),
    fork_at INTEGER NOT NULL DEFAULT 0,
    config TEXT NOT NULL,
    started REAL NOT NULL,
    updated REAL NOT NULL,
    events INTEGER NOT NULL,
    stop_reason TEXT NOT NULL DEFAULT '',
    waiting INTEGER NOT NULL DEFAULT 0,
    running INTEGER NOT NULL DEFAULT 0,
    holder TEXT
);
CREATE TABLE events (
    run INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    count INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run, seq)
);
CREATE TABLE snapshots (
    run INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    fold TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (run, seq)
) WITHOUT ROWID;
CREATE TRIGGER events_kept BEFORE UPDATE ON events BEGIN
    SELECT RAISE(ABORT, 'a stored event never changes');
END;
CREATE TRIGGER events_never_deleted BEFORE DELETE ON events BEGIN
    SELECT RAISE(ABORT, 'a stored event is never deleted');
END;
CREATE TRIGGER snapshots_kept BEFORE UPDATE ON snapshots BEGIN
    SELECT RAISE(ABORT, 'a stored snapshot never changes');
END;
"""
RUNS = SQLiteFormat(
    name="agentnb-runs",
    version=1,
    schema=SCHEMA,
    error=StoreError,
    wording=Wording(
        noun="run store",
        example="runs.db",
        elsewhere="Choose a writable path.",
        read_instead="To read its runs without writing, open the store with read_only=True.",
        locked="is locked by another program writing to it ({text}). Nothing is lost: the team keeps "
        "its events and writes them with its next batch or run; close the other program, or try again.",
    ),
    page_size=8192,  # a new file's pages hold a batch of events each, several to a page
)
