"""Costs of code execution: run ``python tests/perf/bench_execution.py``.

Prints a table of medians: the first call of a run (the kernel starts: process, IPython,
channels), a call that prints one line, a call that returns a 1 MB output (read and cut
to 20,000 characters), a crash and recovery (``os._exit`` then a fresh kernel at the next
call), and ``close()``. A benchmark, never a timed assertion in the test suite.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from agentnb.execution import CodeExecutor, code_executor

REPEATS = 5


def timed(executor: CodeExecutor, *codes: str) -> float:
    """Seconds to run ``codes`` one after another (each call as a run's tool call would)."""
    started = time.perf_counter()
    for code in codes:
        asyncio.run(executor(code))
    return time.perf_counter() - started


def measure() -> dict[str, list[float]]:
    times: dict[str, list[float]] = {
        "first call (kernel start)": [],
        "print one line": [],
        "1 MB of output, cut": [],
        "crash, then next call": [],
        "close()": [],
    }
    for _ in range(REPEATS):
        executor = code_executor()
        times["first call (kernel start)"].append(timed(executor, "1"))
        times["print one line"].append(timed(executor, "print('hello')"))
        times["1 MB of output, cut"].append(timed(executor, "print('x' * 1_000_000)"))
        times["crash, then next call"].append(timed(executor, "import os; os._exit(1)", "1"))
        started = time.perf_counter()
        executor.close()
        times["close()"].append(time.perf_counter() - started)
    return times


def main() -> None:
    rows = measure()
    print(f"{'operation':<28} {'median':>10}")
    for name, samples in rows.items():
        print(f"{name:<28} {statistics.median(samples) * 1000:>8.1f} ms")


if __name__ == "__main__":
    main()
