"""How far a sandbox kernel is kept from the rest of the machine: the choice, the limits, the folders.

``isolation="auto"`` (the default) and ``"bubblewrap"`` run the kernel in Linux namespaces
with `agentnb.execution.bubblewrap`; ``"none"`` runs it as an ordinary process of yours,
which must be asked for by name. Where isolation is unavailable the sandbox refuses to
start and says why and how to opt out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from agentnb.core.errors import AgentnbError

IsolationName = Literal["auto", "bubblewrap", "none"]
ISOLATIONS = ("auto", "bubblewrap", "none")
MIB = 1024 * 1024
RESTART_NOTE = "all variables are gone (files remain)"


class SandboxError(AgentnbError):
    """Code execution cannot work here (jupyter_client or ipykernel missing, no isolation)."""


class IsolationUnavailable(SandboxError):
    """The isolation asked for cannot be set up on this machine; the message says why and what to do."""


@dataclass(frozen=True)
class Limits:
    """What one sandbox may use; isolated sandboxes only (``isolation="none"`` has no limits).

    ``memory_mb`` is the address space of each process (a bare kernel takes about 800 MB of
    it, with numpy and matplotlib about 1,100 MB), ``file_mb`` the largest file a process may
    write (and, where bwrap can bound them, the size of its private ``/tmp`` and ``/dev/shm``),
    ``processes`` how many
    processes and threads may run at once, ``cpu_seconds`` the CPU time of each process over
    its life: past it the kernel is stopped and a fresh one starts at the next call.
    """

    memory_mb: int = 4096
    file_mb: int = 1024
    processes: int = 256
    cpu_seconds: int = 600

    def __post_init__(self) -> None:
        for name in ("memory_mb", "file_mb", "processes", "cpu_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"Limits: {name} must be a positive whole number, got {value!r}")


@dataclass(frozen=True)
class Layout:
    """The folders of one sandbox, all inside ``root`` except a ``work`` folder given by the caller.

    The kernel sees ``work``, ``ipc`` (its sockets) and ``ipython`` read-write and
    ``connection`` (its own connection file) read-only; ``root`` itself and the kernel's log
    stay outside, so nothing the parent writes can be swapped by the sandboxed code.
    """

    root: Path
    work: Path

    @property
    def connection(self) -> Path:
        return self.root / "connection"

    @property
    def ipc(self) -> Path:
        return self.root / "ipc"

    @property
    def ipython(self) -> Path:
        return self.root / "ipython"

    @property
    def log(self) -> Path:
        return self.root / "kernel.log"

    def make(self) -> None:
        """Create the folders (the work folder too, if it does not exist yet)."""
        for folder in (self.work, self.connection, self.ipc, self.ipython):
            folder.mkdir(parents=True, exist_ok=True)


class Launch(Protocol):
    """One kernel start: the command in front of the kernel's, and what to do once it is spawned."""

    argv: list[str]
    pass_fds: tuple[int, ...]
    interrupt_mode: str

    def confine(self, timeout: float) -> None:
        """Finish setting up the sandbox of the process just spawned, then let the kernel run."""

    def close(self) -> None:
        """Release what this start holds (pipes), whether it succeeded or not."""


class Isolation(Protocol):
    """A way to run the kernel: ``name``, a one-line ``summary`` for people, and how to launch it."""

    name: str
    summary: str
    limits: Limits | None

    def check_workdir(self, workdir: Path) -> None:
        """Raise ``ValueError`` when ``workdir`` would defeat the isolation."""

    def launch(self, layout: Layout) -> Launch:
        """Prepare one kernel start in ``layout``."""


@dataclass
class DirectLaunch:
    """No isolation: the kernel is started as it is."""

    argv: list[str]
    pass_fds: tuple[int, ...] = ()
    interrupt_mode: str = "signal"

    def confine(self, timeout: float) -> None:
        return None

    def close(self) -> None:
        return None


class NoIsolation:
    """The kernel runs as an ordinary process of yours: your rights, your files, your network."""

    name = "none"
    summary = (
        "UNISOLATED (isolation='none'): with your user's rights, it can read your files and use "
        "the network, has no resource limits, and what it detaches may outlive it"
    )
    limits: Limits | None = None

    def check_workdir(self, workdir: Path) -> None:
        return None

    def launch(self, layout: Layout) -> Launch:
        return DirectLaunch(argv=[])


def hint(error: str, limits: Limits | None) -> str:
    """A sentence naming the limit an exception (``Name: message``) probably ran into, or ``""``."""
    if limits is None:
        return ""
    if "[Errno 27]" in error:
        return f"The sandbox's files may be at most {limits.file_mb:,} MB each."
    if ("[Errno 11]" in error and "fork" in error) or "can't start new thread" in error:
        return f"The sandbox runs at most {limits.processes:,} processes and threads at once."
    return ""


def memory_note(limits: Limits | None) -> str:
    """What happened after a `MemoryError`: the kernel is restarted to give its memory back."""
    limit = f" (the sandbox's limit is {limits.memory_mb:,} MB per process)" if limits is not None else ""
    return f"The code ran out of memory{limit}, so the kernel was restarted: {RESTART_NOTE}."
