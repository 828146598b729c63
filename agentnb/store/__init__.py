"""Run stores: a team's runs written as they happen, resumed later, in this process or another.

``Team(..., store="runs.db")`` writes every event of the team's runs to a SQLite file
(`SQLiteStore`); ``store="postgresql://..."`` to a PostgreSQL server (`PostgresStore`, the
``postgres`` extra), for several processes or machines. ``Team.resume(store, run_id,
participants)`` goes on with a stored run; `RunStore.runs` lists them (`RunInfo`).
`open_store` turns a path or URL into a store; a store object can be passed anywhere a path
can. See the README's "Durable runs" for what each store guarantees.
"""

from __future__ import annotations

import os
from typing import Any

from agentnb.core.errors import ConfigError, RunBusyError, StoreError
from agentnb.store.base import RunInfo, RunStore

POSTGRES_SCHEMES = ("postgresql://", "postgres://")

__all__ = ["PostgresStore", "RunBusyError", "RunInfo", "RunStore", "SQLiteStore", "StoreError", "open_store"]


def open_store(spec: Any, **options: Any) -> RunStore:
    """The store ``spec`` names: a store object (as is), a ``postgresql://`` URL, or a SQLite file path."""
    if isinstance(spec, RunStore):
        return spec
    if isinstance(spec, str) and spec.startswith(POSTGRES_SCHEMES):
        from agentnb.store.postgres import PostgresStore

        return PostgresStore(spec, **options)
    if isinstance(spec, str | os.PathLike) and str(spec).strip():
        from agentnb.store.sqlite import SQLiteStore

        return SQLiteStore(spec, **options)
    raise ConfigError(
        f"store: expected a SQLite file path (e.g. 'runs.db'), a postgresql:// URL or a run store, "
        f"got {spec!r}"
    )


def __getattr__(name: str) -> Any:
    if name == "SQLiteStore":
        from agentnb.store.sqlite import SQLiteStore

        return SQLiteStore
    if name == "PostgresStore":
        from agentnb.store.postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module 'agentnb.store' has no attribute {name!r}")
