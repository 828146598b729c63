"""MCP: a server's tools as agentnb tools (`MCPServer`), and a team as an MCP server (`serve`).

``MCPServer.stdio(command, args)`` or ``MCPServer.http(url)`` goes wherever tools go:
``Agent("dev", tools=[MCPServer.stdio("uvx", ["mcp-server-git"])])``; ``serve(team)`` or
``agentnb mcp serve my_module:team`` offers a team to any MCP client. Needs the ``mcp`` extra.
"""

from agentnb.protocols.mcp.serve import as_mcp_server, serve
from agentnb.protocols.mcp.tool import MCPTool
from agentnb.protocols.mcp.toolset import MCPServer, ServerDescription

__all__ = ["MCPServer", "MCPTool", "ServerDescription", "as_mcp_server", "serve"]
