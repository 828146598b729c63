"""Fuzzed option lines: every line gives a one-line usage or cell error, or a run; never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from agentnb import Agent, Team, TeamResult, models, tool
from agentnb.core.errors import AgentnbError
from agentnb.notebook import magics

CELL = "writer: You write.\neditor: You edit. tools=word_count\n---\nWrite about parks."
AGENTTEAM_WORDS = [
    "--model", "--mode", "--max-turns", "--until", "--tools", "--human", "--out", "--record", "--replay",
    "--no-stream", "--quiet", "my_team", "scripted:newsroom", "auto:3", "round_robin", "selector", "3",
    "-1", "word_count", "alice", "'", '"', "''", "\\", "=", "--until=", "--max-turns=2",
]  # fmt: skip
AGENTNB_WORDS = ["status", "model", "auto:2", "scripted:newsroom", "nope:x", "'", '"', "''", "-", "--x"]
ODD_TEXT = st.text(alphabet=st.sampled_from("aZ09_-:=,.'\"\\ {}#$\t/é"), max_size=12)


def lines(words: list[str]) -> st.SearchStrategy[str]:
    """Lines of known option words mixed with odd text, and wholly odd lines."""
    word = st.one_of(st.sampled_from(words), ODD_TEXT)
    return st.one_of(st.lists(word, max_size=8).map(" ".join), ODD_TEXT)


@tool
def word_count(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())


def shown_as_one_line(call: Any) -> str:
    """Call a magic; 'ran', or the kind of one-line error it raised (anything else fails the test)."""
    try:
        call()
    except (UsageError, AgentnbError) as exc:
        return type(exc).__name__
    return "ran"


@pytest.fixture
def quiet_runs(ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> InteractiveShell:
    """The magic up to the run; the run itself is stubbed (its errors are tested elsewhere)."""
    monkeypatch.chdir(tmp_path)  # a fuzzed --record path lands here
    monkeypatch.setattr(magics, "run_blocking", lambda team, task: TeamResult(task=task, messages=[]))
    model = models.ScriptedModel({"a": ["hi"]})
    ip.user_ns.update(word_count=word_count, my_team=Team([Agent("a")], model=model, max_turns=1))
    return ip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=lines(AGENTTEAM_WORDS))
def test_any_agentteam_option_line_is_a_usage_error_or_a_run(quiet_runs: InteractiveShell, line: str) -> None:
    assert shown_as_one_line(lambda: quiet_runs.run_cell_magic("agentteam", line, CELL)) in (
        "ran",
        "UsageError",
        "CellError",
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=lines(AGENTNB_WORDS))
def test_any_agentnb_line_is_a_usage_error_or_a_status(ip: InteractiveShell, line: str) -> None:
    try:
        assert shown_as_one_line(lambda: ip.run_line_magic("agentnb", line)) in ("ran", "UsageError")
    finally:
        models.set_default(None)
