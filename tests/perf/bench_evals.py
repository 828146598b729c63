"""Evals at scale: ``python tests/perf/bench_evals.py`` prints medians of R rounds.

- 1,000 cases, each one model call with 100 ms latency, at most 50 at once: the wall time
  (target <= 3 s; the floor is 1,000 / 50 x 100 ms = 2 s), and the CPU time it took: the work
  runs while other cases wait for the model, so on a quiet machine the wall approaches
  max(floor, CPU) plus a tail;
- the same with no span-reading evaluator, so no spans are emitted;
- the runner's own CPU time per case, with an instant model: the whole agentnb eval (a team run,
  its spans emitted and collected, three evaluators, the report), without spans,
  pydantic-evals alone on a task that does nothing, and the team run alone; plus building
  and rendering the report;
- with ``--ray``: 200 cases in process and on a local Ray instance (2 CPUs, one case per CPU
  at a time), with an instant and a 100 ms model, and how long the instance takes to start.
  On one small machine Ray only adds overhead (a task round trip per case, a process per
  running case); it is there to spread an eval over many machines.
A benchmark, never a timed assertion in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import EqualsExpected, MaxModelRequests

from agentnb import Agent, Team
from agentnb.evals import SpeakerOrder, evaluate
from agentnb.evals.task import ensure_tracing
from agentnb.models import FunctionModel

CASES = 1_000
CONCURRENCY = 50
LATENCY = 0.1
RAY_CASES = 200


def wall(fn: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def cpu(fn: Callable[[], object]) -> float:
    """CPU seconds: an instant-model eval is one thread of work; CPU time is least disturbed by other load."""
    gc.collect()
    started = time.process_time()
    fn()
    return time.process_time() - started


def dataset(n: int, *, spans: bool = True) -> Dataset[Any, Any, Any]:
    """Cases checked by the answer and the speaker; ``spans`` adds a span-reading evaluator."""
    cases = [Case(name=f"case {i}", inputs=f"echo {i}", expected_output=f"ECHO {i}") for i in range(n)]
    evaluators = [EqualsExpected(), SpeakerOrder(["echo"]), *([MaxModelRequests(1)] if spans else [])]
    return Dataset(name="echo", cases=cases, evaluators=evaluators)


def echo(latency: float) -> Agent:
    """One agent, one model call per case: the reply is the task in capitals."""
    model = FunctionModel(
        lambda request: request.messages[-1]["content"].upper(), latency=latency, stream_tokens=False
    )
    return Agent("echo", "You repeat the task in capitals.", model=model)


def agentnb_eval(
    n: int, latency: float, *, spans: bool = True, clock: Callable[..., float] = wall, backend: Any = None
) -> float:
    data, subject = dataset(n, spans=spans), echo(latency)

    async def run() -> None:
        report = await evaluate(
            subject, data, repeat=1, max_concurrency=CONCURRENCY, progress=False, backend=backend
        )
        assert report.pass_rate.passed == n, report.view(reasons=3).text()

    return clock(lambda: asyncio.run(run()))


def plain_eval(n: int) -> float:
    """pydantic-evals with the same evaluators on a task that returns at once (no team, no spans)."""
    data = Dataset(name="echo", cases=dataset(n).cases, evaluators=[EqualsExpected()])

    async def task(inputs: str) -> str:
        return inputs.upper()

    return cpu(lambda: data.evaluate_sync(task, max_concurrency=CONCURRENCY, progress=False))


def team_runs(n: int) -> float:
    """The same team runs, back to back, with no eval around them."""
    subject = echo(0.0)

    async def run() -> None:
        for i in range(n):
            await Team([subject.copy()], name="echo", max_turns=1).run(f"echo {i}")

    return cpu(lambda: asyncio.run(run()))


def report_views(n: int) -> float:
    data, subject = dataset(n), echo(0.0)
    report = asyncio.run(evaluate(subject, data, repeat=1, max_concurrency=CONCURRENCY, progress=False))
    return cpu(lambda: (report.html(), report.markdown(), report.text()))


def median(fn: Callable[[], float], rounds: int) -> float:
    return statistics.median(fn() for _ in range(rounds))


def ray_rows(rounds: int) -> list[tuple[str, str, str]]:
    """200 cases in process and on a local Ray instance, with an instant and a 100 ms model."""
    from agentnb.evals.ray_backend import RayBackend

    started = time.perf_counter()
    backend = RayBackend(num_cpus=2).start()
    rows = [("local Ray instance (2 CPUs): start", f"{time.perf_counter() - started:.1f} s", "")]
    try:
        agentnb_eval(20, 0.0, backend=backend)  # warm up: the workers start and import agentnb
        for latency in (0.0, LATENCY):
            model = f"{latency * 1000:.0f} ms model" if latency else "instant model"
            here = median(partial(agentnb_eval, RAY_CASES, latency), rounds)
            there = median(partial(agentnb_eval, RAY_CASES, latency, backend=backend), rounds)
            rows += [
                (f"{RAY_CASES} cases, {model}: in process (concurrency {CONCURRENCY})", f"{here:.2f} s", ""),
                ("  on local Ray (2 cases at a time: one per CPU)", f"{there:.2f} s", ""),
            ]
    finally:
        backend.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ray", action="store_true", help="also 200 cases on a local Ray instance")
    parser.add_argument("--only-ray", action="store_true", help="only the Ray rows")
    args = parser.parse_args()
    rounds = args.rounds
    if args.only_ray:
        ensure_tracing()
        agentnb_eval(50, 0.0)
        show(ray_rows(rounds), rounds)
        return
    ensure_tracing()
    agentnb_eval(50, 0.0)  # warm up: imports, the tracer provider, pydantic's validators
    floor = CASES / CONCURRENCY * LATENCY
    latency = median(lambda: agentnb_eval(CASES, LATENCY), rounds)
    latency_cpu = median(lambda: agentnb_eval(CASES, LATENCY, clock=cpu), rounds)
    spanless = median(lambda: agentnb_eval(CASES, LATENCY, spans=False), rounds)
    instant = median(lambda: agentnb_eval(CASES, 0.0, clock=cpu), rounds)
    instant_spanless = median(lambda: agentnb_eval(CASES, 0.0, spans=False, clock=cpu), rounds)
    plain = median(lambda: plain_eval(CASES), rounds)
    alone = median(lambda: team_runs(CASES), rounds)
    views = median(lambda: report_views(CASES), rounds)
    rows = [
        (
            f"{CASES:,} cases, {LATENCY * 1000:.0f} ms model, concurrency {CONCURRENCY}: wall",
            f"{latency:.2f} s",
            f"<= 3 s (floor {floor:.0f} s)",
        ),
        ("  over the floor, per case", f"{(latency - floor) / CASES * 1e6:.0f} us", ""),
        ("  CPU time of that run (load on the machine inflates the wall)", f"{latency_cpu:.2f} s", ""),
        ("  the same, no span-reading evaluator (no spans)", f"{spanless:.2f} s", "<= 3 s"),
        ("runner CPU per case, instant model: agentnb eval", f"{instant / CASES * 1e6:.0f} us", ""),
        ("  no span-reading evaluator (no spans)", f"{instant_spanless / CASES * 1e6:.0f} us", ""),
        ("  pydantic-evals alone (no-op task, one evaluator)", f"{plain / CASES * 1e6:.0f} us", ""),
        ("  the team run alone", f"{alone / CASES * 1e6:.0f} us", ""),
        ("  the spans: emitted, collected, read", f"{(instant - instant_spanless) / CASES * 1e6:.0f} us", ""),
        (f"report of {CASES:,} runs: html + markdown + text", f"{views * 1000:.0f} ms", ""),
    ]
    if args.ray:
        rows += ray_rows(rounds)
    show(rows, rounds)


def show(rows: list[tuple[str, str, str]], rounds: int) -> None:
    width = max(len(r[0]) for r in rows)
    print(f"{'measure (median of ' + str(rounds) + ' rounds)':<{width}}  {'value':>9}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>9}  {target}")


if __name__ == "__main__":
    main()
