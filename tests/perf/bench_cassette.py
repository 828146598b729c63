"""Cassette recording cost: run ``python tests/perf/bench_cassette.py [--runs N]``.

Records 100 and 1,000 calls of an instant model (replies of about 80 words, a two-message
request) and prints medians over the runs: bytes handed to write() per call (Linux's
``/proc/self/io`` count for this process, so it measures what really reached the kernel) and
microseconds per call, recording and not. Rewriting the whole file after each call makes both
grow with the length of the recording; appending keeps them flat. Never a timed assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from agentnb.models import FunctionModel, ModelRequest, complete
from agentnb.models.spec import record

REPLY = "a fairly ordinary reply, streamed in pieces, of the length a chat model gives " * 6
SYSTEM = {"role": "system", "content": "You are a helpful assistant who answers briefly."}
Row = tuple[str, str]


def written() -> int:
    fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return int(fields["wchar"])


def run_calls(model: object, n: int) -> None:
    async def go() -> None:
        for i in range(n):
            question = {"role": "user", "content": f"question number {i}"}
            await complete(model, ModelRequest(agent="bench", messages=[SYSTEM, question]))  # type: ignore[arg-type]

    asyncio.run(go())


def one_run(n: int, folder: Path) -> tuple[float, float, float, int]:
    """(bytes written per call, us per call recording, us per call without, cassette size)."""
    live = FunctionModel(lambda request: REPLY)
    started = time.perf_counter()
    run_calls(live, n)
    plain = (time.perf_counter() - started) / n
    path = folder / f"run{n}.json"
    before_bytes, started = written(), time.perf_counter()
    run_calls(record(live, path), n)
    recording = (time.perf_counter() - started) / n
    return (written() - before_bytes) / n, recording * 1e6, plain * 1e6, path.stat().st_size


def rows(runs: int) -> list[Row]:
    table: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (100, 1_000):
            results = [one_run(n, Path(tmp)) for _ in range(runs)]
            per_call, recording, plain, size = (
                statistics.median(column) for column in zip(*results, strict=True)
            )
            table += [
                (f"{n:,} calls: bytes written per call", f"{per_call:,.0f} B"),
                (f"{n:,} calls: cassette size per call", f"{size / n:,.0f} B"),
                (f"{n:,} calls: time per call, recording", f"{recording:,.0f} us"),
                (f"{n:,} calls: time per call, same model not recorded", f"{plain:,.0f} us"),
            ]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="recordings per size (medians over them)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"cassette recording · {os.cpu_count()} cores · load {load:.1f} · medians of {args.runs}")
    table = rows(args.runs)
    width = max(len(name) for name, _ in table)
    for name, value in table:
        print(f"{name:<{width}}  {value:>12}")


if __name__ == "__main__":
    main()
