"""OpenAIModel's overhead over the raw ``openai`` client (target: at most 5 %).

`measure_overhead` times the same short completions both ways against a live server,
alternating calls so drift in the server hits both sides alike; `measure_client_cost`
times both against an in-process fake server, which isolates the client-side cost.
Run standalone to start llama.cpp's server on SmolLM2-135M and print a table:

    python tests/perf/openai_overhead.py [--calls 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `tests` and `agentnb` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agentnb.core.model import ModelRequest, complete
from agentnb.models.openai_compat import OpenAIModel

MODEL = "smollm2"
MESSAGES = [
    {"role": "system", "content": "You are brief."},
    {"role": "user", "content": "Name one colour."},
]
PARAMS = {"max_tokens": 8, "temperature": 0.0}


def _raw_call(client: Any, stream: bool) -> Callable[[], Awaitable[str]]:
    """One completion through the raw client, with the same body OpenAIModel sends."""

    async def call() -> str:
        if not stream:
            completion = await client.chat.completions.create(model=MODEL, messages=MESSAGES, **PARAMS)
            return completion.choices[0].message.content or ""
        response = await client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}, **PARAMS
        )
        return "".join([c.choices[0].delta.content or "" async for c in response if c.choices])

    return call


def _model_call(model: OpenAIModel) -> Callable[[], Awaitable[str]]:
    request = ModelRequest(agent="bench", messages=MESSAGES)

    async def call() -> str:
        return (await complete(model, request)).text

    return call


async def _alternate(calls: dict[str, Callable[[], Awaitable[str]]], n: int) -> dict[str, float]:
    """Median seconds per call of each side, after one warm-up call each, taking turns.

    The side that goes first swaps every round, so a penalty for going first or second
    (the server's cache, the event loop's timers) falls on both alike.
    """
    for call in calls.values():
        await call()
    times: dict[str, list[float]] = {label: [] for label in calls}
    sides = list(calls.items())
    for i in range(n):
        for label, call in sides if i % 2 == 0 else sides[::-1]:
            started = time.perf_counter()
            await call()
            times[label].append(time.perf_counter() - started)
    return {label: statistics.median(values) for label, values in times.items()}


async def _compare(base_url: str, n: int, stream: bool, http_client_factory: Any = None) -> dict[str, float]:
    from openai import AsyncOpenAI

    raw = AsyncOpenAI(
        base_url=base_url,
        api_key="agentnb-bench",
        max_retries=0,
        http_client=http_client_factory() if http_client_factory else None,
    )
    model = OpenAIModel(
        MODEL, base_url=base_url, params=PARAMS, stream=stream, http_client_factory=http_client_factory
    )
    try:
        medians = await _alternate({"raw": _raw_call(raw, stream), "agentnb": _model_call(model)}, n)
    finally:
        await raw.close()
        await model.aclose()
    medians["overhead"] = medians["agentnb"] / medians["raw"] - 1
    return medians


def measure_overhead(base_url: str, n: int = 20) -> dict[str, Any]:
    """Median seconds per short completion at ``base_url``: raw client vs OpenAIModel.

    ``raw``/``agentnb``/``overhead`` (a fraction) are for streamed calls, agentnb's default;
    ``whole`` holds the same figures for non-streamed calls.
    """
    streamed = asyncio.run(_compare(base_url, n, stream=True))
    whole = asyncio.run(_compare(base_url, n, stream=False))
    return {**streamed, "whole": whole, "n": n, "base_url": base_url}


def _fake_server_factory() -> Callable[[], Any]:
    """HTTP clients answering every request in-process with the same 8-delta stream."""
    import httpx2

    chunks = [
        {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": MODEL,
         "choices": [{"index": 0, "delta": {"content": f"w{i} "}, "finish_reason": None}]}
        for i in range(8)
    ]  # fmt: skip
    chunks.append({**chunks[0], "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks).encode() + b"data: [DONE]\n\n"

    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    return lambda: httpx2.AsyncClient(transport=httpx2.MockTransport(answer))


def measure_client_cost(n: int = 500) -> dict[str, float]:
    """Median seconds per streamed call against an in-process fake server (client cost only)."""
    return asyncio.run(
        _compare("http://fake.test/v1", n, stream=True, http_client_factory=_fake_server_factory())
    )


def main() -> None:
    from tests.models.llama_server import llama_server, missing_packages

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20, help="calls per side against the server")
    args = parser.parse_args()
    missing = missing_packages()
    if missing:
        sys.exit(f"llama.cpp's server needs {', '.join(missing)}: pip install 'agentnb[server]'")
    with llama_server() as base_url:
        live = measure_overhead(base_url, args.calls)
    fake = measure_client_cost()
    rows = [
        ("streamed call, llama.cpp server", live["raw"], live["agentnb"], live["overhead"]),
        (
            "whole call, llama.cpp server",
            live["whole"]["raw"],
            live["whole"]["agentnb"],
            live["whole"]["overhead"],
        ),
        ("streamed call, in-process fake server", fake["raw"], fake["agentnb"], fake["overhead"]),
    ]
    print(f"OpenAIModel vs raw openai client · medians of {args.calls} alternating calls (fake: 500)")
    print(f"{'measure':<38} {'raw':>10} {'OpenAIModel':>12} {'overhead':>9}  target")
    for label, raw, ours, overhead in rows:
        target = "<= 5 %" if "server" in label and "fake" not in label else ""
        print(f"{label:<38} {raw * 1000:>7.2f} ms {ours * 1000:>9.2f} ms {overhead * 100:>+8.1f} %  {target}")


if __name__ == "__main__":
    main()
