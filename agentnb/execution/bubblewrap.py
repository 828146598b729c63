"""Run the sandbox kernel inside bubblewrap (``bwrap``): its own namespaces, files and limits.

The kernel gets new user, PID, IPC, UTS, mount and (unless ``network=True``) network
namespaces, a private ``/proc`` (it sees only its own processes), fresh ``/tmp`` and
``/dev``, read-only ``/usr``, ``/etc`` and your Python installation, and read-write only its
work folder and its own IPython and socket folders: not your home, not the Jupyter runtime
folder with the notebook kernel's connection file. Its environment is the allowlist of
`agentnb.execution.environment`; it holds no capabilities, cannot make user namespaces,
and sees ``/proc/sys`` read-only (run as root, it could otherwise change the machine's
kernel settings even without capabilities).

bwrap waits (``--block-fd``) until the parent has set the limits on the sandbox's first
process (``prlimit``), which every later process inherits; as root, where Linux does not
count processes, the PID namespace's own ``pid_max`` bounds them (Linux 6.14 and later).
Killing bwrap kills the namespace's first process (``--die-with-parent``), and with it
every process in the namespace, detached ones included.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import re
import select
import shutil
import site
import subprocess
import sys
import time
from pathlib import Path

from agentnb.execution.isolation import MIB, Launch, Layout, Limits, SandboxError

BWRAP = "bwrap"
SYSTEM_DIRS = ("/usr", "/etc")
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")  # into /usr on merged systems
PID_MAX_MIN = 301  # the lowest pid_max Linux accepts
PID_MAX_PER_NAMESPACE = (6, 14)  # from this Linux version pid_max belongs to each PID namespace
PROBE_TIMEOUT = 10.0


def unavailable_reason() -> str | None:
    """Why bubblewrap cannot isolate a kernel here, or None when it can."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux and this is {platform.system() or sys.platform}"
    path = shutil.which(BWRAP)
    if path is None:
        return f"the bubblewrap program ({BWRAP}) is not installed or not on PATH"
    return _probe(path)


