"""One side of compare_autogen.py in its own fresh process: warm up, time one run, print one JSON line.

Both side scripts (agentnb_side.py in agentnb's venv, autogen_side.py in AutoGen's) import this
module, so they warm up, collect garbage and report in exactly the same way. Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import sys
from collections.abc import Callable, Coroutine
from importlib.metadata import version
from typing import Any

# A workload builds its team or agent, awaits one run of ``size`` messages (or tool round trips)
# timed around that run alone, and returns (seconds, counts of the work actually done).
Workload = Callable[[int], Coroutine[Any, Any, tuple[float, dict[str, int]]]]

WORKLOADS = ("round_robin", "tool_loop_async", "tool_loop_thread")
WARMUP_SIZE = 6


def run_side(side: str, packages: list[str], workloads: dict[str, Workload]) -> None:
    """Parse ``<workload> <size>``, run a small warm-up then the timed run, print the JSON result."""
    parser = argparse.ArgumentParser(description=f"One timed {side} run for compare_autogen.py.")
    parser.add_argument("workload", choices=sorted(workloads))
    parser.add_argument("size", type=int, help="messages (round robin) or tool round trips (tool loops)")
    args = parser.parse_args()
    if args.size < 1:
        parser.error(f"size: expected a positive integer, got {args.size}")
    workload = workloads[args.workload]
    # The first run in a process pays for lazy imports and caches; time the steady state.
    asyncio.run(workload(WARMUP_SIZE))
    gc.collect()
    seconds, counts = asyncio.run(workload(args.size))
    record = {
        "side": side,
        "workload": args.workload,
        "size": args.size,
        "seconds": seconds,
        "counts": counts,
        "python": platform.python_version(),
        "versions": {name: version(name) for name in packages},
    }
    print(json.dumps(record))
    sys.stdout.flush()
