"""A sandbox keeps nothing running: close() ends the kernel, what it started, and its files."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from agentnb.execution import code_executor
from tests.execution.conftest import gone, need_kernel

STARTS_A_CHILD = """
import os, subprocess
child = subprocess.Popen(["sleep", "300"])
open("note.txt", "w").write("hi")
print(os.getcwd(), child.pid)
"""


def test_close_ends_the_kernel_its_children_and_removes_its_working_directory() -> None:
    need_kernel()
    executor = code_executor()
    output = asyncio.run(executor(STARTS_A_CHILD))
    workdir, child = output.text.split()
    kernel = executor.sandbox.pid
    assert kernel is not None
    assert Path(workdir) == executor.sandbox.workdir and (Path(workdir) / "note.txt").exists()
    assert Path(workdir).name == "work" and Path(workdir).parent.name.startswith("agentnb-sandbox-")
    executor.close()
    assert gone(kernel) and gone(int(child))
    assert not Path(workdir).parent.exists()
    assert executor.sandbox.pid is None


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
        "asyncio.run(run_python('print(1)'))\n"
        "print(json.dumps([run_python.sandbox.pid, str(run_python.sandbox.root)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path, check=True
    )
    pid, root = json.loads(done.stdout.strip().splitlines()[-1])
    assert gone(pid)
    assert not Path(root).exists()


def test_the_kernel_of_a_team_run_ends_with_the_run() -> None:
    from agentnb import Agent, Team
    from agentnb.models import ScriptedModel
    from agentnb.models.scripted import call

    need_kernel()
    executor = code_executor()
    script = {"coder": [call(executor.name, code="import os; print(os.getpid())"), "done"]}
    team = Team(
        [Agent("coder", tools=[executor], model=ScriptedModel(script))],
        approver=lambda agent, tool_call: True,
        max_turns=1,
    )
    result = team.run_sync("run it")
    kernel = int(next(e.content for e in result.messages if e.type == "tool_result").split()[-1])
    assert gone(kernel)
    assert executor.sandbox.pid is None
