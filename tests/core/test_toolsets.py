"""Agents take toolsets (tools listed at run time) and stream the progress tools report while they run."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest

from agentnb import Agent, Team, tool
from agentnb.core.errors import RunError
from agentnb.core.events import ToolProgress, ToolResult
from agentnb.core.tools import Tool
from agentnb.core.toolsets import progress_reporter
from agentnb.models import ScriptedModel
from agentnb.models.scripted import call


class Listed:
    """A toolset whose tools are known only when a turn starts (as an MCP server's are)."""

    name = "listed"

    def __init__(self, *tools: Tool) -> None:
        self.tools = list(tools)
        self.asked = 0

    async def tools_for_run(self) -> list[Tool]:
        self.asked += 1
        return self.tools


@tool
def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


def test_an_agent_asks_its_toolsets_for_their_tools_when_a_turn_starts() -> None:
    toolset = Listed(shout)
    agent = Agent("a", tools=[toolset], model=ScriptedModel({"a": [call("shout", text="hi"), "done"]}))
    assert agent.tools == [] and agent.toolsets == [toolset]
    result = Team([agent], max_turns=1).run_sync("go")
    assert [r.content for r in result.messages if isinstance(r, ToolResult)] == ["HI"]
    assert toolset.asked == 1
    assert agent.copy().toolsets == [toolset]


def test_a_toolset_tool_named_like_another_tool_fails_the_run_naming_the_fix() -> None:
    agent = Agent("a", tools=[shout, Listed(shout)], model=ScriptedModel({"a": ["done"]}))
    with pytest.raises(RunError, match=r"toolset 'listed' has a tool named 'shout'.*prefix="):
        Team([agent], max_turns=1).run_sync("go")


class Counting(Tool):
    """A tool that reports progress three times while it runs."""

    reports_progress: ClassVar[bool] = True


async def count_to_three() -> str:
    """Count to three, slowly."""
    report = progress_reporter()
    for i in range(1, 4):
        report(i, 3, f"step {i}")
        await asyncio.sleep(0.01)
    return "three"


def test_progress_a_tool_reports_streams_as_events_before_its_result() -> None:
    base: Any = tool(count_to_three)
    counting = Counting(
        name=base.name, description=base.description, fn=base.fn, arguments_model=base.arguments_model
    )
    agent = Agent("a", tools=[counting], model=ScriptedModel({"a": [call("count_to_three"), "done"]}))
    team = Team([agent], max_turns=1, stream_tokens=False)

    async def events() -> list[Any]:
        return [e async for e in team.stream("go")]

    streamed = asyncio.run(events())
    kinds = [(type(e).__name__, getattr(e, "progress", None)) for e in streamed if e.source == "a"]
    assert kinds[1:5] == [("ToolProgress", 1), ("ToolProgress", 2), ("ToolProgress", 3), ("ToolResult", None)]
    progress = [e for e in streamed if isinstance(e, ToolProgress)]
    assert [p.message for p in progress] == ["step 1", "step 2", "step 3"] and progress[0].total == 3
    assert not [e for e in team.transcript if isinstance(e, ToolProgress)]  # streamed, not kept
