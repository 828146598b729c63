"""Approving code in the chat: the proposed code shows in a box; Edit, then Approve, runs the edit."""

from __future__ import annotations

import asyncio
import html
import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from agentnb import Agent, Human, Team, models, tool
from agentnb.core.events import Approval, ToolCall, ToolCalls, ToolResult
from agentnb.notebook.bridge import Ask, HumanBridge
from agentnb.notebook.widget import ChatWidget

CALL = ToolCall(id="1", name="run_python", arguments=json.dumps({"code": "print('original')"}))


def visible(widget: Any) -> bool:
    return widget.layout.display != "none"


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in a thread, like the team's worker loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


@pytest.fixture
def chat() -> Iterator[ChatWidget]:
    widget = ChatWidget("agentnb · team t")
    yield widget
    widget.dispose()


def asked(chat: ChatWidget, loop: asyncio.AbstractEventLoop, call: ToolCall = CALL) -> Ask:
    """Show an approval request for ``call`` and return it (its answer is awaited with `answer_of`)."""

    async def future() -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    ask = Ask(human="teacher", prompt=f"coder wants to run {call.name}(...)", call=call, agent="coder")
    ask._future = asyncio.run_coroutine_threadsafe(future(), loop).result()
    chat.ask(ask)
    return ask


def answer_of(ask: Ask, loop: asyncio.AbstractEventLoop) -> Any:
    async def wait() -> Any:
        return await ask._future  # type: ignore[misc]

    return asyncio.run_coroutine_threadsafe(wait(), loop).result(timeout=5)


def test_proposed_code_shows_in_a_locked_box_and_approve_runs_it_unchanged(
    chat: ChatWidget, loop: asyncio.AbstractEventLoop
) -> None:
    ask = asked(chat, loop)
    assert (
        visible(chat.asking.code) and visible(chat.asking.edit_button) and visible(chat.asking.approve_button)
    )
    assert chat.asking.code.value == "print('original')" and chat.asking.code.disabled
    assert "coder wants to run run_python with this code:" in chat.asking.prompt.value
    chat.asking.approve_button.click()
    assert answer_of(ask, loop) == (True, "")


def test_edit_then_approve_sends_the_edited_code_as_arguments(
    chat: ChatWidget, loop: asyncio.AbstractEventLoop
) -> None:
    call = ToolCall(id="2", name="run_python", arguments=json.dumps({"code": "rm()", "note": "keep"}))
    ask = asked(chat, loop, call)
    chat.asking.edit_button.click()
    assert not chat.asking.code.disabled and chat.asking.edit_button.disabled
    chat.asking.code.value = "print('safe')"
    chat.asking.text.value = "made it safe"
    chat.asking.approve_button.click()
    assert answer_of(ask, loop) == (True, "made it safe", {"code": "print('safe')", "note": "keep"})


def test_reject_ignores_edits(chat: ChatWidget, loop: asyncio.AbstractEventLoop) -> None:
    ask = asked(chat, loop)
    chat.asking.edit_button.click()
    chat.asking.code.value = "print('edited')"
    chat.asking.reject_button.click()
    assert answer_of(ask, loop) == (False, "")


def test_calls_without_code_and_questions_show_no_code_box(
    chat: ChatWidget, loop: asyncio.AbstractEventLoop
) -> None:
    asked(chat, loop, ToolCall(id="3", name="publish", arguments='{"title": "Park"}'))
    assert (
        not visible(chat.asking.code)
        and not visible(chat.asking.edit_button)
        and visible(chat.asking.approve_button)
    )
    assert "publish(...)" in chat.asking.prompt.value


@tool(requires_approval=True)
def run_python(code: str) -> str:
    """Stand-in for the code executor: says which code it was given."""
    return f"ran {code}"


def test_an_edit_made_in_the_chat_is_what_runs_and_the_transcript_keeps_both() -> None:
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    human = Human("teacher")
    script = {"coder": [{"tool": "run_python", "args": {"code": "original()"}}, "done"]}
    team = Team([Agent("coder", tools=[run_python]), human], model=models.ScriptedModel(script), max_turns=1)
    result: list[Any] = []
    with HumanBridge(inbox.put).attached(human):
        worker = threading.Thread(target=lambda: result.append(team.run_sync("go")))
        worker.start()
        ask = inbox.get(timeout=30)
        ask.answer((True, "safer", {"code": "edited()"}))
        worker.join(timeout=30)
    events = result[0].messages
    [calls] = [e for e in events if isinstance(e, ToolCalls)]
    [approval] = [e for e in events if isinstance(e, Approval)]
    [ran] = [e for e in events if isinstance(e, ToolResult)]
    assert json.loads(calls.calls[0].arguments) == {"code": "original()"}
    assert json.loads(approval.arguments or "") == {"code": "edited()"} and approval.comment == "safer"
    assert ran.content == "ran edited()"


WHERE = "The code runs UNISOLATED (isolation='none'): with your user's rights"


def test_the_tools_note_shows_between_the_code_and_the_buttons(
    chat: ChatWidget, loop: asyncio.AbstractEventLoop
) -> None:
    asked(
        chat, loop, ToolCall(id="4", name="run_python", arguments=json.dumps({"code": "x = 1"}), note=WHERE)
    )
    panel = chat.asking
    assert visible(panel.note) and html.escape(WHERE) in panel.note.value
    assert WHERE not in html.unescape(panel.prompt.value)  # said once
    assert panel.children.index(panel.code) < panel.children.index(panel.note) < len(panel.children) - 1
    panel.approve_button.click()
    asked(chat, loop)  # the next call has no note: none shows
    assert not visible(panel.note)


def test_with_hidden_characters_the_note_is_in_the_marked_prompt_once(
    chat: ChatWidget, loop: asyncio.AbstractEventLoop
) -> None:
    code = "x = 1  # \u202e"
    asked(chat, loop, ToolCall(id="5", name="run_python", arguments=json.dumps({"code": code}), note=WHERE))
    assert not visible(chat.asking.note)
    assert html.unescape(chat.asking.prompt.value).count(WHERE) == 1


@tool(requires_approval=True, approval_note=WHERE)
def run_noted(code: str) -> str:
    """Stand-in for an unisolated code executor."""
    return f"ran {code}"


def test_the_chat_is_asked_with_the_note_of_the_tool_that_runs_the_code() -> None:
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    human = Human("teacher")
    script = {"coder": [{"tool": "run_noted", "args": {"code": "x = 1"}}, "done"]}
    team = Team([Agent("coder", tools=[run_noted]), human], model=models.ScriptedModel(script), max_turns=1)
    with HumanBridge(inbox.put).attached(human):
        worker = threading.Thread(target=team.run_sync, args=("go",))
        worker.start()
        ask = inbox.get(timeout=30)
        ask.answer((False, ""))
        worker.join(timeout=30)
    assert ask.call is not None and ask.call.note == WHERE and ask.prompt.endswith(WHERE)
