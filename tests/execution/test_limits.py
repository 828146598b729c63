"""One cell cannot exhaust a shared machine: memory, file size, processes and CPU time are bounded.

The limits are set low so these attacks stay harmless here; the model reads which limit it met.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from agentnb.execution import CodeExecutor, Limits, code_executor
from agentnb.execution.bubblewrap import pid_max_for
from agentnb.execution.isolation import hint
from tests.conftest import require
from tests.execution.conftest import need_kernel

LIMITS = Limits(memory_mb=1200, file_mb=5, processes=32, cpu_seconds=600)


@pytest.fixture(scope="module")
def limited() -> Iterator[CodeExecutor]:
    need_kernel()
    with code_executor(timeout=30, limits=LIMITS) as executor:
        yield executor


def test_a_file_larger_than_the_limit_cannot_be_written(limited: CodeExecutor) -> None:
    code = "with open('big.bin', 'wb') as f:\n    f.write(b'x' * 20_000_000)"
    result = asyncio.run(limited(code))
    assert result.is_error and "File too large" in result.text
    assert "at most 5 MB each" in result.text
    workdir = limited.sandbox.workdir
    assert workdir is not None and (workdir / "big.bin").stat().st_size <= 5 * 1024 * 1024


FORKS = """
import subprocess
children, stopped = [], None
try:
    while len(children) < 400:
        children.append(subprocess.Popen(["sleep", "60"]))
except OSError as exc:
    stopped = type(exc).__name__
for child in children:
    child.kill()
    child.wait()
print(len(children), stopped)
"""


def test_processes_stop_at_the_limit(limited: CodeExecutor) -> None:
    root = os.geteuid() == 0
    bound = pid_max_for(LIMITS)
    require(not root or bound is not None, "Linux 6.14 or later and nsenter (a process limit as root)")
    started, stopped = asyncio.run(limited(FORKS)).text.split()
    assert stopped == "BlockingIOError"
    assert int(started) < (bound if root and bound is not None else LIMITS.processes)
    assert asyncio.run(limited("print('still here')")).text == "still here"


def test_a_memory_hog_gets_a_clear_error_and_a_fresh_kernel(limited: CodeExecutor) -> None:
    asyncio.run(limited("kept = 1"))
    hog = asyncio.run(limited("hog = bytearray(2_000_000_000)"))
    assert hog.is_error and "MemoryError" in hog.text
    assert "ran out of memory (the sandbox's limit is 1,200 MB per process)" in hog.text
    assert "kernel was restarted" in hog.text
    assert asyncio.run(limited("'kept' in globals()")).text == "False"


def test_cpu_time_past_the_limit_stops_the_kernel_and_the_next_call_starts_afresh() -> None:
    need_kernel()
    with code_executor(timeout=20, limits=Limits(cpu_seconds=3)) as executor:
        spin = asyncio.run(executor("while True:\n    pass"))
        assert spin.is_error and "CPU time limit of 3 s" in spin.text
        assert asyncio.run(executor("print('fresh')")).text == "fresh"


def test_the_model_is_told_which_limit_an_error_probably_met() -> None:
    fork = "BlockingIOError: [Errno 11] Resource temporarily unavailable\n---> 3 self.pid = _fork_exec("
    socket_read = "BlockingIOError: [Errno 11] Resource temporarily unavailable\n---> 1 s.recv(10)"
    assert hint(fork, LIMITS) == "The sandbox runs at most 32 processes and threads at once."
    assert hint("RuntimeError: can't start new thread", LIMITS).startswith("The sandbox runs at most 32")
    too_large = "OSError: [Errno 27] File too large"
    assert hint(too_large, LIMITS) == "The sandbox's files may be at most 5 MB each."
    assert hint(socket_read, LIMITS) == ""
    assert hint(too_large, None) == ""  # unisolated: no limit to name
