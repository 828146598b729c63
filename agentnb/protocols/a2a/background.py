"""An A2A agent served from this process, in a thread, on 127.0.0.1: for notebooks, lessons and tests.

``with serve_in_background(team) as served: RemoteAgent(served.url)`` lets a notebook show a
team calling a remote agent without a second terminal; the server stops at the end of the
block (or on `BackgroundServer.stop`).
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from agentnb.protocols.a2a.serve import as_a2a_app
from agentnb.protocols.errors import ProtocolError

START_TIMEOUT = 30.0


class BackgroundServer:
    """uvicorn serving one team over A2A in a daemon thread; ``url`` is where it answers."""

    def __init__(self, target: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.port = port or _free_port(host)
        self.url = f"http://{host}:{self.port}/"
        config = uvicorn.Config(
            as_a2a_app(target, url=self.url), host=host, port=self.port, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="agentnb-a2a", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ProtocolError(
                    f"the A2A server on {self.url} did not start (is port {self.port} taken?)"
                )
            time.sleep(0.01)

    def __repr__(self) -> str:
        return f"BackgroundServer({self.url!r})"

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self._server.should_exit = True
        self._thread.join(START_TIMEOUT)

    def __enter__(self) -> BackgroundServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_background(target: Any, *, host: str = "127.0.0.1", port: int = 0) -> BackgroundServer:
    """Serve ``target`` (a team or agent) over A2A from a thread here; ``port=0`` picks a free port."""
    return BackgroundServer(target, host=host, port=port)


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
