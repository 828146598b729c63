"""Errors of the protocol adapters: a server that cannot start, a target that cannot be loaded."""

from __future__ import annotations

from agentnb.core.errors import AgentnbError


class ProtocolError(AgentnbError):
    """An MCP server or A2A agent could not be reached or used; the message says why and what to do."""
