"""A sandbox keeps nothing running: restart and close() end the kernel, all it started, and its files."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from agentnb.execution import code_executor
from tests.execution.conftest import need_kernel, sandbox_processes
from tests.processes import gone

STARTS_CHILDREN = """
import os, subprocess
child = subprocess.Popen(["sleep", "300"])
detached = subprocess.Popen(["sleep", "301"], start_new_session=True)
open("note.txt", "w").write("hi")
print(os.getcwd())
"""
DETACHED = "import subprocess; subprocess.Popen(['sleep', '302'], start_new_session=True); print('started')"
STUBBORN = """
import time
while True:
    try:
        time.sleep(0.1)
    except BaseException:
        pass
"""


def test_close_ends_the_kernel_its_children_and_removes_its_working_directory() -> None:
    need_kernel()
    executor = code_executor()
    workdir = asyncio.run(executor(STARTS_CHILDREN)).text.strip()
    kernel = executor.sandbox.pid
    assert kernel is not None
    children = sandbox_processes(executor, "sleep")
    assert len(children) == 2
    assert Path(workdir) == executor.sandbox.workdir and (Path(workdir) / "note.txt").exists()
    assert Path(workdir).name == "work" and Path(workdir).parent.name.startswith("agentnb-sandbox-")
    executor.close()
    assert gone(kernel) and all(gone(child.pid) for child in children)
    assert not Path(workdir).parent.exists()
    assert executor.sandbox.pid is None


def test_a_detached_child_dies_when_the_time_limit_restarts_the_kernel_and_on_close() -> None:
    need_kernel()
    with code_executor(timeout=1) as executor:
        executor.sandbox.interrupt_grace = 1
        asyncio.run(executor(DETACHED))
        [before_restart] = sandbox_processes(executor, "sleep")
        restarted = asyncio.run(executor(STUBBORN))
        assert restarted.is_error and "restarted" in restarted.text
        assert gone(before_restart.pid)
        asyncio.run(executor(DETACHED))
        [before_close] = sandbox_processes(executor, "sleep")
    assert gone(before_close.pid)


def test_a_closed_executor_starts_a_fresh_kernel_at_the_next_call() -> None:
    need_kernel()
    with code_executor() as executor:
        asyncio.run(executor("x = 1"))
        first = executor.sandbox.pid
        executor.close()
        again = asyncio.run(executor("x"))
        assert again.is_error and "NameError" in again.text
        assert executor.sandbox.pid not in (None, first)


def test_the_kernel_ends_with_the_interpreter_even_without_close(tmp_path: Path) -> None:
    need_kernel()
    script = (
        "import asyncio, json\n"
        "from agentnb.execution import code_executor\n"
        "run_python = code_executor()\n"
        'detach = \'import subprocess; subprocess.Popen(["sleep", "303"], start_new_session=True)\'\n'
        "asyncio.run(run_python(detach))\n"
        "import psutil\n"
        "kids = [p.pid for p in psutil.Process(run_python.sandbox.pid).children(recursive=True)]\n"
        "print(json.dumps([run_python.sandbox.pid, kids, str(run_python.sandbox.root)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path, check=True
    )
    pid, kids, root = json.loads(done.stdout.strip().splitlines()[-1])
    assert gone(pid) and kids and all(gone(kid) for kid in kids)
    assert not Path(root).exists()


def test_the_kernel_of_a_team_run_ends_with_the_run() -> None:
    from agentnb import Agent, Team
    from agentnb.models import ScriptedModel
    from agentnb.models.scripted import call

    need_kernel()
    executor = code_executor()
    kernels: list[int | None] = []

    def approve_and_note_the_kernel(agent: str, tool_call: object) -> bool:
        kernels.append(executor.sandbox.pid)
        return True

    script = {"coder": [call(executor.name, code="x = 1"), call(executor.name, code="x"), "done"]}
    team = Team(
        [Agent("coder", tools=[executor], model=ScriptedModel(script))],
        approver=approve_and_note_the_kernel,
        max_turns=1,
    )
    team.run_sync("run it")
    kernel = kernels[-1]  # the first call started the kernel
    assert kernel is not None and gone(kernel)
    assert executor.sandbox.pid is None
