"""A tiny MCP server over stdio: a newspaper archive with two tools, for lessons and the README.

Start it from an agent (it runs offline, and needs only the ``mcp`` extra)::

    archive = MCPServer.stdio(sys.executable, ["-m", "agentnb.protocols.examples.archive_server"])
    checker = Agent("fact_checker", "You check claims.", tools=[archive])

or by hand with ``python -m agentnb.protocols.examples.archive_server`` (it then waits for an
MCP client on stdin). It is written with the official SDK only, as any MCP server would be.
"""

from __future__ import annotations

from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel

from agentnb.protocols.examples.archive_entries import ARCHIVE

server = MCPServer("archive", instructions="A small newspaper archive: search it before you state a fact.")


class Entry(BaseModel):
    """One archive entry."""

    id: int
    date: str
    text: str


class Found(BaseModel):
    """The entries that matched a search."""

    entries: list[Entry]


@server.tool()
async def search_archive(query: str, limit: int = 3, ctx: Context | None = None) -> Found:
    """Search the newspaper archive for entries that mention every word of the query."""
    words = query.lower().split()
    found = []
    for done, entry in enumerate(ARCHIVE, start=1):
        if ctx is not None:
            await ctx.report_progress(done, len(ARCHIVE), f"read entry {entry['id']}")
        if all(word in entry["text"].lower() for word in words):
            found.append(Entry(**entry))
    return Found(entries=found[:limit])


@server.tool()
def count_words(text: str) -> int:
    """Count the words of a text (a headline must have at most 12)."""
    return len(text.split())


if __name__ == "__main__":
    server.run("stdio")
