"""Cost of drawing a team: run ``python tests/perf/bench_diagram.py``.

Prints a table of medians: the time ``team.diagram()`` takes to draw each mode's shape as SVG
(what a notebook shows) and as text (what ``print`` shows), for the newsroom-sized teams the
lessons draw and for a 12-participant graph. A diagram is drawn when a cell shows it and when
``%%agentteam --diagram`` opens a chat, so at the sizes the lessons draw it should cost under a millisecond. A
benchmark, never a timed assertion in the test suite.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable

from bench_core import print_table  # this script's folder is on sys.path when run as a script

from agentnb import Agent, Edge, Human, Team
from agentnb.core.plan import Plan, Step

REPEATS = 2_000


def agents(*names: str) -> list[Agent]:
    return [Agent(name, f"You are the {name}.") for name in names]


def teams() -> dict[str, Team]:
    desk = ("writer", "fact_checker", "editor")
    chain = [f"desk{i}" for i in range(12)]
    plan = Plan(
        goal="A weekend in Lisbon",
        steps=[
            Step(id="travel", description="Find a flight", assignee="transport"),
            Step(id="stay", description="Find a hotel", assignee="lodging"),
            Step(id="itinerary", description="Write it", assignee="writer", depends_on=["travel", "stay"]),
        ],
    )
    return {
        "round robin, 3 agents": Team(agents(*desk), until="APPROVED"),
        "selector, 3 agents": Team(agents(*desk), mode="selector"),
        "handoff, 2 agents and a person": Team(
            [
                Agent("triage", "You sort.", handoffs=["billing"]),
                Agent("billing", "You bill.", handoffs=["customer", "triage"]),
                Human("customer"),
            ],
            mode="handoff",
        ),
        "graph, 3 agents with a loop back": Team(
            agents(*desk),
            mode="graph",
            edges=[
                ("writer", "fact_checker"),
                Edge("fact_checker", "writer", {"verdict": "REVISE"}),
                Edge("fact_checker", "editor", "CLEARED"),
            ],
        ),
        "graph, 12 agents in a chain": Team(
            agents(*chain), mode="graph", edges=list(itertools.pairwise(chain))
        ),
        "plan, 3 steps": Team(agents("transport", "lodging", "writer"), mode="plan", planner=plan),
    }


def median_us(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """Median of ``repeats`` calls, timed in batches of 20 (one call is near the clock's grain)."""
    samples = []
    for _ in range(repeats // 20):
        started = time.perf_counter()
        for _ in range(20):
            fn()
        samples.append((time.perf_counter() - started) / 20)
    return statistics.median(samples) * 1e6


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    for name, team in teams().items():
        target = "" if "12" in name else "<= 1,000 us"  # (the sizes the lessons draw)
        rows.append((f"{name}: SVG", f"{median_us(lambda t=team: t.diagram().svg()):.0f} us", target))
        rows.append((f"{name}: text", f"{median_us(lambda t=team: t.diagram().text()):.0f} us", ""))
    print_table(rows)


if __name__ == "__main__":
    main()
