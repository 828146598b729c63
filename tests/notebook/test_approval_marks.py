"""The notebook's approval box marks characters that change how a tool call reads, and warns."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from agentnb.core.events import ToolCall
from agentnb.notebook.bridge import Ask, HumanBridge
from agentnb.notebook.widget import ChatWidget

HIDDEN_CODE = 'role = "user"  # \u202e } \u2066if is_admin:\u2069 \u2066 admins only\nprint(role)'
CODE_CALL = ToolCall(id="1", name="run_python", arguments=json.dumps({"code": HIDDEN_CODE}))
PLAIN_CALL = ToolCall(id="2", name="send_payment", arguments='{"to": "acme\\u200b-bank", "amount": 10}')


@pytest.fixture
def chat() -> Iterator[ChatWidget]:
    widget = ChatWidget("agentnb · team t")
    yield widget
    widget.dispose()


def approval_prompt(call: ToolCall) -> str:
    """The prompt `HumanBridge` posts for ``call`` (what the approval box shows)."""
    posted: list[Ask] = []

    async def ask() -> None:
        approve = HumanBridge(posted.append).approve_fn("teacher")
        task = asyncio.create_task(approve("coder", call))
        while not posted:
            await asyncio.sleep(0)
        posted[0].answer((False, ""))
        await task

    asyncio.run(ask())
    return posted[0].prompt


def test_the_bridge_prompt_marks_hidden_characters_and_warns() -> None:
    prompt = approval_prompt(PLAIN_CALL)
    assert "\u200b" not in prompt and "acme⟦U+200B⟧-bank" in prompt
    assert "ZERO WIDTH SPACE" in prompt and "Warning" in prompt


def test_code_with_hidden_characters_is_shown_marked_above_the_code_box(chat: ChatWidget) -> None:
    ask: Any = Ask(human="teacher", prompt=approval_prompt(CODE_CALL), call=CODE_CALL, agent="coder")
    chat.ask(ask)
    shown = chat.asking.prompt.value
    assert "⟦U+202E⟧" in shown and "⟦U+2066⟧" in shown and "RIGHT-TO-LEFT OVERRIDE" in shown
    assert "\u202e" not in shown
    assert chat.asking.code.value == HIDDEN_CODE  # the box holds the exact code that would run


def test_code_without_hidden_characters_gets_no_warning(chat: ChatWidget) -> None:
    call = ToolCall(id="3", name="run_python", arguments=json.dumps({"code": "print('hi')"}))
    chat.ask(Ask(human="teacher", prompt=approval_prompt(call), call=call, agent="coder"))
    assert "coder wants to run run_python with this code:" in chat.asking.prompt.value
    assert "Warning" not in chat.asking.prompt.value
