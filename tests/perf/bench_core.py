"""Framework overhead of the core, with instant models: run ``python tests/perf/bench_core.py``.

Prints a table of medians: microseconds per message in a 3-agent round robin at N = 1,000,
10,000 and 100,000 messages (checkpoints always on; with and without 5 token deltas per
message), the memory a run keeps per message (tracemalloc, N = 10,000), microseconds per
tool round trip, and the wall time of ``from agentnb import Agent, Team`` over a bare
interpreter. Targets (issue 15): <= 15 us per message at N = 1,000 and the same at 100,000,
<= 25 us with 5 token deltas, <= 1 KiB retained per message, import <= 80 ms. ``--quick``
skips N = 100,000. A benchmark, never a timed assertion in the test suite.
"""

from __future__ import annotations

import asyncio
import compileall
import gc
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import agentnb
from agentnb import Agent, Team, tool
from agentnb.core.events import ToolCall, Usage
from agentnb.core.model import ModelReply, ModelRequest

USAGE = Usage(prompt_tokens=10, completion_tokens=2)


class InstantModel:
    """Replies at once; with ``deltas`` it also streams that many text pieces first."""

    name = "instant"

    def __init__(self, deltas: int = 0) -> None:
        self.deltas = ["tok "] * deltas

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ModelReply]:
        for piece in self.deltas:
            yield piece
        yield ModelReply(text="ok " * max(1, len(self.deltas)), usage=USAGE, model=self.name)


class ToolLoopModel:
    """Calls the tool on every request (the agent's iteration bound ends the loop)."""

    name = "tool-loop"

    def __init__(self, tool_name: str) -> None:
        self.tool_name = tool_name
        self.n = 0

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ModelReply]:
        self.n += 1
        if request.tools:
            yield ModelReply(
                tool_calls=[ToolCall(id=f"c{self.n}", name=self.tool_name, arguments='{"x": 1}')], usage=USAGE
            )
        else:
            yield ModelReply(text="done", usage=USAGE)


@tool(blocking=False)
def inline_tool(x: int) -> int:
    """Returns x + 1 inline."""
    return x + 1


@tool
async def async_tool(x: int) -> int:
    """Returns x + 1 as a coroutine."""
    return x + 1


@tool
def threaded_tool(x: int) -> int:
    """Returns x + 1 in a worker thread (the default for sync tools)."""
    return x + 1


def per_message_us(n: int, deltas: int) -> float:
    agents = [Agent(name, f"You are {name}.") for name in ("a", "b", "c")]
    team = Team(agents, model=InstantModel(deltas), max_turns=n)
    gc.collect()
    started = time.perf_counter()
    result = team.run_sync("go")
    elapsed = time.perf_counter() - started
    assert result.turns == n, result.stop_reason
    return elapsed / n * 1e6


def retained_bytes_per_message(n: int = 10_000) -> float:
    """What a finished run keeps per message: transcript, state snapshots, agents' contexts."""
    agents = [Agent(name, f"You are {name}.") for name in ("a", "b", "c")]
    team = Team(agents, model=InstantModel(0), max_turns=n)
    team.run_sync("warm up")  # first-use caches (validators, schemas) are not the run's
    team.reset()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    team.run_sync("go")
    team.last_result = None  # the result is the caller's copy, not what the team keeps
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return kept / n


def per_tool_round_trip_us(the_tool, rounds: int = 2000) -> float:
    agent = Agent("worker", tools=[the_tool], model=ToolLoopModel(the_tool.name), max_tool_iterations=rounds)
    team = Team([agent], max_turns=1)
    gc.collect()
    started = time.perf_counter()
    result = team.run_sync("go")
    elapsed = time.perf_counter() - started
    assert result.final == "done"
    return elapsed / rounds * 1e6


def import_ms(statement: str, repeats: int = 15) -> float:
    """Wall time of ``statement`` in a fresh interpreter over ``pass``, with the package's bytecode
    compiled first, as a pip install leaves it (PYTHONDONTWRITEBYTECODE would otherwise make every
    run compile agentnb's sources again: ~35 ms of the figure)."""
    compileall.compile_dir(str(Path(agentnb.__file__).parent), quiet=1)

    def once(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - started

    bare = statistics.median(once("pass") for _ in range(repeats))
    loaded = statistics.median(once(statement) for _ in range(repeats))
    return (loaded - bare) * 1e3


def median(fn, *args, repeats: int = 5) -> float:
    return statistics.median(fn(*args) for _ in range(repeats))


def main() -> None:
    asyncio.set_event_loop_policy(None)
    quick = "--quick" in sys.argv
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    rows: list[tuple[str, str, str]] = []
    per_n = {}
    per_message_us(2_000, 5)  # warm up: first-use work (caches, allocator pools) is not per message
    for deltas in (0, 5):
        for n in sizes:
            value = median(per_message_us, n, deltas, repeats=7 if n < 100_000 else 3)
            per_n[(deltas, n)] = value
            label = f"per message, 3-agent round robin, N={n:,}" + (
                f", {deltas} token deltas" if deltas else ""
            )
            rows.append((label, f"{value:.1f} us", "<= 25 us" if deltas else "<= 15 us"))
        largest = sizes[-1]
        ratio = per_n[(deltas, largest)] / per_n[(deltas, 1_000)]
        streaming = " (streaming)" if deltas else ""
        rows.append((f"growth N={largest:,} / N=1,000{streaming}", f"{ratio:.2f}x", "about 1x"))
    kept = median(retained_bytes_per_message, repeats=3)
    rows.append(("memory kept per message (tracemalloc, N=10,000)", f"{kept:.0f} B", "<= 1,024 B"))
    for the_tool in (inline_tool, async_tool, threaded_tool):
        value = median(per_tool_round_trip_us, the_tool)
        rows.append((f"per tool round trip ({the_tool.name})", f"{value:.1f} us", "<= 100 us"))
    rows.append(("import agentnb over bare python", f"{import_ms('import agentnb'):.1f} ms", ""))
    rows.append(
        (
            "from agentnb import Agent, Team over bare python",
            f"{import_ms('from agentnb import Agent, Team'):.1f} ms",
            "<= 80 ms",
        )
    )
    print_table(rows)


def print_table(rows: list[tuple[str, str, str]]) -> None:
    """Rows of (measure, median, target) as a table on stdout."""
    width = max(len(r[0]) for r in rows)
    print(f"{'measure (median)'.ljust(width)}  {'value':>12}  target")
    print("-" * (width + 26))
    for label, value, target in rows:
        print(f"{label.ljust(width)}  {value:>12}  {target}")


if __name__ == "__main__":
    main()
