"""Costs of the protocol adapters: run ``python tests/perf/bench_protocols.py`` (mcp and a2a extras).

Prints tables of medians, never a timed assertion in the test suite:

- MCP tool round trip through a stdio server whose ``noop`` answers at once (the raw test
  server, no SDK inside): a bare JSON-RPC line over the pipe (the floor: the server's own
  time plus the pipe), the SDK's ``Client.call_tool``, agentnb's ``MCPTool.run`` (validation
  and result conversion on top), and one call inside an agent's turn compared with a local
  ``@tool`` that does nothing.
- First-use connect: spawn, handshake and tools/list, for the raw server and for the shipped
  example server (written with the SDK, whose own import takes most of its start).
- A2A turn on localhost: a team whose remote agent (written with the a2a-sdk only, serving
  from another process) answers at once: one turn within a run, and the first turn of a run.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RAW = str(ROOT / "tests" / "protocols" / "servers" / "raw_server.py")
ARCHIVE = ["-m", "agentnb.protocols.examples.archive_server"]
CALLS = 300
REPEATS = 7


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:8.3f} ms"


async def per_call(call: Callable[[], Awaitable[Any]], n: int = CALLS) -> float:
    for _ in range(20):  # warm up
        await call()
    started = time.perf_counter()
    for _ in range(n):
        await call()
    return (time.perf_counter() - started) / n


async def bare_pipe() -> float:
    """One JSON-RPC tools/call line written to the raw server's stdin and its answer read back."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, RAW, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdin is not None and process.stdout is not None
    line = (
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "noop"}}) + "\n"
    ).encode()

    async def call() -> None:
        process.stdin.write(line)  # type: ignore[union-attr]
        await process.stdout.readline()  # type: ignore[union-attr]

    try:
        return await per_call(call)
    finally:
        process.stdin.close()
        await process.wait()


async def sdk_client() -> float:
    from mcp import Client, StdioServerParameters

    async with Client(StdioServerParameters(command=sys.executable, args=[RAW])) as client:
        await client.list_tools()
        return await per_call(lambda: client.call_tool("noop", {}))


async def agentnb_tool() -> float:
    from agentnb.protocols.mcp import MCPServer

    async with MCPServer.stdio(sys.executable, [RAW], name="raw") as server:
        noop = next(t for t in await server.list_tools() if t.name == "noop")
        return await per_call(lambda: noop.run("{}"))


def in_a_turn(tools: list[Any], name: str, n: int = 100) -> float:
    """Seconds per tool call in one agent turn that makes ``n`` calls (scripted model)."""
    from agentnb import Agent, Team
    from agentnb.models import ScriptedModel
    from agentnb.models.scripted import call

    def run() -> float:
        script = {"worker": [*(call(name) for _ in range(n)), "done"]}
        agent = Agent("worker", tools=tools, model=ScriptedModel(script), max_tool_iterations=n + 1)
        team = Team([agent], max_turns=1, stream_tokens=False)
        started = time.perf_counter()
        team.run_sync("go")
        return (time.perf_counter() - started) / n

    run()
    return statistics.median(run() for _ in range(3))


def round_trips() -> list[tuple[str, float]]:
    from agentnb import tool
    from agentnb.protocols.mcp import MCPServer

    @tool(blocking=False)
    def noop() -> str:
        """Do nothing."""
        return "ok"

    rows = [
        ("bare JSON-RPC over the pipe (floor)", [asyncio.run(bare_pipe()) for _ in range(REPEATS)]),
        ("mcp SDK Client.call_tool", [asyncio.run(sdk_client()) for _ in range(REPEATS)]),
        ("agentnb MCPTool.run", [asyncio.run(agentnb_tool()) for _ in range(REPEATS)]),
    ]
    server = MCPServer.stdio(sys.executable, [RAW], name="raw").tools("noop")
    rows.append(("one call in an agent turn: MCP noop", [in_a_turn([server], "noop") for _ in range(3)]))
    rows.append(("one call in an agent turn: local @tool", [in_a_turn([noop], "noop") for _ in range(3)]))
    return [(name, statistics.median(samples)) for name, samples in rows]


