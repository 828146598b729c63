"""Memory: what agents keep beyond one context window.

`MemoryStore` is the long-term store (facts in SQLite, BM25 and optional semantic recall,
an audit log of every change, namespaces with `scope`, expiry with ``ttl``). Names load on
first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "MemoryStore": "agentnb.memory.store",
    "Fact": "agentnb.memory.records",
    "Change": "agentnb.memory.records",
    "MemoryStoreError": "agentnb.memory.records",
    "UnknownFactError": "agentnb.memory.records",
    "FactTable": "agentnb.memory.tables",
    "AuditLog": "agentnb.memory.tables",
}

__all__ = ["AuditLog", "Change", "Fact", "FactTable", "MemoryStore", "MemoryStoreError", "UnknownFactError"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agentnb.memory' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from agentnb.memory.records import Change, Fact, MemoryStoreError, UnknownFactError
    from agentnb.memory.store import MemoryStore
    from agentnb.memory.tables import AuditLog, FactTable
