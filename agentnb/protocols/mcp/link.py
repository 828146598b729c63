"""The life of one MCP server declaration: started on first use, shared, restarted once, stopped.

A `Link` is shared by an `MCPServer` and every filtered view of it, so the agents of a run
that use the same server talk to one process. The first use in a run connects (and asks the
run to call `close` when it ends); a server that stops mid-run is started again at the next
call, once; after a second stop its tools answer with an error until the run ends. Every
failure becomes text for the model: a call never raises.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from mcp import Implementation
from mcp import types as mcp_types
from mcp.client import Transport
from mcp.shared.exceptions import MCPError

from agentnb.core.lifecycle import on_run_end
from agentnb.core.tools import ToolOutput
from agentnb.protocols import agentnb_version
from agentnb.protocols.errors import ProtocolError
from agentnb.protocols.mcp.connection import Connection
from agentnb.protocols.mcp.results import tool_output
from agentnb.protocols.mcp.server_log import ServerLog

RESTARTS = 1  # a server that stops mid-run is started again this many times per run


class Link:
    """The connection state of one server: current connection, its tool listing, restarts left."""

    def __init__(
        self,
        label: str,
        transport: Callable[[], Transport | str],
        *,
        timeout: float | None,
        connect_timeout: float,
        max_output: int,
        log: ServerLog | None,
        scrub: Callable[[str], str],
    ) -> None:
        self.label = label
        self._transport = transport
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_output = max_output
        self.log = log
        self.scrub = scrub
        self._info = Implementation(name="agentnb", version=agentnb_version())
        self.connection: Connection | None = None
        self.listing: list[mcp_types.Tool] | None = None
        self.stops = 0  # unplanned stops in this run
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    # ----- connecting ------------------------------------------------------------------------

    async def ensure(self) -> list[mcp_types.Tool]:
        """The tool listing, connecting first if this loop has no live connection.

        After an unplanned stop the listing known so far is returned: the next call restarts
        the server (or says why it cannot).
        """
        if self.listing is not None and (self.stops or self._live()):
            on_run_end(self.close)
            return self.listing
        await self.session()
        assert self.listing is not None
        return self.listing

    def _live(self) -> bool:
        connection = self.connection
        return connection is not None and connection.alive and connection.loop is asyncio.get_running_loop()

    async def session(self) -> Connection:
        """A live connection on the running loop: the current one, or a new one (counted as a
        restart after an unplanned stop). Raises `ProtocolError` when the server cannot start."""
        loop = asyncio.get_running_loop()
        connection = self.connection
        if connection is not None and connection.loop is loop and connection.alive:
            on_run_end(self.close)
            return connection
        async with self._lock_for(loop):
            connection = self.connection
            if connection is not None and connection.loop is not loop:
                connection.abandon()  # opened by another loop (an earlier cell, a thread)
                self.connection = connection = None
            if connection is not None and not connection.alive:
                self.connection = None
                await connection.close()
                if not connection.closed_on_purpose:
                    self.stops += 1
                connection = None
            if connection is None:
                if self.stops > RESTARTS:
                    raise ProtocolError(self.gone())
                connection = await self._open()
            on_run_end(self.close)
            return connection

    async def _open(self) -> Connection:
        if self.log is not None:
            self.log.clear()
        connection = Connection(self._transport, self._info)
        try:
            self.listing = await connection.open(self.connect_timeout)
        except TimeoutError:
            raise ProtocolError(
                f"MCP server {self.label} did not answer within {self.connect_timeout:g} s of starting"
                f"{self.last_words()}; check its command and arguments, or raise connect_timeout="
            ) from None
        except Exception as exc:
            cause = first_cause(exc)
            raise ProtocolError(
                f"MCP server {self.label} could not be started or reached: {type(cause).__name__}: "
                f"{self.scrub(str(cause))[:500]}{self.last_words()}"
            ) from None
        self.connection = connection
        return connection

    def _lock_for(self, loop: asyncio.AbstractEventLoop) -> asyncio.Lock:
        """One lock per event loop (an asyncio lock belongs to the loop that first used it)."""
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def close(self) -> None:
        """Stop the server (the end of a run, or ``close()``); the next use starts it again."""
        connection, self.connection = self.connection, None
        self.stops = 0
        if connection is not None:
            await connection.close()

    def abandon(self) -> None:
        """`close` from synchronous code: the owner's loop stops the server when it runs."""
        connection, self.connection = self.connection, None
        self.stops = 0
        if connection is not None:
            connection.abandon()

    # ----- calling ---------------------------------------------------------------------------

    async def call(
        self, name: str, arguments: dict[str, Any], report: Callable[[float, float | None, str], None]
    ) -> ToolOutput:
        """Call tool ``name`` on the server; every failure is an error output the model reads."""
        try:
            connection = await self.session()
        except ProtocolError as exc:
            return ToolOutput(f"Error: {exc}", is_error=True)

        async def progress(done: float, total: float | None, message: str | None) -> None:
            report(done, total, self.scrub(message or ""))

        try:
            result = await connection.call(name, arguments, self.timeout, progress)
        except MCPError as exc:
            return ToolOutput(self._failure(name, exc, connection), is_error=True)
        except RuntimeError as exc:  # the SDK's check of structured content against the output schema
            return ToolOutput(
                f"Error: {name} on MCP server {self.label}: {self.scrub(str(exc))}", is_error=True
            )
        return tool_output(result, max_text=self.max_output, scrub=self.scrub)

    def _failure(self, name: str, exc: MCPError, connection: Connection) -> str:
        if exc.code == mcp_types.REQUEST_TIMEOUT:
            return (
                f"Error: {name} on MCP server {self.label} timed out after {self.timeout:g} s; the server "
                "was asked to cancel it. Try a smaller request, or another way."
            )
        if exc.code != mcp_types.CONNECTION_CLOSED:
            return f"Error: MCP server {self.label} refused the call to {name}: {self.scrub(exc.message)}"
        if connection.closed_on_purpose:
            return (
                f"Error: the connection to MCP server {self.label} was closed during {name}; call it again."
            )
        if self.connection is connection:
            self.connection = None
            self.stops += 1
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().create_task(connection.close())  # reap the process
        if self.stops > RESTARTS:
            return f"Error: {self.gone()}"
        return (
            f"Error: MCP server {self.label} stopped{self.last_words()}; the call to {name} did not "
            "complete. It will be started again at the next call: call the tool again if you still need it."
        )

    def gone(self) -> str:
        return (
            f"MCP server {self.label} stopped {self.stops} times in this run{self.last_words()}; its tools "
            "are unavailable until the run ends. Carry on without them, or say that they failed."
        )

    def last_words(self) -> str:
        """What the server last said (its stderr, its HTTP error), as a clause for error messages."""
        return self.log.clause(self.scrub) if self.log is not None else ""


def first_cause(exc: BaseException) -> BaseException:
    """The error inside the task groups the SDK wraps a failed start in (its first one)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc
