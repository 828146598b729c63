"""Fixtures for the protocol tests: the SDKs, the reference servers, free ports, no process left behind."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.conftest import require
from tests.processes import ROOT, gone

SERVERS = Path(__file__).parent / "servers"
RAW = str(SERVERS / "raw_server.py")
EVERYTHING_PACKAGE = "@modelcontextprotocol/server-everything"
LOOPBACK = str(SERVERS / "loopback.cjs")  # makes a node server listen on 127.0.0.1 only


def need_mcp() -> None:
    require(importlib.util.find_spec("mcp") is not None, "the mcp SDK (pip install 'agentnb[mcp]')")


def need_a2a() -> None:
    require(importlib.util.find_spec("a2a") is not None, "the a2a SDK (pip install 'agentnb[a2a]')")


def reference_server(name: str) -> str:
    """The path of a reference MCP server installed from PyPI (test extra) next to this Python."""
    path = Path(sys.executable).with_name(name)
    require(path.exists(), f"{name} (pip install {name})")
    return str(path)


def everything() -> str:
    """server-everything's entry script, in $AGENTNB_MCP_SERVERS (.ci/run's npm folder) or ./.mcp-servers."""
    folder = Path(os.environ.get("AGENTNB_MCP_SERVERS", ROOT / ".mcp-servers"))
    script = folder / "node_modules" / EVERYTHING_PACKAGE / "dist" / "index.js"
    require(script.exists() and shutil.which("node") is not None, f"node and {EVERYTHING_PACKAGE} (npm)")
    return str(script)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[Any] | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE}


@pytest.fixture(autouse=True)
def no_process_left_behind() -> Iterator[None]:
    """Every test ends with no new child process alive (servers stopped, on every path)."""
    before = _children()
    yield
    left = _children() - before
    still = [pid for pid in left if not gone(pid, wait=10.0)]
    assert not still, (
        f"processes left behind: {[psutil.Process(p).cmdline() for p in still if psutil.pid_exists(p)]}"
    )


class Uvicorn:
    """An ASGI app (made for its address) served by uvicorn on 127.0.0.1 in a thread, stopped at the end."""

    def __init__(self, make_app: Callable[[str], Any]) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        app = make_app(self.url)
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Uvicorn:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
