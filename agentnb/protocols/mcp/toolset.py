"""`MCPServer`: the tools of an MCP server, usable wherever tools are (``Agent(tools=[server])``).

The server is started (stdio) or reached (streamable HTTP) when a run first needs its tools,
shared by the agents of that run, and stopped when the outermost run ends, or on `close`
(or at the end of ``async with server:``). ``server.tools("read_file", ...)`` offers only some
tools, ``prefix=`` renames them to avoid clashes. MCP tools are untrusted input: their
descriptions and results come from outside, so ``requires_approval`` puts a person in the
loop (each approval request names the server), `describe` shows what the server offers,
a stdio server gets an explicit environment without your secrets (see `environment`), and
secrets you pass it are removed from what it sends back before that reaches the transcript.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from mcp.client import Transport
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from agentnb.core.secrets import MIN_SECRET_LENGTH, Scrubber, public_url, sensitive_headers, url_secrets
from agentnb.core.tools import TOOL_NAME, Tool
from agentnb.execution.environment import is_secret
from agentnb.protocols.mcp.environment import check_env, server_environment
from agentnb.protocols.mcp.link import Link
from agentnb.protocols.mcp.results import MAX_TEXT
from agentnb.protocols.mcp.server_log import HttpLog, ServerLog, StderrLog
from agentnb.protocols.mcp.tool import MCPTool, SchemaProblem, local_name

log = logging.getLogger("agentnb")
MAX_SSE_EVENT = 64 * 1024 * 1024  # one streamed reply over HTTP (a 10 MB result fits; a runaway one does not)
_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class ServerDescription:
    """What a server offers, for a person to read before trusting it (``print(server.describe())``)."""

    server: str
    tools: list[tuple[str, str, list[str]]]  # (name the model uses, description, parameters)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (server's name, why)

    def __str__(self) -> str:
        lines = [f"MCP server {self.server}: {len(self.tools)} tools (descriptions come from the server)"]
        for name, description, parameters in self.tools:
            lines.append(f"  {name}({', '.join(parameters)}): {description.strip()}")
        lines.extend(f"  skipped {name}: {why}" for name, why in self.skipped)
        return "\n".join(lines)

    __repr__ = __str__


class MCPServer:
    """An MCP server's tools as a toolset; make one with `MCPServer.stdio` or `MCPServer.http`.

    ``timeout`` bounds each call (seconds; the server is asked to cancel a call that runs
    over), ``connect_timeout`` the start. ``requires_approval`` is True for every tool or a
    collection of the server's tool names. ``max_output`` caps the text of one result.
    """

    def __init__(
        self,
        name: str,
        transport: Any,
        *,
        prefix: str = "",
        requires_approval: bool | Collection[str] = False,
        timeout: float | None = 120.0,
        connect_timeout: float = 30.0,
        max_output: int = MAX_TEXT,
        secrets: Sequence[str] = (),
        log: ServerLog | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"name: expected a short name for the server, got {name!r}")
        for label, value in (("connect_timeout", connect_timeout), ("max_output", max_output)):
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"{label}: expected a positive number, got {value!r}")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
        ):
            raise ValueError(f"timeout: expected a positive number of seconds or None, got {timeout!r}")
        self.name = name
        self.origin = f"mcp:{name}"
        self.prefix = _check_prefix(prefix)
        self.requires_approval = _check_approval(requires_approval)
        self.include: tuple[str, ...] | None = None
        self._secrets = [s for s in secrets if s]
        scrubber = Scrubber(self._secrets)
        self._link = Link(
            f"{name!r}",
            transport,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_output=int(max_output),
            log=log,
            scrub=scrubber.text,
        )
        self._built: tuple[int, list[MCPTool], list[tuple[str, str]]] | None = None

    # ----- making one ------------------------------------------------------------------------

    @classmethod
    def stdio(
        cls,
        command: str,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        inherit_env: Sequence[str] = (),
        cwd: str | Path | None = None,
        name: str | None = None,
        **options: Any,
    ) -> MCPServer:
        """A server this process starts and talks to over stdin/stdout (``npx ...``, ``uvx ...``).

        Its environment is explicit: PATH, HOME, the locale and a few like them, without
        anything that looks secret; ``env`` adds variables (a token the server needs) and
        ``inherit_env`` names variables to pass from this process as they are.
        """
        if not isinstance(command, str) or not command.strip():
            raise ValueError(f"command: expected the program that starts the server, got {command!r}")
        if isinstance(args, str) or not all(isinstance(a, str) for a in args):
            raise ValueError(f"args: expected a list of strings, got {args!r}; e.g. args=['-m', 'my_server']")
        extra = check_env(env)
        parameters = StdioServerParameters(
            command=command,
            args=list(args),
            env=server_environment(extra, inherit_env),
            cwd=os.fspath(cwd) if cwd is not None else None,
        )
        log_file = StderrLog()

        def transport() -> Transport:
            return stdio_client(parameters, errlog=log_file.file)

        passed = {**{n: os.environ[n] for n in inherit_env if n in os.environ}, **extra}
        secrets = [
            value
            for key, value in passed.items()
            if is_secret(key, value) and len(value) >= MIN_SECRET_LENGTH
        ]
        label = name or default_name(command, list(args))
        return cls(label, transport, secrets=secrets, log=log_file, **options)

    @classmethod
    def http(
        cls, url: str, *, headers: Mapping[str, str] | None = None, name: str | None = None, **options: Any
    ) -> MCPServer:
        """A server reached over streamable HTTP at ``url`` (e.g. ``http://127.0.0.1:3001/mcp``).

        ``headers`` go with every request (``{"Authorization": "Bearer ..."}``). The values of
        credential headers (and their token after ``Bearer``), and a password or key written in
        the URL, never show in the server's name, errors or results; a refused request's
        error says the HTTP status the server answered.
        """
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"url: expected an http:// or https:// address, got {url!r}")
        sent = check_env(headers, "headers")
        answers = HttpLog()

        def transport() -> Transport:
            client = httpx2.AsyncClient(
                headers=sent,
                timeout=httpx2.Timeout(30.0, read=300.0),
                event_hooks={"response": [answers.hook]},
            )
            return _ClosingTransport(
                client, streamable_http_client(url, http_client=client, max_sse_event_size=MAX_SSE_EVENT)
            )

        label = name or re.sub(r"^https?://", "", public_url(url)).rstrip("/")
        secrets = [*sensitive_headers(sent), *url_secrets(url)]
        return cls(label, transport, secrets=secrets, log=answers, **options)

    def tools(self, *names: str, prefix: str | None = None) -> MCPServer:
        """A view of this server that offers only the tools called ``names`` (the server's names),
        optionally under another ``prefix``; it shares the server process with this one."""
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ValueError(
                f"tools: expected one or more tool names, e.g. server.tools('read_file'), got {names!r}"
            )
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        view.include = tuple(names)
        view.prefix = self.prefix if prefix is None else _check_prefix(prefix)
        view._built = None
        return view

    def __repr__(self) -> str:
        only = f", tools={list(self.include)}" if self.include else ""
        return f"MCPServer({self.name!r}{only})"

    def secrets(self) -> list[str]:
        """The secrets given to this server (env values, credential headers): never shown in results."""
        return list(self._secrets)

    # ----- the toolset protocol ----------------------------------------------------------------

    async def tools_for_run(self) -> list[Tool]:
        """The tools agents get: connects on first use in a run, which then stops the server at its end."""
        listing = await self._link.ensure()
        return list(self._tools(listing)[0])

    async def list_tools(self) -> list[MCPTool]:
        """The tools (connecting if needed); outside a run the server stays up until `close`."""
        return list(self._tools(await self._link.ensure())[0])

    def _tools(self, listing: list[Any]) -> tuple[list[MCPTool], list[tuple[str, str]]]:
        if self._built is None or self._built[0] != id(listing):
            self._built = (id(listing), *self._build(listing))
        return self._built[1], self._built[2]

    def _build(self, listing: list[Any]) -> tuple[list[MCPTool], list[tuple[str, str]]]:
        tools: list[MCPTool] = []
        skipped: list[tuple[str, str]] = []
        seen: set[str] = set()
        wanted = set(self.include) if self.include is not None else None
        for definition in listing:
            if wanted is not None and definition.name not in wanted:
                continue
            local = local_name(definition.name, self.prefix)
            if local in seen:
                skipped.append((definition.name, f"its name becomes {local!r}, like another tool's"))
                continue
            approval = self.requires_approval is True or (
                not isinstance(self.requires_approval, bool) and definition.name in self.requires_approval
            )
            try:
                tool = MCPTool(
                    definition, self._link.call, name=local, origin=self.origin, requires_approval=approval
                )
            except SchemaProblem as exc:
                log.warning("agentnb: MCP server %s: tool %r left out: %s", self.name, definition.name, exc)
                skipped.append((definition.name, str(exc)))
                continue
            seen.add(local)
            tools.append(tool)
        if wanted is not None:
            missing = sorted(wanted - {d.name for d in listing})
            if missing:
                known = ", ".join(d.name for d in listing[:40])
                raise ValueError(
                    f"MCP server {self.name!r} has no tool {', '.join(map(repr, missing))}; it has: {known}"
                )
        return tools, skipped

    # ----- for people --------------------------------------------------------------------------

    def describe(self) -> ServerDescription:
        """The tools the server offers and what they say they do (connects briefly if needed)."""
        listing = self._link.listing
        if listing is None:
            with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="agentnb-mcp") as pool:
                listing = pool.submit(asyncio.run, self._peek()).result()
        tools, skipped = self._tools(listing)
        described = [
            (t.name, t.description, list(t.schema["function"]["parameters"].get("properties", {})))
            for t in tools
        ]
        return ServerDescription(self.origin, described, skipped)

    async def _peek(self) -> list[Any]:
        try:
            return await self._link.ensure()
        finally:
            await self._link.close()

    # ----- lifetime ----------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Stop the server now (a later use starts it again)."""
        await self._link.close()

    def close(self) -> None:
        """`aclose` from synchronous code: the server stops as soon as its event loop runs."""
        self._link.abandon()

    async def __aenter__(self) -> MCPServer:
        await self._link.ensure()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def default_name(command: str, args: list[str]) -> str:
    """A readable server name: the module after ``-m``, the package ``npx``/``uvx`` runs, or the program."""
    if "-m" in args[:-1]:
        return args[args.index("-m") + 1]
    program = Path(command).name
    if program in ("npx", "uvx", "pipx", "bunx") or program.startswith(("python", "node")):
        chosen = next((a for a in args if not a.startswith("-")), program)
        return _NAME.sub("_", chosen.rsplit("/", 1)[-1] if program.startswith(("python", "node")) else chosen)
    return _NAME.sub("_", program)


def _check_prefix(prefix: Any) -> str:
    if not isinstance(prefix, str) or (prefix and not TOOL_NAME.match(prefix)):
        raise ValueError(f"prefix: expected letters, digits, '_' or '-', e.g. prefix='git_', got {prefix!r}")
    return prefix


def _check_approval(value: Any) -> bool | frozenset[str]:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"requires_approval: expected True/False or a list of tool names, got {value!r}")
    return frozenset(value)


class _ClosingTransport:
    """A transport that closes the HTTP client it was given when it closes (the SDK leaves it open)."""

    def __init__(self, client: httpx2.AsyncClient, transport: Any) -> None:
        self._client = client
        self._transport = transport

    async def __aenter__(self) -> Any:
        return await self._transport.__aenter__()

    async def __aexit__(self, *exc: Any) -> Any:
        try:
            return await self._transport.__aexit__(*exc)
        finally:
            await self._client.aclose()
