"""An MCP server (official SDK) whose ``wait`` tool notes in a file when it starts and is cancelled."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from mcp.server.mcpserver import MCPServer

server = MCPServer("slow")
NOTES = Path(sys.argv[1])


@server.tool()
async def wait(seconds: float) -> str:
    """Wait for some seconds."""
    NOTES.write_text("started")
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        NOTES.write_text("cancelled")
        raise
    return "waited"


if __name__ == "__main__":
    server.run("stdio")
