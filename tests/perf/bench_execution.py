"""Costs of code execution, unisolated and in bubblewrap: run ``python tests/perf/bench_execution.py``.

Prints a table of medians for both isolations (``none``, the cost before isolation, and
``bubblewrap``) and what isolation adds: the first call of a run (the kernel starts: bwrap's
namespaces and limits, the process, IPython, channels), a call that prints one line, a
call that returns a 1 MB output (read and cut to 20,000 characters), a crash and recovery
(``os._exit`` then a fresh kernel at the next call), and ``close()``. The two isolations
alternate, so a busy machine slows both alike. A benchmark, never a timed assertion in
the test suite.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from agentnb.execution import CodeExecutor, code_executor

REPEATS = 7
CALLS = 20  # per-call rows time this many calls and report one
ISOLATIONS = ("none", "bubblewrap")
ROWS = (
    "first call (kernel start)",
    "print one line",
    "1 MB of output, cut",
    "crash, then next call",
    "close()",
)


def timed(executor: CodeExecutor, *codes: str, repeat: int = 1) -> float:
    """Seconds per run of ``codes`` one after another (each call as a run's tool call would)."""
    started = time.perf_counter()
    for _ in range(repeat):
        for code in codes:
            asyncio.run(executor(code))
    return (time.perf_counter() - started) / repeat


def measure_once(isolation: str, times: dict[str, list[float]]) -> None:
    executor = code_executor(isolation=isolation)
    times["first call (kernel start)"].append(timed(executor, "1"))
    times["print one line"].append(timed(executor, "print('hello')", repeat=CALLS))
    times["1 MB of output, cut"].append(timed(executor, "print('x' * 1_000_000)"))
    times["crash, then next call"].append(timed(executor, "import os; os._exit(1)", "1"))
    started = time.perf_counter()
    executor.close()
    times["close()"].append(time.perf_counter() - started)


def measure() -> dict[str, dict[str, list[float]]]:
    times: dict[str, dict[str, list[float]]] = {i: {row: [] for row in ROWS} for i in ISOLATIONS}
    for _ in range(REPEATS):
        for isolation in ISOLATIONS:
            measure_once(isolation, times[isolation])
    return times


def main() -> None:
    times = measure()
    print(f"{'operation (median of ' + str(REPEATS) + ')':<28} {'none':>10} {'bubblewrap':>12} {'added':>10}")
    for row in ROWS:
        before, after = (statistics.median(times[i][row]) * 1000 for i in ISOLATIONS)
        print(f"{row:<28} {before:>7.1f} ms {after:>9.1f} ms {after - before:>+7.1f} ms")


if __name__ == "__main__":
    main()
