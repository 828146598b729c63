"""What a server last said when it failed, quoted in errors: a stdio server's stderr, an HTTP
server's error response.

The SDK turns both into bare errors ("Connection closed", "Server returned an error
response"); a person needs the server's own words, or at least its HTTP status, to know
whether to fix a command, a token or the server. Each `Link` holds one log, emptied at each
start, and its ``clause`` ends the error message (scrubbed by the caller's rule).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import weakref
from collections.abc import Callable
from typing import IO, Protocol

import httpx2

TAIL = 600  # characters of a dead server's stderr quoted in the error
BODY = 200  # characters of an HTTP error response's body quoted in the error
CREDENTIALS_REFUSED = (401, 403)


class ServerLog(Protocol):
    """Where a server's last words are kept between its start and an error message."""

    def clear(self) -> None:
        """Forget what the server said before (called at each start)."""

    def clause(self, scrub: Callable[[str], str]) -> str:
        """What the server last said, as a clause for an error message (empty when nothing)."""


class StderrLog:
    """The file a stdio server's stderr goes to (appended), so an error can quote its last words.

    A notebook's ``sys.stderr`` is no file a subprocess can write to; this one is emptied at
    each start and removed when the server object goes away.
    """

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="agentnb-mcp-", suffix=".log")
        os.close(fd)
        self.file: IO[str] = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (lives with self)
        weakref.finalize(self, _remove, self.file, self.path)

    def clear(self) -> None:
        with open(self.path, "w"):
            pass

    def tail(self, limit: int = TAIL) -> str:
        try:
            with open(self.path, "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - limit * 4))
                return f.read().decode("utf-8", "replace")[-limit:].strip()
        except OSError:
            return ""

    def clause(self, scrub: Callable[[str], str]) -> str:
        tail = self.tail()
        return f" (its stderr ends: {scrub(tail)!r})" if tail else ""


def _remove(file: IO[str], path: str) -> None:
    file.close()
    with contextlib.suppress(OSError):
        os.remove(path)


class HttpLog:
    """The last error response (status 400 and up) of an HTTP server, recorded by `hook`.

    Pass ``event_hooks={"response": [log.hook]}`` to the HTTP client the transport uses.
    """

    def __init__(self) -> None:
        self.status = 0
        self.reason = ""
        self.body = ""

    async def hook(self, response: httpx2.Response) -> None:
        if response.status_code < 400:
            return
        self.status, self.reason = response.status_code, response.reason_phrase
        try:
            self.body = (await response.aread()).decode("utf-8", "replace").strip()[:BODY]
        except httpx2.HTTPError:
            self.body = ""

    def clear(self) -> None:
        self.status, self.reason, self.body = 0, "", ""

    def clause(self, scrub: Callable[[str], str]) -> str:
        if not self.status:
            return ""
        said = f": {scrub(self.body)!r}" if self.body else ""
        advice = (
            "; the server wants credentials: pass them as headers=, e.g. "
            "MCPServer.http(url, headers={'Authorization': 'Bearer ...'}), or check the ones given"
            if self.status in CREDENTIALS_REFUSED
            else ""
        )
        return f" (it answered HTTP {self.status} {self.reason}{said}{advice})"
