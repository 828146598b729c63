"""A stdio MCP server written with the official SDK only, that reports the environment it started with.

    python env_server.py

Tools: ``environment`` (every variable's name with the SHA-256 digest of its value: proof of
what arrived, which survives the scrubbing of secrets in results) and ``variable(key)``
(one variable's value as it is, or ``<unset>``).
"""

from __future__ import annotations

import hashlib
import os

from mcp.server.mcpserver import MCPServer

server = MCPServer("env")


@server.tool()
def environment() -> dict[str, str]:
    """Every variable of this server's environment, with the SHA-256 digest of its value."""
    return {name: hashlib.sha256(value.encode()).hexdigest() for name, value in sorted(os.environ.items())}


@server.tool()
def variable(key: str) -> str:
    """The value of the variable ``key`` in this server's environment, or ``<unset>``."""
    return os.environ.get(key, "<unset>")


if __name__ == "__main__":
    server.run("stdio")
