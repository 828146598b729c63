"""A streamable-HTTP MCP server written with the official SDK only, that reports the headers it gets.

``app(url, require=...)`` is an ASGI app for `tests.protocols.conftest.Uvicorn`. Its tools:
``whoami`` answers with the ``Authorization`` and ``X-Api-Key`` headers of the request, the
credential after the scheme (what a server that checks a token would quote) and a SHA-256
digest of each (proof that the value arrived, which a scrubbed result still shows); every
request's headers are also kept in ``seen`` for the test to read. With ``require``, a request
whose ``Authorization`` is not exactly that gets ``401 Unauthorized``, as a protected server answers.
"""

from __future__ import annotations

import hashlib
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from starlette.types import ASGIApp, Receive, Scope, Send

WATCHED = ("authorization", "x-api-key")


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class Recorder:
    """The headers of every HTTP request the app received, in order (lower-case names)."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []


def app(url: str, recorder: Recorder, require: str | None = None) -> ASGIApp:
    server = MCPServer("headers")

    @server.tool()
    def whoami(ctx: Context) -> dict[str, Any]:
        """The credential headers of this request, and their SHA-256 digests."""
        headers = {k.lower(): v for k, v in (ctx.headers or {}).items()}
        answer: dict[str, Any] = {}
        for name in WATCHED:
            if name in headers:
                value = headers[name]
                answer[name] = value
                answer[f"{name} token"] = value.partition(" ")[2] or value
                answer[f"{name} sha256"] = digest(value)
        return answer

    inner = server.streamable_http_app()

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            recorder.seen.append(headers)
            if require is not None and headers.get("authorization") != require:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [(b"content-type", b"text/plain"), (b"www-authenticate", b"Bearer")],
                    }
                )
                await send({"type": "http.response.body", "body": b"missing or wrong bearer token"})
                return
        await inner(scope, receive, send)

    return guarded
