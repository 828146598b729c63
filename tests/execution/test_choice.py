"""Isolation is the default; where it is unavailable the executor refuses and says how to opt out."""

from __future__ import annotations

import asyncio
import html
import sys
from pathlib import Path

import pytest

from agentnb import Agent, Human, Team
from agentnb.execution import IsolationUnavailable, Limits, bubblewrap, code_executor
from agentnb.execution.isolation import IsolationName
from agentnb.models import ScriptedModel
from agentnb.models.scripted import call
from agentnb.views.chat import render_html, render_markdown, render_text
from tests.conftest import require
from tests.execution.conftest import HAS_KERNEL, need_bubblewrap, need_kernel


def test_without_bubblewrap_the_executor_refuses_and_names_the_opt_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require(HAS_KERNEL, "jupyter_client and ipykernel (code execution)")
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    with pytest.raises(IsolationUnavailable) as refused:
        code_executor()
    message = str(refused.value)
    assert "bubblewrap program (bwrap) is not installed" in message
    assert "apt install bubblewrap" in message
    assert "code_executor(isolation='none')" in message


def test_off_linux_the_reason_is_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    reason = bubblewrap.unavailable_reason()
    assert reason is not None and reason.startswith("bubblewrap needs Linux")


def test_isolation_none_runs_unisolated_when_asked_and_still_allowlists_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require(HAS_KERNEL, "jupyter_client and ipykernel (code execution)")
    monkeypatch.setenv("DATABASE_URL", "postgres://app:planted-db-password@db/app")
    with code_executor(isolation="none") as executor:
        assert executor.isolation == "none"
        assert executor.isolation_summary.startswith("UNISOLATED (isolation='none')")
        code = "import os; print('DATABASE_URL' in os.environ, os.path.exists('/proc/1/environ'))"
        assert asyncio.run(executor(code)).text == "False True"


def test_the_isolation_in_force_is_named_for_the_approval_box() -> None:
    need_kernel()
    executor = code_executor(limits=Limits(memory_mb=2048, processes=64))
    assert executor.isolation == "bubblewrap"
    summary = executor.isolation_summary
    assert summary.startswith("isolated with bubblewrap") and "no network" in summary
    assert "2,048 MB of memory" in summary and "600 s of CPU" in summary


WHERE_IT_RUNS = {
    "bubblewrap": "The code runs isolated with bubblewrap: sees only its work folder (read-write)",
    "none": "The code runs UNISOLATED (isolation='none'): with your user's rights, it can read your files",
}


@pytest.mark.parametrize("isolation", WHERE_IT_RUNS)
def test_every_approval_of_a_call_says_where_its_code_runs(isolation: IsolationName) -> None:
    require(HAS_KERNEL, "jupyter_client and ipykernel (code execution)")
    if isolation == "bubblewrap":
        need_bubblewrap()
    executor = code_executor(isolation=isolation)  # no kernel starts: every call is rejected or waits
    script = {"coder": [call("run_python", code="print(1)"), "Done."]}
    asked: list[str] = []
    human = Human("boss", input_fn=lambda prompt: asked.append(prompt) or "n")
    Team([Agent("coder", tools=[executor]), human], model=ScriptedModel(script), max_turns=1).run_sync("go")
    header, code, note, question = asked[0].splitlines()
    assert (header, code, question) == (
        "coder wants to run run_python() with this code:",
        "    print(1)",
        "Approve? [y/N] ",
    )
    assert note.startswith(WHERE_IT_RUNS[isolation]) and note == f"The code runs {executor.isolation_summary}"
    waiting = Team(
        [Agent("coder", tools=[executor])], model=ScriptedModel(script), approver="later", max_turns=1
    )
    events = waiting.run_sync("go").messages
    assert f"coder asks to run run_python: waiting for approval. {note}" in render_text(events)
    assert html.escape(f"waiting for approval. {note}") in render_html(events)
    assert ("UNISOLATED" if isolation == "none" else "isolated with bubblewrap") in render_markdown(events)


def test_bad_choices_are_refused_with_the_fix() -> None:
    require(HAS_KERNEL, "jupyter_client and ipykernel (code execution)")
    with pytest.raises(ValueError, match="isolation must be one of 'auto', 'bubblewrap', 'none'"):
        code_executor(isolation="docker")
    with pytest.raises(ValueError, match="limits need isolation"):
        code_executor(isolation="none", limits=Limits())
    with pytest.raises(ValueError, match="processes must be a positive whole number"):
        Limits(processes=0)


def test_a_work_folder_holding_your_home_is_refused() -> None:
    need_kernel()
    with pytest.raises(ValueError, match="holds your home folder"):
        code_executor(workdir=Path.home())
