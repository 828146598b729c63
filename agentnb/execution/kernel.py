"""Starting and killing the sandbox's kernel process with jupyter_client, behind an isolation's command.

The kernel is ipykernel run by this Python, described by a kernelspec written into the
sandbox's own folder (its command line is the isolation's, then ipykernel's), talking over
Unix sockets in the sandbox's ``ipc`` folder: they need no network, so they work in a
sandbox without one. jupyter_client is imported when the first kernel starts, so agentnb
imports without it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from agentnb.execution.isolation import Launch, Layout

KERNEL_NAME = "agentnb-sandbox"
MAX_SOCKET_PATH = 90  # Unix socket paths are limited (~104 bytes): the kernel's sockets need a short one


def new_manager(layout: Layout, launch: Launch) -> Any:
    """A jupyter_client ``KernelManager`` for one start of the sandbox's kernel."""
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager(kernel_dirs=[str(_write_kernel_spec(layout.root, launch))])
    ipc = os.name == "posix"
    transport = {"transport": "ipc", "ip": str(layout.ipc / "kernel")} if ipc else {}
    return KernelManager(
        kernel_name=KERNEL_NAME,
        kernel_spec_manager=specs,
        connection_file=str(layout.connection / "kernel.json"),
        **transport,
    )


def spawn(manager: Any, layout: Layout, launch: Launch, env: dict[str, str]) -> None:
    """Start the kernel's process in the work folder; its output goes to the log, read if it dies."""
    fds = {"pass_fds": launch.pass_fds} if launch.pass_fds else {}
    with open(layout.log, "wb") as log:
        manager.start_kernel(cwd=str(layout.work), env=env, stdout=log, stderr=log, **fds)


def kill_group(pid: int | None, root: Path | None) -> None:
    """Kill a kernel and the processes it started (its process group); remove its folder.

    Under bubblewrap ``pid`` is bwrap's, and its death takes the whole namespace with it.
    """
    if pid:
        with contextlib.suppress(OSError):
            if hasattr(os, "killpg"):
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGTERM)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)


def short_temporary_folder() -> Path:
    """A new temporary folder whose path leaves room for the kernel's socket names."""
    root = Path(tempfile.mkdtemp(prefix="agentnb-sandbox-")).resolve()
    if os.name == "posix" and len(str(root)) > MAX_SOCKET_PATH - len("/ipc/kernel-99999"):
        root.rmdir()
        root = Path(tempfile.mkdtemp(prefix="agentnb-sandbox-", dir="/tmp")).resolve()
    return root


def _write_kernel_spec(root: Path, launch: Launch) -> Path:
    """A kernelspec folder whose one kernel runs ipykernel behind ``launch``'s command."""
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {
        "argv": [*launch.argv, *kernel],
        "display_name": "agentnb sandbox",
        "language": "python",
        "interrupt_mode": launch.interrupt_mode,
    }
    folder = root / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return folder.parent