@functools.lru_cache(maxsize=8)
def _probe(path: str) -> str | None:
    """Run ``true`` in the namespaces a sandbox uses; the reason it failed, or None (once per binary)."""
    command = [path, "--unshare-all", "--unshare-user", *_disable_userns(path), "--die-with-parent"]
    command += ["--ro-bind", "/", "/", "--proc", "/proc", "--", "true"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PROBE_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{path} could not be run ({exc})"
    if done.returncode != 0:
        message = done.stderr.strip() or f"exit code {done.returncode}"
        return f"{path} cannot create its namespaces here (are user namespaces disabled?): {message}"
    return None


@functools.lru_cache(maxsize=8)
def _options(path: str) -> frozenset[str]:
    """The options this bwrap knows: recent ones (``--disable-userns``, ``--size``) are used where present."""
    try:
        done = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=PROBE_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(re.findall(r"^\s+(--[\w-]+)", done.stdout + done.stderr, re.MULTILINE))


def _disable_userns(path: str) -> list[str]:
    """No user namespaces inside the sandbox (much of Linux's attack surface), where bwrap can."""
    return ["--disable-userns"] if "--disable-userns" in _options(path) else []


def _tmpfs(path: str, folder: str, size: int) -> list[str]:
    """A fresh tmpfs on ``folder``, at most ``size`` bytes where bwrap can bound it."""
    return ["--size", str(size), "--tmpfs", folder] if "--size" in _options(path) else ["--tmpfs", folder]


def linux_version() -> tuple[int, int]:
    found = re.match(r"(\d+)\.(\d+)", platform.release())
    return (int(found[1]), int(found[2])) if found else (0, 0)


def pid_max_for(limits: Limits) -> int | None:
    """The PID namespace's ``pid_max`` that bounds processes where ``RLIMIT_NPROC`` cannot, or None.

    ``RLIMIT_NPROC`` never applies to root. Only from Linux 6.14 is ``pid_max`` per namespace:
    before, writing it would change the whole machine's, so it is never tried there.
    """
    if os.geteuid() != 0 or linux_version() < PID_MAX_PER_NAMESPACE or shutil.which("nsenter") is None:
        return None
    return max(limits.processes + 1, PID_MAX_MIN)


class Bubblewrap:
    """Isolation with bubblewrap; see the module docstring. One instance serves every (re)start."""

    name = "bubblewrap"

    def __init__(self, *, network: bool, limits: Limits) -> None:
        self.network = bool(network)
        self.limits = limits
        self.pid_max = pid_max_for(limits)

    @property
    def summary(self) -> str:
        limits = self.limits
        if os.geteuid() != 0:
            processes = f"{limits.processes:,} processes"
        elif self.pid_max is not None:
            processes = f"{self.pid_max - 1:,} processes"
        else:
            processes = "processes not limited (running as root on Linux before 6.14)"
        network = "with the network" if self.network else "no network"
        return (
            "isolated with bubblewrap: sees only its work folder (read-write), your Python and "
            f"the system's /usr and /etc (read-only); {network}; per process at most "
            f"{limits.memory_mb:,} MB of memory, {limits.file_mb:,} MB per file and "
            f"{limits.cpu_seconds:,} s of CPU; {processes}"
        )

    def check_workdir(self, workdir: Path) -> None:
        home = Path.home().resolve()
        if workdir == home or workdir in home.parents or workdir == runtime_folder():
            raise ValueError(
                f"code_executor: workdir {workdir} holds your home folder ({home}) or Jupyter's "
                "runtime folder, and the sandbox would see them; give it a folder of its own, or "
                "leave workdir out for a temporary one"
            )

    def launch(self, layout: Layout) -> Launch:
        return BubblewrapLaunch(self, layout)

    def command(self, layout: Layout, info_fd: int, block_fd: int) -> list[str]:
        """The bwrap command line up to (and including) ``--``; the kernel's command follows it."""
        size = self.limits.file_mb * MIB
        binary = shutil.which(BWRAP) or BWRAP
        args = [binary, "--unshare-all", "--unshare-user"]
        if self.network:
            args.append("--share-net")
        args += [*_disable_userns(binary), "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        visible = [Path(p) for p in SYSTEM_DIRS]
        for folder in SYSTEM_DIRS:
            args += ["--ro-bind", folder, folder]
        for link in SYSTEM_LINKS:
            if os.path.islink(link):
                args += ["--symlink", os.readlink(link), link]
            elif os.path.isdir(link):
                args += ["--ro-bind", link, link]
        if self.network:
            resolver = os.path.realpath("/etc/resolv.conf")
            if not resolver.startswith("/etc/") and os.path.exists(resolver):
                args += ["--ro-bind", resolver, resolver]
        args += ["--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys", "--dev", "/dev"]
        args += [*_tmpfs(binary, "/dev/shm", size), *_tmpfs(binary, "/tmp", size)]
        for path in python_paths():
            args += ["--ro-bind", path, path]
            visible.append(Path(path))
        for folder in (layout.work, layout.ipc, layout.ipython):
            args += ["--bind", str(folder), str(folder)]
            visible.append(folder)
        args += ["--ro-bind", str(layout.connection), str(layout.connection)]
        for hidden in masked(visible):
            args += ["--tmpfs", str(hidden)]
        # the kernel's parent is the namespace's first process: pid 1, which ipykernel does not poll
        args += ["--chdir", str(layout.work), "--setenv", "JPY_PARENT_PID", "1"]
        args += ["--info-fd", str(info_fd), "--block-fd", str(block_fd), "--"]
        return args


class BubblewrapLaunch:
    """One start: bwrap reports its sandbox's first process, waits for its limits, then runs the kernel."""

    interrupt_mode = "message"  # a signal would reach bwrap, not the kernel in its own session

    def __init__(self, bubblewrap: Bubblewrap, layout: Layout) -> None:
        self.bubblewrap = bubblewrap
        self._info_read, info_write = os.pipe()
        block_read, self._block_write = os.pipe()
        self._child_ends = (info_write, block_read)
        self.pass_fds = self._child_ends
        self.argv = bubblewrap.command(layout, info_write, block_read)

    def confine(self, timeout: float) -> None:
        import resource  # POSIX only: agentnb.execution must import on Windows too

        self._close_child_ends()
        first = self._first_process(timeout)
        limits = self.bubblewrap.limits
        for kind, value in (
            (resource.RLIMIT_AS, limits.memory_mb * MIB),
            (resource.RLIMIT_FSIZE, limits.file_mb * MIB),
            (resource.RLIMIT_NPROC, limits.processes),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.prlimit(first, kind, (value, value))
        # SIGXCPU at the limit ends the kernel; SIGKILL two seconds later if something caught it
        resource.prlimit(first, resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 2))
        if self.bubblewrap.pid_max is not None:
            set_pid_max(first, self.bubblewrap.pid_max)
        os.write(self._block_write, b"1")

    def _first_process(self, timeout: float) -> int:
        """The sandbox's first process (its pid on this side), as bwrap reports it on the info pipe."""
        data = b""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            if not select.select([self._info_read], [], [], remaining)[0]:
                break
            chunk = os.read(self._info_read, 4096)
            if not chunk:
                break
            data += chunk
        try:
            return int(json.loads(data)["child-pid"])
        except (ValueError, KeyError, TypeError):
            raise SandboxError("bubblewrap did not set up the sandbox (its message follows)") from None

    def _close_child_ends(self) -> None:
        for fd in self._child_ends:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._child_ends = ()

    def close(self) -> None:
        self._close_child_ends()
        for fd in (self._info_read, self._block_write):
            with contextlib.suppress(OSError):
                os.close(fd)


def set_pid_max(pid: int, value: int) -> None:
    """Bound the PID namespace of ``pid`` to ``value - 1`` processes (written from inside it)."""
    nsenter = shutil.which("nsenter") or "nsenter"
    command = [nsenter, "--target", str(pid), "--pid", "--", "/bin/sh", "-c"]
    command.append(f"echo {int(value)} > /proc/sys/kernel/pid_max")
    done = subprocess.run(command, capture_output=True, text=True, timeout=PROBE_TIMEOUT, check=False)
    if done.returncode != 0:
        raise SandboxError(f"could not limit the sandbox's processes: {done.stderr.strip()}")


def python_paths() -> list[str]:
    """The folders of this Python installation the kernel needs, outside the system folders."""
    found = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *site.getsitepackages()}
    found.add(os.path.dirname(os.path.realpath(sys.executable)))
    if site.ENABLE_USER_SITE:
        found.add(site.getusersitepackages())
    found |= {os.path.realpath(p) for p in found}
    folders = sorted(p for p in found if os.path.isdir(p) and not _inside(p, SYSTEM_DIRS))
    return [p for p in folders if not _inside(p, [q for q in folders if q != p])]


def runtime_folder() -> Path:
    """Jupyter's runtime folder, where every kernel's connection file (and signing key) lies."""
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir()).resolve()


def masked(visible: list[Path]) -> list[Path]:
    """Folders to hide even though a visible folder holds them: Jupyter's runtime folder."""
    runtime = runtime_folder()
    shown = runtime.is_dir() and any(runtime == v or v in runtime.parents for v in visible)
    return [runtime] if shown else []


def _inside(path: str, folders: list[str] | tuple[str, ...]) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)
