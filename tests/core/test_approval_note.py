"""A tool's approval note (a code executor's: where its code runs) reaches every approval the
person reads: the terminal prompt, an approver function, a decision left for later, a saved run."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from agentnb import Agent, Human, Team, tool
from agentnb.core.events import ApprovalRequested, ToolCall, event_from_json, event_to_json
from agentnb.core.untrusted import approval_text
from agentnb.models import ScriptedModel
from agentnb.models.scripted import call
from agentnb.views.chat import render_html, render_markdown, render_text

NOTE = "The code runs in a test sandbox: no network"


@tool(requires_approval=True, approval_note=NOTE, blocking=False)
def run_python(code: str) -> str:
    """Run Python."""
    return f"ran {code}"


def coder_team(**options: Any) -> Team:
    model = ScriptedModel({"coder": [call("run_python", code="print(1)"), "Done."]})
    return Team([Agent("coder", tools=[run_python])], model=model, max_turns=1, **options)


def test_the_terminal_prompt_shows_the_note_below_the_code_and_above_the_question() -> None:
    asked: list[str] = []
    human = Human("boss", input_fn=lambda prompt: asked.append(prompt) or "n")
    call_ = ToolCall(id="1", name="run_python", arguments=json.dumps({"code": "x = 1"}), note=NOTE)
    approved, _ = asyncio.run(human.approve("coder", call_))
    assert approved is False
    assert asked == [f"coder wants to run run_python() with this code:\n    x = 1\n{NOTE}\nApprove? [y/N] "]


def test_the_note_comes_before_the_hidden_character_warning() -> None:
    call_ = ToolCall(id="1", name="send", arguments='{"to": "bob\\u200b@example.com"}', note=NOTE)
    lines = approval_text("coder", call_).splitlines()
    assert lines[0] == 'coder wants to run send({"to": "bob⟦U+200B⟧@example.com"})'
    assert lines[1] == NOTE and "ZERO WIDTH SPACE" in lines[2]


def test_a_call_without_a_note_reads_as_before() -> None:
    call_ = ToolCall(id="1", name="send", arguments='{"to": "bob@example.com"}')
    assert approval_text("coder", call_) == 'coder wants to run send({"to": "bob@example.com"})'


def test_an_approver_function_is_asked_with_the_tools_note() -> None:
    seen: list[ToolCall] = []
    coder_team(approver=lambda agent, asked: seen.append(asked) or True).run_sync("go")
    assert [c.note for c in seen] == [NOTE]


def test_a_decision_left_for_later_records_the_note_and_shows_it_where_people_decide() -> None:
    team = coder_team(approver="later")
    result = team.run_sync("go")
    asked = next(e for e in result.messages if isinstance(e, ApprovalRequested))
    assert asked.note == NOTE
    (waiting,) = team.pending()
    assert waiting.call is not None and waiting.call.note == NOTE
    assert str(waiting).endswith(f"\n{NOTE}")


def test_the_rendered_approval_request_says_what_the_tool_noted() -> None:
    result = coder_team(approver="later").run_sync("go")
    expected = f"coder asks to run run_python: waiting for approval. {NOTE}"
    assert expected in render_text(result.messages)
    assert "coder asks to run run\\_python: waiting for approval. The code runs in a test sandbox" in (
        render_markdown(result.messages)
    )
    assert expected in render_html(result.messages)


def test_the_note_survives_a_save_and_a_request_saved_without_one_still_loads() -> None:
    asked = ApprovalRequested(source="coder", call_id="1", tool="run_python", note=NOTE)
    assert event_from_json(event_to_json(asked)).note == NOTE
    saved = json.loads(event_to_json(asked))
    del saved["note"]  # as written before notes existed
    old = event_from_json(json.dumps(saved))
    assert old.note == "" and render_text([old]) == "  ? coder asks to run run_python: waiting for approval\n"
