"""%%agentteam and %agentnb in an IPython shell (no kernel: the chat falls back to the result)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from agentnb import Agent, Human, Team, TeamResult, models, tool
from agentnb.core.events import TextMessage, ToolResult
from agentnb.notebook import magics
from agentnb.notebook.parse import CellError

CELL = """writer: You write drafts.
checker: You check drafts. tools=word_count
editor: You edit. Reply APPROVED when done.
---
Write about {topic}.
"""


@tool
def word_count(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())


def speakers(result: TeamResult) -> list[str]:
    return [m.source for m in result.chat()]


def run(ip: InteractiveShell, line: str, cell: str) -> Any:
    return ip.run_cell_magic("agentteam", line, cell)


@pytest.fixture
def ns(ip: InteractiveShell) -> dict[str, Any]:
    ip.user_ns.update(topic="the park vote", word_count=word_count)
    return ip.user_ns


def test_declarative_cell_runs_its_agents_until_the_stop_text(
    ip: InteractiveShell, ns: dict[str, Any], script: str
) -> None:
    result = run(ip, f"--model {script} --until APPROVED", CELL)
    assert isinstance(result, TeamResult)
    assert result.task == "Write about the park vote."
    assert speakers(result) == ["user", "writer", "checker", "editor", "writer", "checker", "editor"]
    assert result.final == "APPROVED" and "APPROVED" in result.stop_reason
    tool_results = [m for m in result.messages if isinstance(m, ToolResult)]
    assert [(r.name, r.content, r.is_error) for r in tool_results] == [("word_count", "2", False)]


def test_result_becomes_underscore_and_out_variable(
    ip: InteractiveShell, ns: dict[str, Any], script: str
) -> None:
    outcome = ip.run_cell(f"%%agentteam --model {script} --until APPROVED --out story\n{CELL}")
    assert outcome.success
    assert isinstance(outcome.result, TeamResult)
    assert ns["_"] is outcome.result and ns["story"] is outcome.result


def test_quiet_returns_nothing_but_keeps_the_result_in_out(
    ip: InteractiveShell, ns: dict[str, Any], script: str
) -> None:
    assert run(ip, f"--model {script} --until APPROVED --quiet --out story", CELL) is None
    assert ns["story"].final == "APPROVED"


def test_max_turns_mode_and_until_options_shape_the_team(
    ip: InteractiveShell, ns: dict[str, Any], script: str
) -> None:
    assert run(ip, f"--model {script} --max-turns 2", CELL).turns == 2
    sequential = run(ip, f"--model {script} --mode sequential", CELL)
    assert speakers(sequential) == ["user", "writer", "checker", "editor"]
    early = run(ip, f"--model {script} --until REVISE", CELL)
    assert early.final == "REVISE please"


def test_tools_option_gives_every_agent_the_named_functions(
    ip: InteractiveShell, ns: dict[str, Any], tmp_path: Path
) -> None:
    def shout(text: str) -> str:
        """Upper-case a text."""
        return text.upper()

    ns["shout"] = shout
    spec = tmp_path / "s.json"
    spec.write_text('{"a": [{"tool": "shout", "args": {"text": "hi"}}, "done"]}')
    result = run(ip, f"--model scripted:{spec} --max-turns 1 --tools shout", "a: You shout.\n---\ngo")
    assert [m.content for m in result.messages if isinstance(m, ToolResult)] == ["HI"]


def test_per_agent_model_attribute_overrides_the_team_model(ip: InteractiveShell, ns: dict[str, Any]) -> None:
    result = run(ip, "--model scripted:newsroom --max-turns 1", "writer: x model=auto:7\n---\ngo")
    reply = result.chat()[-1]
    assert reply.model is not None and reply.model.startswith("auto")


def test_named_form_runs_a_notebook_team_with_the_body_as_task(
    ip: InteractiveShell, ns: dict[str, Any]
) -> None:
    model = models.ScriptedModel({"a": ["one", "two"], "b": ["three", "four"]})
    ns["my_team"] = Team([Agent("a", "A"), Agent("b", "B")], model=model, max_turns=2)
    first = run(ip, "my_team", "Start with {topic}.\n")
    assert first.task == "Start with the park vote."
    assert [m.content for m in first.chat()] == ["Start with the park vote.", "one", "three"]
    follow_up = run(ip, "my_team", "\n")  # a blank body continues the conversation
    assert follow_up.task is None and [m.content for m in follow_up.chat()] == ["two", "four"]


def test_human_option_adds_a_person_who_answers(
    ip: InteractiveShell, ns: dict[str, Any], script: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("builtins.input", lambda prompt: "Looks good to me")
    result = run(ip, f"--model {script} --max-turns 4 --human alice", CELL)
    assert speakers(result)[1:] == ["writer", "checker", "editor", "alice"]
    assert result.chat()[-1].content == "Looks good to me"


def test_human_option_names_a_human_of_a_named_team(ip: InteractiveShell, ns: dict[str, Any]) -> None:
    ns["t"] = Team([Agent("a"), Human("bob")], model=models.ScriptedModel({"a": ["hi"]}), max_turns=1)
    with pytest.raises(UsageError, match="no Human called 'carol'"):
        run(ip, "t --human carol", "go")


def test_record_then_replay_gives_the_same_transcript(
    ip: InteractiveShell, ns: dict[str, Any], script: str, tmp_path: Path
) -> None:
    cassette = tmp_path / "run.json"
    recorded = run(ip, f"--model {script} --until APPROVED --record {cassette}", CELL)
    assert cassette.exists()
    replayed = run(ip, f"--replay {cassette} --until APPROVED", CELL)
    assert [m.content for m in replayed.chat()] == [m.content for m in recorded.chat()]


def test_config_model_is_used_when_a_cell_names_none(
    ip: InteractiveShell, ns: dict[str, Any], script: str
) -> None:
    ip.run_line_magic("config", f"AgentTeam.model = {script!r}")
    try:
        assert run(ip, "--until APPROVED", CELL).final == "APPROVED"
    finally:
        ip.run_line_magic("config", "AgentTeam.model = ''")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--bogus", "unrecognized arguments: --bogus"),
        ("--mode graph", "invalid choice: 'graph'"),
        ("--max-turns many", "invalid int value"),
        ("--max-turns 0", "expected a positive number"),
        ("--out 1x", "not a variable name"),
        ("--record a.json --replay b.json", "exclude each other"),
        ("--replay b.json --model auto", "drop --model"),
        ("--tools missing_fn", "--tools: no variable 'missing_fn'"),
        ("--model nope:x", "--model: model spec 'nope:x'"),
        ("--until ''", "--until is empty; give it a value, e.g. --until APPROVED"),
        ("--replay ''", "--replay is empty"),
        ("--model ' '", "--model is empty"),
        ("--until 'ALL DONE", "No closing quotation in the options --until 'ALL DONE: close the quote"),
        ("''", "'' is not a variable name"),
    ],
)
def test_bad_options_are_usage_errors(
    ip: InteractiveShell, ns: dict[str, Any], line: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        run(ip, line, CELL)


def test_named_team_errors_are_usage_errors(ip: InteractiveShell, ns: dict[str, Any]) -> None:
    ns["t"] = Team([Agent("a")], model=models.ScriptedModel({"a": ["x"]}))
    ns["an_agent"] = Agent("solo")
    with pytest.raises(UsageError, match="no variable 'nobody'"):
        run(ip, "nobody", "task")
    with pytest.raises(UsageError, match="not an agentnb Team; wrap it"):
        run(ip, "an_agent", "task")
    with pytest.raises(UsageError, match="--model, --max-turns shape a team declared in the cell"):
        run(ip, "t --model auto --max-turns 3", "task")


def test_malformed_body_reports_line_number_line_and_expectation(
    ip: InteractiveShell, ns: dict[str, Any]
) -> None:
    with pytest.raises(CellError) as caught:
        run(ip, "", "writer: ok\neditor - edits\n---\ntask")
    assert str(caught.value).startswith(
        "line 3: 'editor - edits': if this is an agent, write ':' after its name, not '-' ('editor: edits')"
    )


def test_unknown_tool_in_body_names_its_line(ip: InteractiveShell, ns: dict[str, Any]) -> None:
    with pytest.raises(CellError, match=r"line 3: .*tools=nope: no variable 'nope'"):
        run(ip, "--model scripted:newsroom", "a: x\nb: y tools=nope\n---\nt")


def test_unknown_interpolation_name_is_a_clear_error(ip: InteractiveShell, ns: dict[str, Any]) -> None:
    with pytest.raises(
        CellError, match=r"line 5: 'About \{nothing_here\}': \{nothing_here\} names no variable"
    ):
        run(ip, "--model scripted:newsroom", "a: x\nb: y\n---\nAbout {nothing_here}")


def test_braces_in_code_reach_the_agents_unchanged(ip: InteractiveShell, ns: dict[str, Any]) -> None:
    task = 'Fix: def f(d): return {"k": d}  # {topic}'
    result = run(ip, "--model scripted:newsroom --max-turns 1", f"writer: x\n---\n{task}")
    assert result.task == 'Fix: def f(d): return {"k": d}  # the park vote'


def test_errors_show_one_line_in_the_shell(
    ip: InteractiveShell, ns: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    ip.run_cell("%%agentteam --model scripted:newsroom\nwriter - bad\n---\nt")
    ip.run_cell("%%agentteam --bogus\nw: x\n---\nt")
    ip.run_cell("%%agentteam --until 'ALL DONE\nw: x\n---\nt")
    err = capsys.readouterr()
    shown = err.out + err.err
    assert "CellError: line 2: 'writer - bad'" in shown and "UsageError: unrecognized arguments" in shown
    assert "UsageError: No closing quotation" in shown
    assert "Traceback" not in shown


def test_help_documents_the_grammar_and_options(ip: InteractiveShell) -> None:
    doc = ip.find_cell_magic("agentteam").__doc__
    for part in (
        "writer: You write",
        "``name:``",
        "---",
        "{name}",
        "{{name}}",
        "--until",
        "--human",
        "--record",
        "--no-stream",
    ):
        assert part in doc


def test_agentnb_status_says_which_model_and_why(
    ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTNB_MODEL", "scripted:newsroom")
    text = str(ip.run_line_magic("agentnb", ""))
    assert "scripted:newsroom — the AGENTNB_MODEL environment variable" in text
    assert "ipykernel" in text and "text only: no kernel" in text


def test_agentnb_model_sets_the_default(ip: InteractiveShell) -> None:
    status = ip.run_line_magic("agentnb", "model auto:5")
    assert models.describe_default().spec == "auto:5"
    assert "auto:5 — set explicitly" in str(status)
    with pytest.raises(UsageError, match="unknown kind of model"):
        ip.run_line_magic("agentnb", "model nope:x")
    with pytest.raises(UsageError, match="usage: %agentnb"):
        ip.run_line_magic("agentnb", "status extra")


def test_live_chat_is_used_in_a_kernel_unless_no_stream(
    ip: InteractiveShell, ns: dict[str, Any], script: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bool] = []

    def fake_chat(shell: Any, team: Team, task: str | None, **kwargs: Any) -> TeamResult:
        calls.append(team.stream_tokens)
        return team.run_sync(task)

    monkeypatch.setattr(magics, "live_chat_available", lambda shell: True)
    monkeypatch.setattr(magics, "run_with_chat", fake_chat)
    run(ip, f"--model {script} --max-turns 1", CELL)
    assert calls == [True]
    no_stream = run(ip, f"--model {script} --max-turns 1 --no-stream", CELL)
    assert calls == [True] and no_stream.turns == 1
    with pytest.raises(UsageError, match="answers in the live chat"):
        run(ip, f"--model {script} --no-stream --human alice", CELL)


def test_unload_removes_the_magics(ip: InteractiveShell) -> None:
    ip.run_line_magic("unload_ext", "agentnb")
    assert ip.find_cell_magic("agentteam") is None and ip.find_line_magic("agentnb") is None
    assert not any(type(c).__name__ == "AgentTeam" for c in ip.configurables)
    ip.run_line_magic("load_ext", "agentnb")
    assert ip.find_cell_magic("agentteam") is not None


def test_import_agentnb_loads_no_jupyter_code() -> None:
    jupyter = "('IPython', 'ipywidgets', 'ipykernel')"
    code = f"import sys, agentnb; print(sorted(m for m in sys.modules if m.split('.')[0] in {jupyter}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_messages_of_the_result_are_text_messages(
    ip: InteractiveShell, ns: dict[str, Any], script: str
) -> None:
    result = run(ip, f"--model {script} --max-turns 1", CELL)
    assert all(isinstance(m, TextMessage) for m in result.chat())


def test_quoted_option_values_lose_their_quotes(
    ip: InteractiveShell, ns: dict[str, Any], tmp_path: Path
) -> None:
    script = tmp_path / "two words.json"
    script.write_text('{"writer": ["draft"], "editor": ["ALL DONE here"]}')
    cell = "writer: You write.\neditor: You edit.\n---\nGo."
    result = run(ip, f'--model "scripted:{script}" --until "ALL DONE" --max-turns 5', cell)
    assert result.stop_reason == "editor said 'ALL DONE'"
    assert run(ip, f"--model='scripted:{script}' --mode 'sequential'", cell).turns == 2


def test_an_unclosed_quote_in_agentnb_is_a_usage_error(ip: InteractiveShell) -> None:
    with pytest.raises(UsageError, match="No closing quotation in the options model 'auto"):
        ip.run_line_magic("agentnb", "model 'auto")


def test_in_plan_mode_a_planner_line_declares_the_planner(
    ip: InteractiveShell, ns: dict[str, Any], tmp_path: Path
) -> None:
    import json

    draft = {"steps": [{"id": "a", "description": "do a", "assignee": "worker", "depends_on": []}]}
    script = tmp_path / "plan.json"
    script.write_text(json.dumps({"planner": [{"json": draft}], "worker": ["a done"]}))
    cell = "planner: You plan carefully, in small steps.\nworker: You do the work.\n---\nDo it."
    result = run(ip, f"--mode plan --model scripted:{script}", cell)
    assert [e.source for e in result.messages if e.type == "plan"] == ["planner"]
    assert result.participants == ["worker"]
    assert result.final == "a done"


def test_store_writes_a_declared_cells_run_to_a_run_store(
    ip: InteractiveShell, ns: dict[str, Any], script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentnb.store import open_store

    path = tmp_path / "runs.db"
    result = run(ip, f"--model {script} --until APPROVED --store {path}", CELL)
    [stored] = open_store(str(path)).runs()
    assert stored.events == len(result.messages) and stored.stop_reason == result.stop_reason
    ns["desk"] = Team([Agent("writer")], model=script)
    with pytest.raises(UsageError, match="--store shape a team declared in the cell"):
        run(ip, f"desk --store {path}", "Write.")
    with pytest.raises(UsageError, match="--store is empty"):
        run(ip, "--store ''", CELL)
    monkeypatch.chdir(tmp_path)
    run(ip, f"--model {script} --until APPROVED --store", CELL)  # alone: runs.db in the folder
    assert len(open_store(str(tmp_path / "runs.db")).runs()) == 2
