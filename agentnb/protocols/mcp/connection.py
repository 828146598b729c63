"""One live session with an MCP server, held by a task of its own.

The SDK's `mcp.Client` must be entered and left by the same task (anyio's cancel scopes
belong to a task), but a server is started by whichever tool call or turn needs it first and
stopped when the run ends, from another task. So a `Connection` runs the client in an owner
task that opens it, lists the tools, waits to be told to close, and closes it; calls are made
from any task of the same event loop. Closing a stdio connection ends the server process the
way the SDK does it: stdin closed, then SIGTERM and SIGKILL to its process group.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from mcp import Client, Implementation
from mcp import types as mcp_types
from mcp.client import Transport
from mcp.shared.exceptions import MCPError

ProgressCallback = Callable[[float, "float | None", "str | None"], Awaitable[None]]
MAX_LIST_PAGES = 100  # a server whose tools/list never ends cannot hang a connect


class Connection:
    """A connected (or connecting) MCP client on the event loop that opened it."""

    def __init__(self, transport: Callable[[], Transport | str], client_info: Implementation) -> None:
        self._transport = transport
        self._client_info = client_info
        self._client: Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.closed_on_purpose = False

    @property
    def alive(self) -> bool:
        """Connected, and the owner task still holds the session."""
        return self._client is not None and self._task is not None and not self._task.done()

    async def open(self, timeout: float) -> list[mcp_types.Tool]:
        """Start the server (or reach it), shake hands and list its tools, within ``timeout`` s."""
        self.loop = asyncio.get_running_loop()
        self._closing = asyncio.Event()
        ready: asyncio.Future[list[mcp_types.Tool]] = self.loop.create_future()
        ready.add_done_callback(_retrieve)
        self._task = self.loop.create_task(self._own(ready), name="agentnb-mcp-connection")
        try:
            return await asyncio.wait_for(asyncio.shield(ready), timeout)
        except BaseException:
            await self.close()
            raise

    async def _own(self, ready: asyncio.Future[list[mcp_types.Tool]]) -> None:
        try:
            async with Client(self._transport(), client_info=self._client_info) as client:
                listing = await list_all_tools(client)
                self._client = client
                if not ready.done():
                    ready.set_result(listing)
                assert self._closing is not None
                await self._closing.wait()
        except BaseException as exc:  # a failed start, a dead transport, or close() cancelling a start
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else ConnectionError("cancelled"))
            if not isinstance(exc, Exception):
                raise
        finally:
            self._client = None

    async def call(
        self, name: str, arguments: dict[str, Any], timeout: float | None, progress: ProgressCallback | None
    ) -> mcp_types.CallToolResult:
        """Call a tool; raises `MCPError` (timeout, closed connection, protocol error)."""
        client = self._client
        if client is None:
            raise MCPError(code=mcp_types.CONNECTION_CLOSED, message="Connection closed")
        return await client.call_tool(
            name, arguments, read_timeout_seconds=timeout, progress_callback=progress
        )

    async def close(self) -> None:
        """Close the session and stop the server; waits for the owner task (bounded by the SDK)."""
        task = self._task
        if task is None:
            return
        self.closed_on_purpose = True
        if self.loop is not asyncio.get_running_loop():
            self.abandon()
            return
        assert self._closing is not None
        self._closing.set()
        if self._client is None:  # still starting: stop the start
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.shield(task)

    def abandon(self) -> None:
        """Close from another thread or loop: ask the owner's loop to close, without waiting."""
        self.closed_on_purpose = True
        loop, closing, task = self.loop, self._closing, self._task
        if loop is None or loop.is_closed() or closing is None or task is None or task.done():
            return  # a loop that ended cancelled its tasks, and so closed the session
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(closing.set)


async def list_all_tools(client: Client) -> list[mcp_types.Tool]:
    """Every tool the server lists, page after page."""
    tools: list[mcp_types.Tool] = []
    cursor: str | None = None
    for _ in range(MAX_LIST_PAGES):
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if cursor is None:
            break
    return tools


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a start's failure as seen (close() may have stopped listening for it)."""
    if not future.cancelled():
        future.exception()
