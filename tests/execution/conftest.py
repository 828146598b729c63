"""Fixtures for code execution: a shared sandbox tool and a team whose scripted coder calls it."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psutil
import pytest

from agentnb import Agent, Team
from agentnb.core.events import ToolResult
from agentnb.core.result import TeamResult
from agentnb.execution import CodeExecutor, code_executor
from agentnb.execution.bubblewrap import unavailable_reason
from agentnb.models import ScriptedModel
from agentnb.models.scripted import call
from tests.conftest import require

HAS_KERNEL = all(importlib.util.find_spec(name) for name in ("jupyter_client", "ipykernel"))


def need_kernel() -> None:
    """Kernels run isolated by default: both a kernel and bubblewrap are needed."""
    require(HAS_KERNEL, "jupyter_client and ipykernel (code execution)")
    need_bubblewrap()


def need_bubblewrap() -> None:
    reason = unavailable_reason()
    require(reason is None, f"bubblewrap for isolated code execution ({reason})")


def sandbox_processes(executor: CodeExecutor, name: str) -> list[psutil.Process]:
    """The processes called ``name`` that the executor's kernel runs, seen from outside its namespaces."""
    pid = executor.sandbox.pid
    assert pid is not None
    return [p for p in psutil.Process(pid).children(recursive=True) if p.name() == name]


@pytest.fixture(scope="module")
def run_python(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CodeExecutor]:
    """One executor (one kernel) shared by a module's tests, closed at its end.

    matplotlib keeps its caches in a temporary folder, not in the home directory.
    """
    need_kernel()
    mpl = tmp_path_factory.mktemp("matplotlib")
    with code_executor(timeout=30, env={"MPLCONFIGDIR": str(mpl)}) as executor:
        yield executor


def approve_all(agent: str, tool_call: Any) -> bool:
    return True


def results(result: TeamResult) -> list[ToolResult]:
    return [e for e in result.messages if isinstance(e, ToolResult)]


def run_code(
    executor: CodeExecutor,
    codes: Sequence[str],
    *,
    approver: Callable[..., Any] = approve_all,
    then: str = "Done.",
) -> TeamResult:
    """A team where a scripted coder runs each of ``codes`` in turn, then a reviewer speaks."""
    coder = Agent(
        "coder",
        model=ScriptedModel({"coder": [*(call(executor.name, code=c) for c in codes), then]}),
        tools=[executor],
        max_failures=len(codes) + 1,
        max_tool_iterations=len(codes) + 1,
    )
    reviewer = Agent("reviewer", model=ScriptedModel({"reviewer": ["Reviewed."]}))
    return Team([coder, reviewer], max_turns=2, approver=approver).run_sync("Run the code.")
