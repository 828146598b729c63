"""The PostgreSQL test server (tests/pg.py): a real server, its restarts, and nothing left behind."""

from __future__ import annotations

import os

import pytest

from tests import pg
from tests.conftest import require


def test_a_test_database_takes_tables_and_queries(postgres_url):
    import psycopg

    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE runs (id serial PRIMARY KEY, team text NOT NULL)")
        conn.execute("INSERT INTO runs (team) VALUES (%s), (%s)", ("newsroom", "tutors"))
        assert conn.execute("SELECT team FROM runs ORDER BY id").fetchall() == [("newsroom",), ("tutors",)]
        assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)


def test_each_test_gets_its_own_empty_database(postgres, postgres_url):
    import psycopg

    other = postgres.new_database()
    try:
        assert other != postgres_url
        with psycopg.connect(other) as conn:
            assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (
                0,
            )
    finally:
        postgres.drop_database(other)


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_restart_in_the_middle_breaks_connections_and_keeps_committed_data(postgres, postgres_url, mode):
    import psycopg

    conn = psycopg.connect(postgres_url, autocommit=True)
    conn.execute("CREATE TABLE events (seq int)")
    conn.execute("INSERT INTO events VALUES (1), (2)")
    old_pid = postgres.pid
    postgres.stop(mode)
    assert not postgres.running
    with pytest.raises(psycopg.OperationalError):
        conn.execute("INSERT INTO events VALUES (3)")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(postgres_url, connect_timeout=2)
    postgres.start()
    assert postgres.pid != old_pid
    with psycopg.connect(postgres_url) as again:
        assert again.execute("SELECT seq FROM events ORDER BY seq").fetchall() == [(1,), (2,)]
    conn.close()


def test_a_server_leaves_no_process_and_no_folder_behind():
    problem = pg.missing()
    require(problem is None, str(problem))
    with pg.PostgresServer.started() as server:
        pid, folder = server.pid, server.folder
        assert pid is not None and (folder / "data" / "PG_VERSION").exists()
        assert not str(folder).startswith(os.path.expanduser("~") + os.sep)
    assert not folder.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
