"""Store files and servers that fail: each failure injected, each error names the store, nothing lost."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from agentnb import RunError, StoreError, Team
from agentnb.models import FunctionModel
from agentnb.store import SQLiteStore, open_store
from tests import pg
from tests.files import tamper, unprivileged
from tests.store.teams import agents, plain, reply, resumed, trio


def stored_run(path: Path) -> bytes:
    trio(store=str(path), run_id="r").run_sync("go")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path.read_bytes()


def test_a_file_that_is_not_a_database_is_refused_by_name_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    path.write_bytes(b"these are my notes, not a database" * 200)
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught:
        trio(store=str(path))
    assert f"cannot use run store {path}: the file is not a SQLite database, or it is damaged" in str(
        caught.value
    )
    assert path.read_bytes() == before


def test_a_damaged_page_is_reported_by_name_when_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    stored_run(path)
    data = bytearray(path.read_bytes())
    page = 8192
    data[page * 2 : page * 2 + 100] = b"\xff" * 100  # a page of the run's events or its index
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=f"run store {path}"):
        team = resumed(str(path), "r")
        list(team.transcript)


def test_a_store_of_a_newer_agentnb_is_refused_and_not_changed(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    stored_run(path)
    tamper(path, "UPDATE meta SET value = '2' WHERE key = 'version'")
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught:
        resumed(str(path), "r")
    assert f"cannot open run store {path}: it was written by a newer agentnb (format version 2; " in str(
        caught.value
    )
    assert "Upgrade agentnb" in str(caught.value) and path.read_bytes() == before


def test_a_store_whose_schema_was_changed_is_refused_before_anything_runs(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    stored_run(path)
    tamper(path, "CREATE TRIGGER planted AFTER INSERT ON events BEGIN DELETE FROM runs; END")
    with pytest.raises(
        StoreError, match="its schema is not an agentnb run store's: unexpected trigger planted"
    ):
        trio(store=str(path))


def test_a_sqlite_file_of_another_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    tamper(path, "CREATE TABLE customers (id INTEGER)")
    with pytest.raises(StoreError, match=r"not an agentnb run store \(its tables: customers\)"):
        trio(store=str(path))


def test_a_store_in_a_read_only_directory_says_so_and_can_still_be_read(shared_dir: Path) -> None:
    path = shared_dir / "runs.db"
    stored_run(path)
    path.chmod(0o444)
    shared_dir.chmod(0o555)
    with unprivileged():
        with pytest.raises(StoreError) as caught:
            trio(store=str(path))
        with SQLiteStore(path, read_only=True) as reader:
            runs = reader.runs()
            events = reader.open_run("r").events(0, runs[0].events)
        again = resumed(SQLiteStore(path, read_only=True), "r")
        with pytest.raises(StoreError, match="opened with read_only=True"):
            again.run_sync("more")
    assert f"cannot write to run store {path}: the file is not writable (Permission denied)" in str(
        caught.value
    )
    assert [r.id for r in runs] == ["r"] and len(events) == runs[0].events


def test_a_store_locked_by_another_writer_fails_the_run_and_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = SQLiteStore(path, timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    locked: list[bool] = []
    team: Team

    def lock_when_half_done(request: Any) -> Any:
        if len(team.transcript) > 10 and not locked:
            other.execute("BEGIN IMMEDIATE")  # another program writes, and takes its time
            locked.append(True)
        return reply(request)

    model = FunctionModel(lock_when_half_done, latency=0.02)
    team = Team(agents(), model=model, max_turns=12, store=store, run_id="r")
    with pytest.raises(RunError) as caught:
        team.run_sync("go")
    message = str(caught.value)
    assert f"run store {path} is locked by another program writing to it" in message
    assert "Nothing is lost" in message
    other.execute("ROLLBACK")
    kept = len(team.transcript)
    assert store.find("r").events < kept  # type: ignore[union-attr]
    team.run_sync()  # the lock is gone: what was kept is written first, then the run goes on
    assert plain(open_store(str(path)).open_run("r").events(0, len(team.transcript))) == plain(
        team.transcript
    )
    other.close()


def test_a_postgres_restart_mid_run_fails_it_clearly_and_it_resumes_from_the_store(
    postgres: pg.PostgresServer, postgres_url: str
) -> None:
    uninterrupted = trio(max_turns=12)
    uninterrupted.run_sync("go")
    team = trio(latency=0.03, max_turns=12, store=postgres_url, run_id="r")
    failure: list[BaseException] = []

    def run() -> None:
        try:
            team.run_sync("go")
        except RunError as exc:
            failure.append(exc)

    # The server restarts from this thread: it is stopped when the thread that started it ends.
    runner = threading.Thread(target=run)
    runner.start()
    while len(team.transcript) < 10:
        runner.join(0.01)
    postgres.restart("fast")
    runner.join()
    [caught] = failure
    message = str(caught)  # the connection was lost, or could not be made while the server restarted
    assert f"run store {open_store(postgres_url)}: the connection to the server was lost" in message or (
        f"cannot connect to run store {open_store(postgres_url)}" in message
    )
    assert "Nothing is lost" in message
    again = resumed(postgres_url, "r")
    assert plain(again.transcript) == plain(uninterrupted.transcript)[: len(again.transcript)]
    again.run_sync()
    assert plain(again.transcript) == plain(uninterrupted.transcript)


def test_a_postgres_store_of_a_newer_agentnb_is_refused(postgres_url: str) -> None:
    import psycopg

    open_store(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE agentnb.meta SET value = '2' WHERE key = 'version'")
    with pytest.raises(
        StoreError, match=r"written by a newer agentnb \(format version 2; this one reads up to 1\)"
    ):
        Team(agents(), store=postgres_url)


def test_a_postgres_server_that_is_down_is_a_clear_error(
    postgres: pg.PostgresServer, postgres_url: str
) -> None:
    postgres.stop()
    with pytest.raises(
        StoreError, match=r"cannot connect to run store postgresql://.*Is the server running\?"
    ):
        Team(agents(), store=postgres_url)
