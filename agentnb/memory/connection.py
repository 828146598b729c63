"""One open store file, shared by a `MemoryStore` and every view `scope` makes of it.

It is an `agentnb.core.sqlite_files.SQLiteFile` (the connection under a lock, reads and write
transactions whose SQLite errors become `MemoryStoreError`) that also keeps each namespace's
vector index, so a view made again and again never reloads its vectors.
"""

from __future__ import annotations

import os
import threading

from agentnb.core.sqlite_files import SQLiteFile
from agentnb.memory.database import connect, memory_format
from agentnb.memory.search import VectorIndex


class StoreFile(SQLiteFile):
    """The connection to one store file (or ``":memory:"``), its lock and its vector indexes."""

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool) -> None:
        conn, label = connect(path, read_only=read_only)
        super().__init__(conn, label, memory_format(), read_only=read_only)
        self.vector_lock = threading.Lock()
        self.vectors: dict[str, VectorIndex] = {}  # by namespace; facts up to index.ids[-1]
