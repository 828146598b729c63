"""Start Arize Phoenix (a real OTLP/HTTP trace receiver with a REST API) on 127.0.0.1 only.

Phoenix is large (~95 packages over agentnb's) and its pytest plugin imports the whole
server at every pytest start (~30 s here), so a developer may keep it in a separate
virtualenv: set ``AGENTNB_PHOENIX_PYTHON`` to that environment's python. Otherwise the
test's own interpreter is used when ``arize-phoenix`` is installed (as in CI).

Phoenix always opens an OTLP/gRPC listener on every interface and has no setting to turn
it off; the launcher below switches it off (the tests send over HTTP), so the server
listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import IO, Any

PYTHON_ENV = "AGENTNB_PHOENIX_PYTHON"
LAUNCHER = """
import sys
try:
    from phoenix.server import grpc_server
    _init = grpc_server.GrpcServer.__init__

    def _http_only(self, *args, **kwargs):
        kwargs["disabled"] = True
        _init(self, *args, **kwargs)

    grpc_server.GrpcServer.__init__ = _http_only
except (ImportError, AttributeError):  # another Phoenix layout: gRPC stays on its own free port
    pass
from phoenix.server.main import main
sys.argv = ["phoenix", "serve"]
main()
"""


def phoenix_python() -> str | None:
    """The python that can run Phoenix, or None when Phoenix is not installed."""
    configured = os.environ.get(PYTHON_ENV)
    if configured:
        return configured if Path(configured).exists() else None
    try:
        metadata.distribution("arize-phoenix")
    except metadata.PackageNotFoundError:
        return None
    import sys

    return sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def phoenix_server(python: str, startup_timeout: float = 240.0) -> Iterator[str]:
    """Run Phoenix in a temporary working directory; yields its base URL."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="agentnb-phoenix-") as home, tempfile.TemporaryFile("w+") as log:
        env = {
            **os.environ,
            "HOME": home,
            "PHOENIX_HOST": "127.0.0.1",
            "PHOENIX_PORT": str(port),
            "PHOENIX_GRPC_PORT": str(free_port()),
            "PHOENIX_WORKING_DIR": home,
            "PHOENIX_TELEMETRY_ENABLED": "false",
        }
        process = subprocess.Popen(
            [python, "-c", LAUNCHER], stdout=log, stderr=subprocess.STDOUT, text=True, env=env, cwd=home
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_ready(process, log, base, startup_timeout)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_ready(process: subprocess.Popen[str], log: IO[str], base: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"Phoenix exited with code {process.returncode}:\n{log.read()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"Phoenix did not answer at {base}/healthz within {timeout:.0f} s")


def read_spans(base: str, project: str, expected: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    """The spans of ``project`` through Phoenix's REST API, once ``expected`` of them are stored."""
    deadline = time.monotonic() + timeout
    spans: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(
                f"{base}/v1/projects/{project}/spans?limit=1000", timeout=5
            ) as response:
                spans = json.load(response)["data"]
        except OSError:
            spans = []
        if len(spans) >= expected:
            return spans
        time.sleep(0.5)
    raise AssertionError(f"Phoenix stored {len(spans)} spans of project {project!r}, expected {expected}")
