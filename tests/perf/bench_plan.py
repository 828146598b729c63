"""Plan execution: how close parallel steps come to the model's latency. Run by hand.

``python tests/perf/bench_plan.py`` prints medians of R runs:
- 32 independent steps, each one model call with 200 ms latency (target: wall <= 260 ms);
- a 6-level DAG of 200 ms steps (target: <= 6 x 200 ms + 60 ms);
- the executor's own cost per step with an instant model.
A benchmark, never a timed assertion in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from agentnb import Agent, Team
from agentnb.core.plan import Plan, Step
from agentnb.models import FunctionModel

LATENCY = 0.2


def wide(n: int) -> Plan:
    return Plan(steps=[Step(id=f"s{i}", description=f"part {i}", assignee="worker") for i in range(n)])


def deep(levels: int, width: int = 3) -> Plan:
    steps = []
    for level in range(levels):
        for i in range(width):
            deps = tuple(f"l{level - 1}_{j}" for j in range(width)) if level else ()
            steps.append(Step(id=f"l{level}_{i}", description="work", assignee="worker", depends_on=deps))
    return Plan(steps=steps)


def team_for(plan: Plan, latency: float) -> Team:
    async def reply(request):
        if latency:
            await asyncio.sleep(latency)
        return "done"

    return Team(
        [Agent("worker")],
        mode="plan",
        planner=plan,
        max_parallel=len(plan.steps),
        max_turns=10 * len(plan.steps),
        model=FunctionModel(reply),
        stream_tokens=False,
    )


def wall(plan: Plan, latency: float) -> float:
    team = team_for(plan, latency)
    started = time.perf_counter()
    result = team.run_sync("go")
    elapsed = time.perf_counter() - started
    assert result.stop_reason.startswith("plan finished"), result.stop_reason
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rows = []
    r = args.repeats
    w32 = statistics.median(wall(wide(32), LATENCY) for _ in range(r))
    rows.append(("32 independent steps x 200 ms, wall", f"{w32 * 1000:.0f} ms", "<= 260 ms"))
    d6 = statistics.median(wall(deep(6), LATENCY) for _ in range(r))
    rows.append(("6-level DAG (3 wide) x 200 ms, wall", f"{d6 * 1000:.0f} ms", "<= 1,260 ms"))
    n = 200
    per_step = statistics.median(wall(wide(n), 0.0) for _ in range(r)) / n
    rows.append((f"executor cost per step, instant model ({n} steps)", f"{per_step * 1e6:.0f} us", ""))
    width = max(len(label) for label, _, _ in rows)
    print(f"{'measure (median of ' + str(r) + ')':<{width}}  {'value':>9}  target")
    print("-" * (width + 24))
    for label, value, target in rows:
        print(f"{label:<{width}}  {value:>9}  {target}")


if __name__ == "__main__":
    main()
