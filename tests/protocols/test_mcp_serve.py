"""A team served as an MCP tool (``agentnb mcp serve``), called with the official SDK's client."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.processes import environment
from tests.protocols.conftest import free_port, need_mcp, stop, wait_for_port

pytestmark = pytest.mark.usefixtures("mcp_sdk")


@pytest.fixture
def mcp_sdk() -> None:
    need_mcp()


def serve_command(target: str, *options: str) -> list[str]:
    return [sys.executable, "-m", "agentnb.apps.cli", "mcp", "serve", target, *options]


def stdio_client(target: str, **env: str) -> Any:
    from mcp import Client, StdioServerParameters

    command, *args = serve_command(target)
    return Client(StdioServerParameters(command=command, args=args, env=environment(**env)))


async def call_with_progress(client: Any, tool: str, task: str) -> tuple[Any, list[tuple[float, Any, Any]]]:
    seen: list[tuple[float, Any, Any]] = []

    async def progress(done: float, total: Any, message: Any) -> None:
        seen.append((done, total, message))

    async with client:
        listing = await client.list_tools()
        assert [t.name for t in listing.tools] == [tool]
        assert listing.tools[0].input_schema["required"] == ["task"]
        result = await client.call_tool(tool, {"task": task}, progress_callback=progress)
    return result, seen


def test_a_team_is_a_tool_for_an_mcp_client_over_stdio() -> None:
    result, progress = asyncio.run(
        call_with_progress(stdio_client("tests.protocols.teams:newsroom"), "newsroom", "Write: the park")
    )
    assert not result.is_error
    assert result.content[0].text == "APPROVED: the draft is fine."
    assert [(done, message) for done, _, message in progress] == [
        (1, "writer: Draft about the park."),
        (2, "editor: APPROVED: the draft is fine."),
    ]


def test_a_team_is_a_tool_for_an_mcp_client_over_streamable_http() -> None:
    from mcp import Client

    port = free_port()
    process = subprocess.Popen(
        serve_command("tests.protocols.teams:newsroom", "--transport", "http", "--port", str(port)),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        client = Client(f"http://127.0.0.1:{port}/mcp")
        result, progress = asyncio.run(call_with_progress(client, "newsroom", "Write: the bridge"))
    finally:
        stop(process)
    assert result.content[0].text == "APPROVED: the draft is fine."
    assert progress[0][2] == "writer: Draft about the bridge."


def test_an_agent_with_structured_output_answers_with_structured_content() -> None:
    result, _ = asyncio.run(
        call_with_progress(stdio_client("tests.protocols.teams:judge"), "judge", "three words here")
    )
    assert result.structured_content == {"approved": True, "words": 3}


def test_a_client_that_cancels_the_call_stops_the_run(tmp_path: Path) -> None:
    notes = tmp_path / "notes"

    async def cancel_midway() -> None:
        async with stdio_client("tests.protocols.teams:slow", AGENTNB_TEST_NOTES=str(notes)) as client:
            call = asyncio.ensure_future(client.call_tool("slow", {"task": "wait"}))
            for _ in range(400):
                await asyncio.sleep(0.05)
                if notes.exists():
                    break
            call.cancel()
            await asyncio.gather(call, return_exceptions=True)
            for _ in range(200):  # the server learns of it asynchronously
                if notes.read_text() == "cancelled":
                    break
                await asyncio.sleep(0.05)

    asyncio.run(cancel_midway())
    assert notes.read_text() == "cancelled"


def test_serving_something_that_is_not_a_team_says_what_to_do() -> None:
    done = subprocess.run(
        serve_command("tests.protocols.teams:_draft"),
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == "agentnb: 'tests.protocols.teams:_draft' is a function, not an agentnb Team or Agent"
    )
