"""Many threads or processes opening the same new store file at once: one creates it, all use it.

Before the fix, 17-20 of 20 rounds with 4 threads and 6 of 25 with 3 processes failed with
"table meta already exists" (the check for an empty file and the creation were two steps).
"""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path
from typing import Any

from agentnb.memory import MemoryStore

ROUNDS = 20


def open_and_remember(path: Path, who: str) -> str | None:
    """Open the store at ``path``, write one fact; the error's text if anything failed."""
    try:
        with MemoryStore(path) as store:
            store.remember(f"{who} was here", by=who)
    except Exception as exc:
        return f"{who}: {exc!r}"
    return None


def race_in_process(paths: list[Path], who: str, barrier: Any, results: Any) -> None:
    """One racing process: meets the others at the barrier before each new file."""
    for path in paths:
        barrier.wait()
        results.put(open_and_remember(path, who))


def test_threads_creating_one_new_store_at_once_all_succeed(tmp_path):
    errors: list[str] = []
    for round_number in range(ROUNDS):
        path = tmp_path / f"round{round_number}" / "memory.db"
        barrier = threading.Barrier(4)

        def racer(who: str, path: Path = path, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            failed = open_and_remember(path, who)
            if failed:
                errors.append(failed)

        threads = [threading.Thread(target=racer, args=(f"thread{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with MemoryStore(path) as store:
            assert len(store) == 4, f"round {round_number}: {[f.text for f in store.facts()]}"
    assert errors == []


def test_processes_creating_one_new_store_at_once_all_succeed(tmp_path):
    context = multiprocessing.get_context("spawn")  # no fork of a process that runs threads
    paths = [tmp_path / f"round{n}" / "memory.db" for n in range(ROUNDS)]
    barrier, results = context.Barrier(3), context.Queue()
    processes = [
        context.Process(target=race_in_process, args=(paths, f"process{n}", barrier, results))
        for n in range(3)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in range(3 * ROUNDS)]
    for process in processes:
        process.join(timeout=30)
    assert [p.exitcode for p in processes] == [0, 0, 0]
    assert [o for o in outcomes if o is not None] == []
    for path in paths:
        with MemoryStore(path) as store:
            assert sorted(f.by for f in store.facts()) == ["process0", "process1", "process2"]
