"""A team (or an agent) as an MCP server: one tool that takes a task and returns the answer.

Any MCP client (Claude Desktop, VS Code, another framework, the SDK's own client) can then
call a team built in a notebook: the tool's input is the task, its result the team's final
answer (with the structured output as structured content when the last reply has one),
progress notifications carry the team's turns as they happen, and a client that cancels
the call stops the run. Each call runs a fresh copy of the team, so calls never mix.
``agentnb mcp serve my_module:team`` runs it from a terminal (see `agentnb.apps.cli`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp import types as mcp_types
from mcp.server.mcpserver import Context
from mcp.server.mcpserver import MCPServer as SDKServer
from pydantic import Field

from agentnb.core.agent import Agent
from agentnb.core.events import USER, TextMessage
from agentnb.core.team import Team
from agentnb.protocols.targets import final_message, runnable

PROGRESS_TEXT = 300  # characters of each turn's message in a progress notification
TASK = "What the team should do, in plain words, as you would tell a colleague."


def as_mcp_server(
    target: Team | Agent, *, name: str | None = None, description: str | None = None
) -> SDKServer[Any]:
    """The SDK's `MCPServer` offering ``target`` as one tool named ``name`` (default: its name)."""
    team = runnable(target)
    tool_name = name or (target.name if isinstance(target, Agent) else team.name)
    about = description or (target.description if isinstance(target, Agent) else team.description)
    server: SDKServer[Any] = SDKServer(tool_name, description=about, instructions=about)

    async def run_team(
        task: Annotated[str, Field(description=TASK)], ctx: Context
    ) -> mcp_types.CallToolResult:
        copy = team.fork(0)
        turns = 0
        async for event in copy.stream(task):
            if event.__class__ is TextMessage and not event.scope and event.source != USER:
                turns += 1
                text = f"{event.source}: {event.content}"  # type: ignore[attr-defined]
                await ctx.report_progress(turns, copy.max_turns, text[:PROGRESS_TEXT])
        result = copy.last_result
        assert result is not None
        final = final_message(result)
        if final is None:
            message = f"the team stopped without an answer: {result.stop_reason}"
            return mcp_types.CallToolResult(content=[mcp_types.TextContent(text=message)], is_error=True)
        content = [mcp_types.TextContent(text=final.content)]
        return mcp_types.CallToolResult(content=content, structured_content=final.data)

    server.add_tool(
        run_team,
        name=tool_name,
        description=f"{about} Give it a task; it answers when its run ends.",
        structured_output=False,
    )
    return server


def serve(
    target: Team | Agent,
    *,
    transport: Literal["stdio", "http"] = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    path: str = "/mcp",
    name: str | None = None,
) -> None:
    """Serve ``target`` to MCP clients until interrupted: over stdio, or streamable HTTP at
    ``http://host:port/path``. Blocks (run it as a program, not in a notebook cell)."""
    server = as_mcp_server(target, name=name)
    if transport == "stdio":
        server.run("stdio")
    elif transport == "http":
        server.run("streamable-http", host=host, port=port, streamable_http_path=path)
    else:
        raise ValueError(f"transport: expected 'stdio' or 'http', got {transport!r}")
