"""Processes in tests: subprocesses that import this checkout's agentnb, and waiting for one to end."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def environment(**extra: str) -> dict[str, str]:
    """This environment with the worktree first on PYTHONPATH (subprocesses import this agentnb)."""
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), **extra}


def gone(pid: int, wait: float = 10.0) -> bool:
    """True once process ``pid`` has ended (reaped, or a zombie), waiting up to ``wait`` s."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False
