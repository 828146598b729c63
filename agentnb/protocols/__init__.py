"""Open protocols: MCP servers' tools as agentnb tools, teams served over MCP and A2A, remote A2A agents.

Each protocol lives in its own subpackage on its official SDK (install the ``mcp`` or ``a2a``
extra): `agentnb.protocols.mcp` (``MCPServer``, ``as_mcp_server``, ``serve``) and
`agentnb.protocols.a2a` (``RemoteAgent``, ``as_a2a_app``, ``serve``).
"""

from importlib.metadata import PackageNotFoundError, version


def agentnb_version() -> str:
    """agentnb's version, for the client and server info the protocols exchange."""
    try:
        return version("agentnb")
    except PackageNotFoundError:  # a source checkout that was never installed
        return "0"
