"""A tool's rich outputs (plots, images) reach `ToolResult.display` through `ToolOutput`."""

from __future__ import annotations

import pytest

from agentnb import Agent, Team, tool
from agentnb.core.events import ToolResult
from agentnb.core.tools import ToolOutput
from agentnb.models import ScriptedModel
from agentnb.models.scripted import call

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def results_of(tools: list, script: list) -> list[ToolResult]:
    agent = Agent("worker", tools=tools, model=ScriptedModel({"worker": script}))
    result = Team([agent], max_turns=1).run_sync("go")
    return [e for e in result.messages if isinstance(e, ToolResult)]


def test_a_tool_output_sends_text_to_the_model_and_display_to_the_result() -> None:
    @tool
    def plot() -> ToolOutput:
        """Draw a plot."""
        return ToolOutput("a plot of 3 points", display=[{"image/png": PNG, "text/plain": "<Figure>"}])

    [result] = results_of([plot], [call("plot"), "done"])
    assert result.content == "a plot of 3 points"
    assert result.display == ({"image/png": PNG, "text/plain": "<Figure>"},)
    assert not result.is_error


def test_a_tool_output_can_report_a_failure_the_tool_caught() -> None:
    @tool
    async def check() -> ToolOutput:
        """Check something."""
        return ToolOutput("Error: the check failed", is_error=True)

    [result] = results_of([check], [call("check"), "done"])
    assert result.is_error and result.content == "Error: the check failed"
    assert result.display is None


def test_plain_return_values_have_no_display() -> None:
    @tool(blocking=False)
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    [result] = results_of([add], [call("add", a=1, b=2), "done"])
    assert result.content == "3" and result.display is None


def test_a_display_that_is_not_mime_bundles_is_an_error_result_not_a_crash() -> None:
    @tool
    def bad() -> ToolOutput:
        """Return a malformed display."""
        return ToolOutput("x", display=[{"image/png": b"bytes"}])  # type: ignore[dict-item]

    [result] = results_of([bad], [call("bad"), "done"])
    assert result.is_error
    assert "mime bundle" in result.content


def test_tool_output_rejects_a_bundle_given_instead_of_a_list() -> None:
    with pytest.raises(TypeError, match="mime bundle"):
        ToolOutput("x", display={"text/plain": "y"})  # type: ignore[arg-type]
