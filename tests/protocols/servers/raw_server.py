"""A tiny MCP server over stdio, written without the SDK, that misbehaves on request.

    python raw_server.py [--tools N] [--bad-schema] [--hang]

It speaks the handshake-era protocol (newline-delimited JSON-RPC): ``initialize``,
``tools/list`` and ``tools/call``. Tools: ``noop`` (answers at once: the benchmarks' round
trip), ``pid`` (its process id), ``big(size)`` (a text result of ``size`` characters),
``crash`` (writes to stderr, then exits with status 3), ``sleep(seconds)``; ``--tools N`` adds
``tool_0`` … ``tool_{N-1}``; ``--bad-schema`` adds ``broken``, whose input schema is invalid;
``--hang`` never answers anything (a server stuck at start).
"""

from __future__ import annotations

import json
import os
import sys
import time

OBJECT = {"type": "object", "properties": {}}


def tool(name: str, description: str, properties: dict | None = None, required: tuple = ()) -> dict:
    schema = {"type": "object", "properties": properties or {}, "required": list(required)}
    return {"name": name, "description": description, "inputSchema": schema}


def tools(extra: int, bad_schema: bool) -> list[dict]:
    listed = [
        tool("noop", "Do nothing, at once."),
        tool("pid", "This server's process id."),
        tool("big", "A long text.", {"size": {"type": "integer", "minimum": 0}}, ("size",)),
        tool("crash", "Stop this server with an error."),
        tool("sleep", "Answer after some seconds.", {"seconds": {"type": "number"}}, ("seconds",)),
    ]
    listed += [tool(f"tool_{i}", f"Numbered tool {i}.", {"x": {"type": "integer"}}) for i in range(extra)]
    if bad_schema:
        listed.append(
            {
                "name": "broken",
                "description": "Bad.",
                "inputSchema": {"type": "object", "properties": {"x": {"type": 12}}},
            }
        )
    return listed


def text(value: str) -> dict:
    return {"content": [{"type": "text", "text": value}], "isError": False}


def call(name: str, arguments: dict) -> dict:
    if name == "noop":
        return text("ok")
    if name == "pid":
        return text(str(os.getpid()))
    if name == "big":
        return text("x" * int(arguments["size"]))
    if name == "crash":
        sys.stderr.write("boom: the raw server crashes on purpose\n")
        sys.stderr.flush()
        os._exit(3)
    if name == "sleep":
        time.sleep(float(arguments["seconds"]))
        return text("slept")
    return text(f"{name} got {json.dumps(arguments)}")


def main() -> None:
    argv = sys.argv[1:]
    if "--hang" in argv:
        while True:
            time.sleep(3600)
    extra = int(argv[argv.index("--tools") + 1]) if "--tools" in argv else 0
    listed = tools(extra, "--bad-schema" in argv)
    for line in sys.stdin:
        message = json.loads(line)
        if "id" not in message:
            continue  # a notification
        method, params = message["method"], message.get("params") or {}
        if method == "initialize":
            result = {
                "protocolVersion": params.get("protocolVersion", "2025-06-18"),
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "raw", "version": "1"},
            }
        elif method == "tools/list":
            result = {"tools": listed}
        elif method == "tools/call":
            result = call(params["name"], params.get("arguments") or {})
        else:
            reply = {
                "jsonrpc": "2.0",
                "id": message["id"],
                "error": {"code": -32601, "message": f"no {method}"},
            }
            print(json.dumps(reply), flush=True)
            continue
        print(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}), flush=True)


if __name__ == "__main__":
    main()
