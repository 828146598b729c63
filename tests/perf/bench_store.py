"""What durable runs cost: run ``python tests/perf/bench_store.py``.

Prints a table of medians: microseconds per message that writing every event to a run store
adds to the in-memory run (3-agent round robin, instant models, N = 10,000, like
bench_core.py; with and without 5 token deltas per message), the cost of one batch (what a
turn costs when models are real and every model call is a batch), ``Team.resume`` of a
100,000-event run (and resume plus one more turn), and the store's size per message against
the JSON of its events. SQLite's work happens in this process, so its rows are measured in
this process's CPU time (steady on a shared machine); PostgreSQL's in wall time (the server
works in other processes). PostgreSQL rows need PostgreSQL's server programs and psycopg (a
throwaway server is started, as the tests do). Targets (issue 17): <= 20 us per message over
the in-memory run (<= 30 us with 5 token deltas), resume <= 200 ms, PostgreSQL <= 150 us per
message, size <= 1.5x the events' JSON. A benchmark, never a timed assertion in the suite.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agentnb import Agent, Team
from agentnb.core.events import events_to_data
from agentnb.store import open_store
from tests import pg
from tests.perf.bench_core import InstantModel, print_table

N = 10_000
BIG = 50_000  # turns of the run resumed: 100,002 events


def agents() -> list[Agent]:
    return [Agent(name, f"You are {name}.") for name in ("a", "b", "c")]


def run_us(n: int, deltas: int, store: object = None, clock: Any = time.process_time) -> float:
    """Microseconds per message of a run of ``n`` messages (written to ``store``, if given)."""
    options = {"store": store} if store is not None else {}
    team = Team(agents(), model=InstantModel(deltas), max_turns=n, **options)
    gc.collect()
    started = clock()
    result = team.run_sync("go")
    elapsed = clock() - started
    assert result.turns == n, result.stop_reason
    return elapsed / n * 1e6


def overhead_us(
    n: int, deltas: int, store_for: Any, clock: Any = time.process_time, repeats: int = 5
) -> float:
    """Median over ``repeats`` of (stored run - in-memory run), runs alternating."""
    extra = []
    for _ in range(repeats):
        stored = run_us(n, deltas, store_for(), clock)
        memory = run_us(n, deltas, None, clock)
        extra.append(stored - memory)
    return statistics.median(extra)


def batch_us(store_for: object, batches: int = 300) -> float:
    """One batch of one message (2 events): what each turn writes when the model call waits."""
    team = Team(agents(), model=InstantModel(), max_turns=1, store=store_for())  # type: ignore[operator]
    team.run_sync("go")
    history, writer = team.history, team.history.sink
    turn, reply = team.transcript[-3], team.transcript[-2]

    async def write() -> list[float]:
        times = []
        for _ in range(batches):
            history.record(turn)
            history.record(reply)
            started = time.perf_counter()
            writer.flush()  # type: ignore[union-attr]
            times.append(time.perf_counter() - started)
        return times

    writer.claim()  # type: ignore[union-attr]
    try:
        return statistics.median(asyncio.run(write())) * 1e6
    finally:
        writer.release()  # type: ignore[union-attr]


def resume_ms(path: str, run_id: str, turn: bool, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        if turn:  # a new task for one turn: the agent's first turn reads the whole transcript
            team = Team.resume(path, run_id, agents(), model=InstantModel(), max_turns=1)
            team.run_sync("one more")
        else:
            team = Team.resume(path, run_id, agents(), model=InstantModel())
        times.append(time.perf_counter() - started)
        del team
    return statistics.median(times) * 1e3


def size_ratio(folder: Path) -> tuple[float, float]:
    """(bytes per message in the store file, that / bytes of the events' JSON per message)."""
    path = folder / "size.db"
    team = Team(agents(), model=InstantModel(), max_turns=N, store=str(path))
    team.run_sync("go")
    open_store(str(path)).close()
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    stored = path.stat().st_size / N
    as_json = len(json.dumps(events_to_data(team.transcript), ensure_ascii=False)) / N
    return stored, stored / as_json


def main() -> None:
    asyncio.set_event_loop_policy(None)
    rows: list[tuple[str, str, str]] = []
    folder = Path(tempfile.mkdtemp(prefix="agentnb-bench-store-"))
    counter = iter(range(10**6))

    def sqlite_store() -> str:
        return str(folder / f"runs-{next(counter)}.db")

    for deltas in (0, 5):
        streamed = f", {deltas} token deltas" if deltas else ""
        target = "<= 30 us" if deltas else "<= 20 us"
        value = overhead_us(N, deltas, sqlite_store)
        rows.append(
            (f"SQLite: per message over in-memory (CPU), N={N:,}{streamed}", f"{value:.1f} us", target)
        )
        value = overhead_us(N, deltas, sqlite_store, time.perf_counter)
        rows.append((f"SQLite: the same, wall time{streamed}", f"{value:.1f} us", target))
    rows.append(
        ("SQLite: one batch of one message (a turn on a real model)", f"{batch_us(sqlite_store):.0f} us", "")
    )

    big = str(folder / "big.db")
    team = Team(agents(), model=InstantModel(), max_turns=BIG, store=big, run_id="big")
    team.run_sync("go")
    events = len(team.transcript)
    del team
    rows.append(
        (
            f"Team.resume of a {events:,}-event run (SQLite)",
            f"{resume_ms(big, 'big', False):.1f} ms",
            "<= 200 ms",
        )
    )
    rows.append(
        (
            "  ... and run one more turn (reads the whole transcript)",
            f"{resume_ms(big, 'big', True, 3):.0f} ms",
            "",
        )
    )
    per_message, ratio = size_ratio(folder)
    rows.append(("SQLite: file size per message", f"{per_message:.0f} B", ""))
    rows.append(("SQLite: size / JSON of the events", f"{ratio:.2f}x", "<= 1.5x"))

    problem = pg.missing()
    if problem is None:
        with pg.PostgresServer.started() as server:
            value = overhead_us(N, 0, server.new_database, time.perf_counter)
            rows.append(
                (
                    f"PostgreSQL (localhost): per message over in-memory, N={N:,}",
                    f"{value:.1f} us",
                    "<= 150 us",
                )
            )
            value = batch_us(server.new_database)
            rows.append(
                ("PostgreSQL: one batch of one message (a turn on a real model)", f"{value:.0f} us", "")
            )
    else:
        rows.append(("PostgreSQL", "skipped", f"missing: {problem}"))

    for path in folder.iterdir():
        path.unlink()
    os.rmdir(folder)
    print_table(rows)


if __name__ == "__main__":
    main()
