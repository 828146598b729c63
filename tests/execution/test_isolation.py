"""Model-written code cannot reach the notebook's secrets, its kernel, your home or the machine.

Attacks as a careless or hostile model would write them, against keys planted in the parent:
a fake parent kernel (its environment holds the keys, its command line names its connection
file in a runtime folder under your home), a file in your home, the kernel's own settings.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentnb.execution import CodeExecutor, code_executor
from tests.execution.conftest import need_kernel

PLANTED_OPENAI = "sk-planted-parent-openai-0123456789abcdef"
PLANTED_DB = "postgres://app:planted-db-password-0123@db.internal:5432/app"
PLANTED_WEBHOOK = "https://hooks.slack.com/services/T000/B000/plantedwebhook0123"
SIGNING_KEY = "planted-signing-key-0123456789abcdef"
SECRETS = ["planted-parent-openai", "planted-db-password", "plantedwebhook", SIGNING_KEY]


@pytest.fixture(scope="module")
def parent() -> Iterator[dict[str, str]]:
    """A fake parent kernel: keys in its environment, its connection file in a runtime folder in home."""
    runtime = Path(tempfile.mkdtemp(dir=Path.home(), prefix=".agentnb-test-runtime-"))
    connection = runtime / "kernel-fake-parent.json"
    connection.write_text(json.dumps({"key": SIGNING_KEY, "transport": "tcp", "shell_port": 1}))
    secret_file = Path(tempfile.mkstemp(dir=Path.home(), prefix=".agentnb-test-secret-")[1])
    secret_file.write_text(f"OPENAI_API_KEY={PLANTED_OPENAI}\n")
    env = {**os.environ, "OPENAI_API_KEY": PLANTED_OPENAI, "DATABASE_URL": PLANTED_DB}
    env |= {"SLACK_WEBHOOK_URL": PLANTED_WEBHOOK, "JUPYTER_RUNTIME_DIR": str(runtime)}
    sleeper = "import time; time.sleep(300)"
    kernel = subprocess.Popen([sys.executable, "-c", sleeper, "-f", str(connection)], env=env)
    try:
        yield {"runtime": str(runtime), "connection": str(connection), "home_file": str(secret_file)}
    finally:
        kernel.kill()
        kernel.wait()
        shutil.rmtree(runtime, ignore_errors=True)
        secret_file.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def sandboxed(parent: dict[str, str]) -> Iterator[CodeExecutor]:
    """An executor started from a parent whose environment holds the planted keys."""
    need_kernel()
    planted = {"OPENAI_API_KEY": PLANTED_OPENAI, "DATABASE_URL": PLANTED_DB}
    planted |= {"SLACK_WEBHOOK_URL": PLANTED_WEBHOOK, "JUPYTER_RUNTIME_DIR": parent["runtime"]}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in planted.items():
            patch.setenv(name, value)
        with code_executor(timeout=30) as executor:
            yield executor


def run(executor: CodeExecutor, code: str) -> str:
    result = asyncio.run(executor(code))
    assert not result.is_error, result.text
    return result.text


SEARCH = """
import glob, os
secrets = {secrets!r}
found = []
paths = glob.glob("/proc/*/environ") + glob.glob("/proc/*/cmdline") + glob.glob("/proc/*/task/*/environ")
paths += [f"/proc/{{pid}}/{{part}}" for pid in ({pids}) for part in ("environ", "cmdline")]
paths += [{connection!r}, {home_file!r}] + glob.glob({runtime!r} + "/*")
for path in paths:
    try:
        text = open(path, "rb").read().decode("latin-1")
    except OSError:
        continue
    text = text + text[::-1]
    if any(secret in text for secret in secrets):
        found.append(path)
named = [word for path in glob.glob("/proc/*/cmdline") for word in open(path, "rb").read().split(b"\\0")
         if word.endswith(b".json") and b"kernel-" in word]
print(found, [k for k, v in os.environ.items() if any(s in v for s in secrets)], named)
"""


def test_the_parents_keys_and_connection_file_are_out_of_reach(
    sandboxed: CodeExecutor, parent: dict[str, str]
) -> None:
    pids = ", ".join(str(pid) for pid in [os.getpid(), *_pids_of(parent["connection"])])
    code = SEARCH.format(secrets=SECRETS, pids=pids, **parent)
    assert run(sandboxed, code) == "[] [] []"


def test_home_and_the_runtime_folder_are_not_visible(sandboxed: CodeExecutor, parent: dict[str, str]) -> None:
    code = (
        "import os\n"
        f"print([os.path.exists(p) for p in ({parent['home_file']!r}, {parent['runtime']!r})],"
        f" os.path.expanduser('~') == os.getcwd())"
    )
    assert run(sandboxed, code) == "[False, False] True"


def test_a_runtime_folder_inside_the_work_folder_is_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_kernel()
    runtime = tmp_path / "project" / ".jupyter-runtime"
    runtime.mkdir(parents=True)
    (runtime / "kernel-fake-parent.json").write_text(json.dumps({"key": SIGNING_KEY}))
    (tmp_path / "project" / "data.csv").write_text("a,b\n")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    with code_executor(workdir=tmp_path / "project") as executor:
        listing = run(executor, "import os; print(sorted(os.listdir('.')), os.listdir('.jupyter-runtime'))")
    assert listing == "['.jupyter-runtime', 'data.csv'] []"
    assert (runtime / "kernel-fake-parent.json").exists()  # hidden from the code, not removed


def test_the_code_holds_no_capabilities_and_cannot_change_kernel_settings(sandboxed: CodeExecutor) -> None:
    code = """
status = dict(line.split(":\\t") for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
caps = sorted({status[k].strip() for k in ("CapEff", "CapPrm", "CapBnd", "CapAmb")})
setting = "/proc/sys/kernel/printk_ratelimit_burst"
value = open(setting).read()
try:
    with open(setting, "w") as f:  # the same value back: harmless if it succeeds
        f.write(value)
    wrote = "wrote"
except OSError as exc:
    wrote = type(exc).__name__
import os
print(caps, wrote, len([p for p in os.listdir("/proc") if p.isdigit()]) < 10)
"""
    caps, _, rest = run(sandboxed, code).partition("] ")
    assert caps == "['0000000000000000'"
    assert rest.split()[0] in ("OSError", "PermissionError")
    assert rest.endswith("True")  # only the sandbox's own few processes are visible


def test_without_network_the_code_cannot_reach_this_machine(sandboxed: CodeExecutor) -> None:
    assert "no network" in sandboxed.isolation_summary
    with _listening() as port:
        assert run(sandboxed, _connect(port)) == "refused"


def test_with_network_the_code_reaches_this_machine() -> None:
    need_kernel()
    with _listening() as port, code_executor(network=True) as executor:
        assert "with the network" in executor.isolation_summary
        assert run(executor, _connect(port)) == "connected"


def _connect(port: int) -> str:
    return (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=3).close()\n"
        "    print('connected')\n"
        "except OSError:\n"
        "    print('refused')\n"
    )


class _listening:
    """A TCP port listening on 127.0.0.1 for the duration of a ``with`` block."""

    def __enter__(self) -> int:
        self.server = socket.create_server(("127.0.0.1", 0))
        return int(self.server.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.server.close()


def _pids_of(marker: str) -> list[int]:
    import psutil

    return [p.pid for p in psutil.process_iter(["cmdline"]) if marker in (p.info["cmdline"] or [])]
