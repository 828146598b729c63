"""Shared test set-up: deterministic default model, 'fail in CI instead of skipping', PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import files, pg

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Tests never fall through to a live or embedded model by accident: the default is the
# offline scripted model unless a test sets something else (with monkeypatch).
os.environ["AGENTNB_MODEL"] = "scripted:newsroom"


def require(available: bool, what: str) -> None:
    """Skip when a component is missing on a developer's machine, but fail under CI=true.

    CI installs everything (see .ci/run), so a missing component there is a broken
    install, never a reason to skip.
    """
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing under CI=true; .ci/run must install it", pytrace=False)
    pytest.skip(f"{what} is not installed")


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory under /tmp that 'nobody' can reach, for tests of unwritable files (tests/files.py)."""
    with files.shared_directory() as path:
        yield path


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg.PostgresServer]:
    """A throwaway PostgreSQL server for the whole session (see tests/pg.py); removed at the end."""
    problem = pg.missing()
    require(problem is None, str(problem))
    with pg.PostgresServer.started() as server:
        yield server


@pytest.fixture
def postgres_url(postgres: pg.PostgresServer) -> Iterator[str]:
    """A new, empty database of the session's server (running again if a test stopped it)."""
    postgres.start()
    url = postgres.new_database()
    yield url
    postgres.start()
    postgres.drop_database(url)


# `--nbval` is on for the whole suite (lessons/ and notebooks/); a notebook kept under
# tests/ as a fixture must not be collected as a test by accident.
collect_ignore_glob = ["*.ipynb", "**/*.ipynb"]


@pytest.fixture(autouse=True)
def _fresh_colors() -> None:
    """Each test starts like a new kernel: no name has a colour yet (they are kept per process)."""
    from agentnb.views.chat import forget_colors

    forget_colors()
