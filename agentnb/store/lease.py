"""Who writes a stored run: one writer per run, and telling a live writer from a dead one.

A writer (`agentnb.store.writer.RunWriter`) holds its run while a run of its team goes on, or
while it records a decision; the store keeps the holder's description with the run, so a
second writer is told who holds it. A writer that died (a killed kernel, ``kill -9``) holds
nothing: PostgreSQL ends its session lock with its connection, and a SQLite store sees that
the holder's process is gone (same machine), or that it has not written for `STALE_AFTER`
seconds (another machine sharing the file).
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import socket
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

STALE_AFTER = 600.0  # seconds without a write after which a writer on another machine is presumed gone
_live: set[str] = set()  # tokens of the writers of this process that hold a run now
_live_lock = threading.Lock()


def _process_start(pid: int) -> str:
    """When process ``pid`` started (Linux: clock ticks since boot), to tell it from a later one."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


@dataclass(frozen=True)
class Holder:
    """The writer holding a run: its process, machine and token, and since when."""

    token: str
    pid: int
    host: str
    started: str  # the process's start time ("" where unknown)
    since: float

    @classmethod
    def me(cls) -> Holder:
        pid = os.getpid()
        return cls(secrets.token_hex(8), pid, socket.gethostname(), _process_start(pid), time.time())

    @functools.cached_property
    def text(self) -> str:
        """How a store records this holder (compared on every write: made once)."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def of(cls, text: str | None) -> Holder | None:
        """The holder a store recorded (None: nobody, or a record that is not one)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            token, pid, host, started = (
                str(data["token"]),
                int(data["pid"]),
                str(data["host"]),
                str(data["started"]),
            )
            return cls(token, pid, host, started, float(data["since"]))
        except (ValueError, TypeError, KeyError):
            return None

    def describe(self) -> str:
        where = "this process" if self.is_here() else f"process {self.pid} on {self.host}"
        return f"{where} (since {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(self.since))})"

    def is_here(self) -> bool:
        return self.pid == os.getpid() and self.host == socket.gethostname()

    def alive(self, last_write: float) -> bool:
        """Whether this holder may still be writing (a store without session locks asks this)."""
        if self.is_here():
            with _live_lock:
                return self.token in _live
        if self.host != socket.gethostname():
            return time.time() - max(self.since, last_write) < STALE_AFTER
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # another user's process: it exists
        return not self.started or _process_start(self.pid) in ("", self.started)


def hold(holder: Holder) -> None:
    """Note that ``holder`` (a writer of this process) holds a run now."""
    with _live_lock:
        _live.add(holder.token)


def let_go(holder: Holder) -> None:
    with _live_lock:
        _live.discard(holder.token)
