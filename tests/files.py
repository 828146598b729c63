"""Store files in tests: permissions that hold even for root; SQLite files changed behind our back."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

NOBODY = 65534


@contextmanager
def unprivileged() -> Iterator[None]:
    """File permissions do not stop root: run the block as 'nobody' (a no-op for other users)."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)


@contextmanager
def shared_directory() -> Iterator[Path]:
    """A directory under /tmp that 'nobody' can reach (pytest's tmp_path is private to root),
    removed afterwards whatever its permissions became."""
    path = Path(tempfile.mkdtemp(prefix="agentnb-files-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for item in (path, *path.iterdir()):
            item.chmod(0o755)
        shutil.rmtree(path)


def tamper(path: Path | str, *statements: str) -> None:
    """Change the SQLite file at ``path`` as another program would: ``statements``, committed."""
    with closing(sqlite3.connect(path)) as raw:
        for statement in statements:
            raw.execute(statement)
        raw.commit()
