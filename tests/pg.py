"""A throwaway PostgreSQL server for tests: its own cluster in a temporary folder, on 127.0.0.1.

`PostgresServer.started()` runs ``initdb`` into a fresh folder under the system's temporary
directory and starts ``postgres`` on a free port, listening on 127.0.0.1 only (its socket in
that folder too); leaving the ``with`` block stops it and removes the folder. As root it runs
as the ``postgres`` OS user (initdb refuses root), with the folder handed over to it. Nothing
is written to anyone's home, and on Linux the server gets SIGINT (a fast shutdown) if the test
process dies without cleaning up. A commit reaches the operating system before it returns, as
on a real server, but is never forced to disk (fsync off): a test may stop, crash or restart
the server, not the machine.

The fixtures in tests/conftest.py share one server per test session (``postgres``) and give
each test its own database (``postgres_url``). Fault tests use `stop` (``"fast"``, or
``"immediate"`` for a crash-like stop with recovery at the next start), `start` and `restart`.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

STOP_SIGNALS = {"fast": signal.SIGINT, "immediate": signal.SIGQUIT}
READY_TIMEOUT = 30.0  # seconds for a start, recovery included, on a busy 2-core machine


def bin_dir() -> Path | None:
    """The folder with PostgreSQL's server programs: on PATH, or Debian's newest version."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parent if versions else None


def missing() -> str | None:
    """What is missing to run a test server (None: nothing): the programs, psycopg, a user."""
    if bin_dir() is None:
        return "PostgreSQL's server programs (Debian: apt-get install postgresql)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg (pip install 'agentnb[postgres]')"
    if os.geteuid() == 0:
        import pwd  # POSIX only, like running as root

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "a 'postgres' OS user (initdb refuses to run as root)"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One PostgreSQL cluster in ``folder``, served on 127.0.0.1:``port`` while `running`."""

    def __init__(self, folder: Path, port: int) -> None:
        bindir = bin_dir()
        if bindir is None:
            raise RuntimeError(f"cannot start PostgreSQL: {missing()} is missing")
        self.bindir = bindir
        self.folder = folder
        self.data = folder / "data"
        self.port = port
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        self._process: subprocess.Popen[bytes] | None = None
        self._databases = itertools.count(1)

    @classmethod
    @contextlib.contextmanager
    def started(cls) -> Iterator[PostgresServer]:
        """A new cluster, started; stopped and removed (folder and processes) afterwards."""
        folder = Path(tempfile.mkdtemp(prefix="agentnb-postgres-"))
        server = cls(folder, free_port())
        try:
            if os.geteuid() == 0:
                shutil.chown(folder, "postgres", "postgres")
            server._run(
                "initdb",
                "-D",
                str(server.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "-N",
            )
            server.start()
            yield server
        finally:
            server.stop()
            shutil.rmtree(folder, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The postmaster's process id while it runs."""
        return self._process.pid if self.running and self._process is not None else None

    def start(self) -> None:
        """Start the server (on the same port as before) and wait until it accepts connections."""
        if self.running:
            return
        log = (self.folder / "log").open("ab")
        options = [
            "-D", str(self.data), "-p", str(self.port), "-k", str(self.folder),
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off",
            "-c", "max_connections=60",
        ]  # fmt: skip
        deathsig = ["setpriv", "--pdeathsig", "INT"] if shutil.which("setpriv") else []
        with log:
            self._process = subprocess.Popen(
                [*deathsig, str(self.bindir / "postgres"), *options],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # a Ctrl-C in the terminal is for pytest, not for the server
                **self._as_owner(),
            )
        self._wait_until_ready()

    def stop(self, mode: Literal["fast", "immediate"] = "fast") -> None:
        """Stop the server: ``fast`` ends sessions and checkpoints; ``immediate`` is like a crash."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(STOP_SIGNALS[mode])
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def restart(self, mode: Literal["fast", "immediate"] = "fast") -> None:
        self.stop(mode)
        self.start()

    def new_database(self) -> str:
        """A new, empty database on this server; its connection URL."""
        name = f"test_{next(self._databases)}"
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def drop_database(self, url: str) -> None:
        """Drop a database made by `new_database`, ending any session still connected to it."""
        self.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')

    def execute(self, statement: str) -> None:
        """Run one statement on the ``postgres`` database, outside a transaction."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(statement.encode())

    def _as_owner(self) -> dict[str, object]:
        """Popen options running a program as the cluster's owner, with its home in the folder."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C", "HOME": str(self.folder)}
        if os.geteuid() != 0:
            return {"env": env}
        return {"env": env, "user": "postgres", "group": "postgres", "extra_groups": []}

    def _run(self, program: str, *arguments: str) -> None:
        done = subprocess.run(
            [str(self.bindir / program), *arguments], capture_output=True, text=True, **self._as_owner()
        )
        if done.returncode:
            raise RuntimeError(
                f"{program} failed ({done.returncode}) for {self.folder}:\n{done.stderr[-2000:]}"
            )

    def _wait_until_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"postgres exited with {self._process.returncode} on port {self.port}:\n{self.log()}"
                )
            try:
                psycopg.connect(self.url, connect_timeout=2).close()
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    self.stop("immediate")
                    raise RuntimeError(
                        f"postgres did not accept connections within {READY_TIMEOUT:.0f} s:\n{self.log()}"
                    ) from exc
                time.sleep(0.05)

    def log(self) -> str:
        """The end of the server's log (what to read when it fails)."""
        path = self.folder / "log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"
