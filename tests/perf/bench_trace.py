"""Cost of tracing: run ``python tests/perf/bench_trace.py``.

Prints a table of medians: CPU microseconds per message of a 3-agent round robin at
N = 10,000 with tracing off, traced live (``trace.follow``, building what a live trace view
builds: the span tree and the totals at every redraw, once a second and when the run ends)
and traced with the spans and totals built after the run, with and without token streaming
(each overhead is the median over rounds of back-to-back pairs, which the shared machine's
load disturbs least); then the
time to build, show (``result.trace()`` in a notebook: HTML + markdown + text), save (JSONL)
and export (OpenTelemetry, in memory) a trace of 10,001 spans. Targets (issue 10): tracing
<= 10% more per message; the view of a 10,000-span run in <= 1 s. A benchmark, never a
timed assertion in the test suite.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Callable

from bench_core import InstantModel  # this script's folder is on sys.path when run as a script

from agentnb import Agent, Team
from agentnb.trace import Trace

N = 10_000
REDRAW_SECONDS = 1.0  # how often a live trace view (agentnb.notebook.trace_view.TraceWidget) redraws


def team(n: int, deltas: int) -> Team:
    agents = [Agent(name, f"You are {name}.") for name in ("a", "b", "c")]
    return Team(agents, model=InstantModel(deltas), max_turns=n)


def off(n: int, deltas: int) -> float:
    t = team(n, deltas)

    async def run() -> None:
        async for _ in t.stream("go"):
            pass

    return timed(lambda: asyncio.run(run()), n)


def live(n: int, deltas: int) -> float:
    t = team(n, deltas)
    trace = Trace()

    def redraw() -> None:
        """What a live view builds before it draws: the span tree (priced) and the totals."""
        assert trace.roots
        trace.summary()

    async def run() -> None:
        drawn, seen = time.monotonic(), 0
        async for _ in trace.follow(t.stream("go")):
            seen += 1
            if seen % 64 == 0 and time.monotonic() - drawn >= REDRAW_SECONDS:  # (the clock, now and then)
                redraw()
                drawn = time.monotonic()
        redraw()  # the last redraw, when the run ends

    us = timed(lambda: asyncio.run(run()), n)
    assert len(trace.spans) == 2 * n + 1
    return us


def after(n: int, deltas: int) -> float:
    t = team(n, deltas)

    async def run() -> None:
        async for _ in t.stream("go"):
            pass
        Trace.from_events(t.last_result.messages).summary()

    return timed(lambda: asyncio.run(run()), n)


def timed(fn: Callable[[], object], n: int) -> float:
    """CPU microseconds per message: the run is one thread, and CPU time is what other load disturbs least."""
    gc.collect()
    started = time.process_time()
    fn()
    return (time.process_time() - started) / n * 1e6


def interleaved(runs: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Each measure ``repeats`` times, in turns, so that other load on the machine hits all alike."""
    values: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            values[name].append(fn())
    return values


def overhead(traced: list[float], off: list[float]) -> float:
    """Median over rounds of (traced / off - 1): each round's pair ran back to back."""
    return statistics.median(t / o - 1 for t, o in zip(traced, off, strict=True))


def seconds(fn: Callable[[], object], repeats: int = 5) -> float:
    samples = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def otel_export(trace: Trace) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    trace.to_otel(provider)
    provider.shutdown()


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    for deltas in (0, 5):
        label = f", {deltas} token deltas" if deltas else ""
        values = interleaved(
            {
                "off": lambda d=deltas: off(N, d),
                "live": lambda d=deltas: live(N, d),
                "after": lambda d=deltas: after(N, d),
            },
            repeats=9,
        )
        base = values["off"]
        rows.append((f"per message, tracing off, N={N:,}{label}", f"{statistics.median(base):.1f} us", ""))
        for name, what in (("live", "traced live (follow)"), ("after", "traced, spans + totals built after")):
            value = statistics.median(values[name])
            extra = overhead(values[name], base) * 100
            rows.append((f"per message, {what}{label}", f"{value:.1f} us", f"{extra:+.1f}% (<= 10%)"))
    events = team(N // 2, 0).run_sync("go").messages
    build = seconds(lambda: Trace.from_events(events).spans)
    rows.append(("build the spans of a 10,001-span run", f"{build * 1e3:.0f} ms", ""))

    def shown(times: bool) -> None:
        view = Trace.from_events(events).view(times=times)
        view.html(), view.markdown(), view.text()

    rows.append(
        (
            "result.trace() shown: build + view (html, md, text)",
            f"{seconds(lambda: shown(True)) * 1e3:.0f} ms",
            "<= 1000 ms",
        )
    )
    rows.append(("the same with times=False", f"{seconds(lambda: shown(False)) * 1e3:.0f} ms", ""))
    trace = Trace.from_events(events)
    rows.append(("JSONL of 10,001 spans", f"{seconds(trace.to_jsonl, 3) * 1e3:.0f} ms", ""))
    try:
        otel = seconds(lambda: otel_export(trace), 3)
        rows.append(("OpenTelemetry export of 10,001 spans (in memory)", f"{otel * 1e3:.0f} ms", ""))
    except ImportError:
        rows.append(("OpenTelemetry export", "skipped", "pip install 'agentnb[trace]'"))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure (median)'.ljust(width)}  {'value':>10}  target")
    print("-" * (width + 30))
    for label, value, target in rows:
        print(f"{label.ljust(width)}  {value:>10}  {target}")


if __name__ == "__main__":
    main()