def connects() -> list[tuple[str, list[float]]]:
    from agentnb.protocols.mcp import MCPServer

    async def connect(args: list[str]) -> float:
        server = MCPServer.stdio(sys.executable, args, name="bench")
        started = time.perf_counter()
        await server.list_tools()
        took = time.perf_counter() - started
        await server.aclose()
        return took

    async def close(args: list[str]) -> float:
        server = MCPServer.stdio(sys.executable, args, name="bench")
        await server.list_tools()
        started = time.perf_counter()
        await server.aclose()
        return time.perf_counter() - started

    return [
        ("connect: raw Python server (no SDK)", [asyncio.run(connect([RAW])) for _ in range(REPEATS)]),
        ("connect: example server (SDK)", [asyncio.run(connect(ARCHIVE)) for _ in range(REPEATS)]),
        ("close (server exits on stdin EOF)", [asyncio.run(close([RAW])) for _ in range(REPEATS)]),
    ]


async def sdk_a2a(url: str, streaming: bool) -> float:
    """One message sent and answered with the a2a-sdk's client alone (the floor for a turn)."""
    import httpx
    from a2a.client import ClientConfig, create_client
    from a2a.helpers.proto_helpers import new_text_message
    from a2a.types import Role, SendMessageRequest

    async with httpx.AsyncClient() as http:
        client = await create_client(url, ClientConfig(streaming=streaming, httpx_client=http))

        async def send() -> None:
            message = new_text_message("hello", role=Role.ROLE_USER)
            async for _ in client.send_message(SendMessageRequest(message=message)):
                pass

        try:
            return await per_call(send, 100)
        finally:
            await client.close()


def a2a_turns() -> list[tuple[str, list[float]]]:
    from agentnb import Agent, Team
    from agentnb.models import FunctionModel
    from agentnb.protocols.a2a import RemoteAgent

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    code = (
        "import sys, uvicorn; from tests.protocols.servers.sdk_a2a_agent import app; "
        f"uvicorn.run(app({url!r}), host='127.0.0.1', port={port}, log_level='warning')"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-c", code], env=env)
    try:
        for _ in range(300):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        local = Agent("local", model=FunctionModel(lambda request: "ok"))
        rows: list[tuple[str, list[float]]] = []
        for streaming in (True, False):
            remote = RemoteAgent(url, name="shouter", streaming=streaming)
            within: list[float] = []
            first: list[float] = []
            for _ in range(REPEATS):
                turns = 50
                team = Team([remote, local], max_turns=2 * turns, stream_tokens=False)
                started = time.perf_counter()
                team.run_sync("hello")
                within.append((time.perf_counter() - started) / turns)
                solo = Team([remote], max_turns=1, stream_tokens=False)
                started = time.perf_counter()
                solo.run_sync("hello")
                first.append(time.perf_counter() - started)
            how = "streaming" if streaming else "streaming=False"
            rows += [(f"turn within a run, {how}", within), (f"first turn of a run, {how}", first)]
            rows.append((f"the SDK's own client alone, {how}", [asyncio.run(sdk_a2a(url, streaming))]))
        return rows
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    print(f"{'MCP tool round trip (no-op tool, stdio)':<44} {'median per call':>16}")
    for name, seconds in round_trips():
        print(f"{name:<44} {seconds * 1000:13.3f} ms")
    print(f"\n{'MCP first use':<44} {'median':>16}")
    for name, samples in connects():
        print(f"{name:<44} {median_ms(samples):>16}")
    print(f"\n{'A2A on 127.0.0.1, instant remote agent':<44} {'median':>16}")
    for name, samples in a2a_turns():
        print(f"{name:<44} {median_ms(samples):>16}")


if __name__ == "__main__":
    main()
