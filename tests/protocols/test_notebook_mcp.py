"""The cell form: ``%agentnb mcp NAME COMMAND`` declares an MCP server, ``tools=mcp:NAME`` gives its tools."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

from agentnb.core.events import ToolResult
from agentnb.notebook.parse import CellError
from tests.notebook.conftest import ip  # noqa: F401 (the shell fixture)
from tests.protocols.conftest import RAW, need_mcp


@pytest.fixture(autouse=True)
def mcp_sdk() -> None:
    need_mcp()


def script(tmp_path: Path, calls: list[Any]) -> str:
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"dev": [*calls, "done"]}))
    return f"scripted:{path}"


def test_agentnb_mcp_declares_a_server_and_shows_its_tools(ip: Any) -> None:  # noqa: F811
    shown = ip.run_line_magic("agentnb", f"mcp raw {sys.executable} {RAW}")
    assert str(shown).startswith("MCP server mcp:raw: 5 tools") and "big(size): A long text." in str(shown)
    assert repr(ip.user_ns["raw"]) == "MCPServer('raw')"


def test_tools_mcp_name_gives_an_agent_every_tool_of_the_server(ip: Any, tmp_path: Path) -> None:  # noqa: F811
    ip.run_line_magic("agentnb", f"mcp raw {sys.executable} {RAW}")
    model = script(tmp_path, [{"tool": "big", "args": {"size": 3}}])
    result = ip.run_cell_magic(
        "agentteam", f"--model {model} --max-turns 1", "dev: You build. tools=mcp:raw\n---\ngo"
    )
    assert [m.content for m in result.messages if isinstance(m, ToolResult)] == ["xxx"]


def test_tools_mcp_name_without_a_declared_server_says_how_to_declare_one(ip: Any) -> None:  # noqa: F811
    with pytest.raises(
        CellError, match=r"no MCP server 'git' in the notebook; declare one first: %agentnb mcp git"
    ):
        ip.run_cell_magic("agentteam", "--max-turns 1", "dev: You build. tools=mcp:git\n---\ngo")


def test_agentnb_mcp_with_a_command_that_fails_is_a_one_line_error(ip: Any) -> None:  # noqa: F811
    with pytest.raises(UsageError, match=r"%agentnb mcp nope: MCP server 'nope' could not be started"):
        ip.run_line_magic("agentnb", "mcp nope /no/such/server")
    assert "nope" not in ip.user_ns
