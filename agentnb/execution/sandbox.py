"""A separate IPython kernel that runs code for agents, never the student's own.

The kernel is its own process (jupyter_client), started at the first execution, isolated
(`agentnb.execution.isolation`: bubblewrap unless ``isolation="none"`` is asked for), with a
working directory of its own, an allowlisted environment and a time limit on every
execution. Whatever the code does — raise, loop forever, print megabytes, exhaust a limit,
kill its own process — ends as an `Execution` that says what happened; nothing raises into
the caller. Everything the kernel touches on disk lives in one temporary folder (and the
work folder, if one is given), removed by `close`.

All kernel operations run on one worker thread, so a sandbox can be used from any event
loop (a notebook's, or ``run_sync``'s) and executions never overlap.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib.util
import queue
import shutil
import signal
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agentnb.core.secrets import Scrubber
from agentnb.execution.choose import choose_isolation
from agentnb.execution.environment import sandbox_environment
from agentnb.execution.isolation import (
    RESTART_NOTE,
    IsolationName,
    Layout,
    Limits,
    SandboxError,
    hint,
    memory_note,
)
from agentnb.execution.kernel import kill_group, new_manager, short_temporary_folder, spawn
from agentnb.execution.outputs import Outputs, strip_ansi

POLL = 0.2  # seconds between checks that the kernel is alive while code runs
LOG_TAIL = 1_000  # characters of the kernel's own stderr shown when it dies
BASE64_TYPES = ("image/png", "image/jpeg")  # outputs that are not text (SVG is, and is redacted)
CPU_EXIT_CODES = (-signal.SIGXCPU, 128 + signal.SIGXCPU) if hasattr(signal, "SIGXCPU") else ()

Status = Literal["ok", "error", "timeout", "died", "cancelled", "unavailable"]

__all__ = ["Execution", "Sandbox", "SandboxError", "check_available"]


def check_available() -> None:
    """Raise `SandboxError` saying what to install when a kernel cannot be started."""
    missing = [name for name in ("jupyter_client", "ipykernel") if importlib.util.find_spec(name) is None]
    if missing:
        raise SandboxError(
            f"code execution runs a separate Jupyter kernel and needs {' and '.join(missing)}; "
            "install them with: pip install jupyter_client ipykernel"
        )


@dataclass
class Execution:
    """What running one piece of code produced, bounded and with secrets redacted.

    ``status`` is ``ok``, ``error`` (the code raised), ``timeout``, ``died`` (the kernel
    process ended), ``cancelled`` (the run stopped) or ``unavailable`` (no kernel could
    start). ``error`` is the exception and its traceback; ``note`` what happened to the
    kernel (interrupted, restarted).
    """

    status: Status
    output: str = ""
    display: list[dict[str, str]] = field(default_factory=list)
    error: str = ""
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def report(self) -> str:
        """The text a model reads: what failed first, then the output."""
        output = self.output.rstrip("\n")
        if self.ok:
            return output or "(the code ran and printed nothing)"
        if self.status == "error":
            head = f"Error: the code raised {self.error}"
            if self.note:
                head += f"\n{self.note}"
        else:
            head = f"Error: {self.note}"
            if self.error:
                head += f"\n{self.error}"
        if output:
            head += f"\n\nOutput before that:\n{output}"
        return head


class Sandbox:
    """One kernel process for model-written code; see the module docstring.

    ``workdir`` is the code's working directory (default: a fresh temporary one, removed
    with the sandbox); ``env`` adds variables to the allowlisted ones; ``isolation``,
    ``network`` and ``limits`` say how the kernel is kept apart (`choose_isolation`: raises
    `IsolationUnavailable` when it cannot be); ``interrupt_grace`` is how long interrupted
    code may take to stop before the kernel is restarted.
    """

    def __init__(
        self,
        *,
        workdir: str | Path | None = None,
        env: dict[str, str] | None = None,
        isolation: IsolationName = "auto",
        network: bool = False,
        limits: Limits | None = None,
        startup_timeout: float = 60.0,
        interrupt_grace: float = 5.0,
    ) -> None:
        check_available()
        self.isolation = choose_isolation(isolation, network=network, limits=limits)
        self.requested_workdir = Path(workdir).expanduser().resolve() if workdir is not None else None
        if self.requested_workdir is not None:
            self.isolation.check_workdir(self.requested_workdir)
        self.extra_env = dict(env or {})
        self.startup_timeout = startup_timeout
        self.interrupt_grace = interrupt_grace
        self.root: Path | None = None  # the temporary folder (connection file, IPython dir, log)
        self._manager: Any = None
        self._client: Any = None
        self._scrubber: Scrubber | None = None
        self._finalizer: weakref.finalize | None = None
        self._worker: concurrent.futures.ThreadPoolExecutor | None = None
        self._generation = 0  # bumped by close() and cancellations: queued executions do not run
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.pid else "not started"
        return f"Sandbox({state}, isolation={self.isolation.name!r})"

    @property
    def pid(self) -> int | None:
        """The kernel's process id while one runs."""
        provisioner = getattr(self._manager, "provisioner", None)
        return getattr(provisioner, "pid", None)

    @property
    def workdir(self) -> Path | None:
        """Where the code runs (None until the first execution makes the temporary one)."""
        if self.requested_workdir is not None:
            return self.requested_workdir
        return self.root / "work" if self.root is not None else None

    # ----- from any thread or loop ---------------------------------------------------------

    async def run(self, code: str, *, timeout: float, max_output: int) -> Execution:
        """Run ``code`` in the kernel (starting it if needed); never raises but `CancelledError`.

        Cancelling the caller (a stopped run) stops the kernel: its variables are gone.
        """
        generation = self._generation
        future = self._submit(self._execute, code, generation, timeout, max_output)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            with self._lock:
                if self._generation == generation:
                    self._generation += 1  # the worker sees it within POLL seconds and stops
            raise

    def close(self) -> None:
        """Stop the kernel and remove its temporary folder; a later run starts afresh."""
        with self._lock:
            self._generation += 1
            worker, self._worker = self._worker, None
        if worker is None:
            return
        try:
            worker.submit(self._stop, True).result(timeout=self.interrupt_grace + 10)
        except (RuntimeError, TimeoutError):  # at interpreter exit, or a worker stuck in the kernel
            self._kill()
        worker.shutdown(wait=False)

    async def aclose(self) -> None:
        """`close` without blocking the event loop."""
        await asyncio.to_thread(self.close)

    def _submit(self, fn: Any, *args: Any) -> concurrent.futures.Future[Any]:
        with self._lock:
            if self._worker is None:
                self._worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="agentnb-sandbox")
            return self._worker.submit(fn, *args)

    # ----- on the worker thread ------------------------------------------------------------

    def _cancelled(self, generation: int) -> bool:
        return generation != self._generation

    def _execute(self, code: str, generation: int, timeout: float, max_output: int) -> Execution:
        if self._cancelled(generation):
            return Execution("cancelled", note="the run stopped before the code started")
        try:
            self._start()
        except Exception as exc:  # a kernel that cannot start is the model's error result, not a crash
            log = self._log_tail()
            self._stop()
            note = f"the Python kernel could not start ({exc}); nothing ran"
            return self._finish(Outputs(max_output), "unavailable", note, error=log)
        client = self._client
        with contextlib.suppress(queue.Empty):
            while True:  # replies of earlier executions that nobody read
                client.get_shell_msg(timeout=0)
        outputs = Outputs(max_output)
        msg_id = client.execute(code, store_history=True, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while True:
            if self._cancelled(generation):
                self._stop()
                return self._finish(outputs, "cancelled", "the run stopped, so the code was stopped")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._interrupt(outputs, msg_id, timeout)
            state = self._read(outputs, msg_id, min(POLL, remaining))
            if state == "idle" and outputs.error_name == "MemoryError":
                self._stop()  # what it holds may keep every later call short of memory
                return self._finish(outputs, "error", memory_note(self.isolation.limits))
            if state == "idle":
                note = hint(outputs.error, self.isolation.limits) if outputs.error else ""
                return self._finish(outputs, "error" if outputs.error else "ok", note)
            if state == "dead":
                return self._died(outputs)

    def _read(self, outputs: Outputs, msg_id: str, wait: float) -> str:
        """Take the next message of this execution: ``idle`` when it ended, ``dead`` if the kernel did."""
        try:
            msg = self._client.get_iopub_msg(timeout=wait)
        except queue.Empty:
            return "busy" if self._manager.is_alive() else "dead"
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            return "busy"
        if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
            return "idle"
        outputs.add(msg)
        return "busy"

    def _interrupt(self, outputs: Outputs, msg_id: str, timeout: float) -> Execution:
        """Past the time limit: interrupt; restart the kernel if the code does not stop."""
        with contextlib.suppress(RuntimeError):  # it died at that moment: read on, then restart
            self._manager.interrupt_kernel()
        deadline = time.monotonic() + self.interrupt_grace
        while time.monotonic() < deadline:
            state = self._read(outputs, msg_id, POLL)
            if state == "idle":
                outputs.error = ""  # the KeyboardInterrupt is ours, not the code's
                note = f"the code ran longer than the time limit of {timeout:g} s and was interrupted; "
                return self._finish(outputs, "timeout", note + "variables defined before it are kept")
            if state == "dead":
                break
        self._stop()
        note = (
            f"the code ran longer than the time limit of {timeout:g} s and did not stop when "
            "interrupted, so the kernel was restarted: all variables are gone (files remain)"
        )
        return self._finish(outputs, "timeout", note)

    def _died(self, outputs: Outputs) -> Execution:
        process = getattr(self._manager.provisioner, "process", None)
        code = process.poll() if process is not None else None
        log = self._log_tail()
        self._stop()
        limits = self.isolation.limits
        if limits is not None and code in CPU_EXIT_CODES:
            cause = (
                f"the code used up the sandbox's CPU time limit of {limits.cpu_seconds:,} s, "
                "so its kernel was stopped"
            )
        else:
            exit_note = f" (exit code {code})" if code is not None else ""
            cause = f"the Python kernel died while running the code{exit_note}"
        note = f"{cause}; a fresh kernel starts with the next call, so {RESTART_NOTE}"
        return self._finish(outputs, "died", note, error=log)

    def _finish(self, outputs: Outputs, status: Status, note: str = "", error: str = "") -> Execution:
        scrub = self._scrubber.text if self._scrubber is not None else Scrubber().text
        display = [{k: v if k in BASE64_TYPES else scrub(v) for k, v in b.items()} for b in outputs.display]
        return Execution(
            status=status,
            output=scrub(outputs.output()),
            display=display,
            error=scrub(error or outputs.error),
            note=note,
        )

    def _log_tail(self) -> str:
        if self.root is None:
            return ""
        log = Layout(self.root, self.workdir or self.root).log
        try:
            text = log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return strip_ansi(text[-LOG_TAIL:]).strip()

    def _start(self) -> None:
        if self._client is not None:
            return
        if self.root is None:
            self.root = short_temporary_folder()
        workdir = self.workdir
        assert workdir is not None
        layout = Layout(self.root, workdir)
        layout.make()
        extra = {"IPYTHONDIR": str(layout.ipython), **self.extra_env}
        env, removed = sandbox_environment(home=workdir, extra=extra)
        self._scrubber = Scrubber(removed)
        launch = self.isolation.launch(layout)
        try:
            manager = self._manager = new_manager(layout, launch)
            spawn(manager, layout, launch, env)
            self._finalizer = weakref.finalize(self, kill_group, manager.provisioner.pid, self.root)
            launch.confine(self.startup_timeout)
        finally:
            launch.close()
        client = manager.client()
        client.start_channels()
        self._client = client
        client.wait_for_ready(timeout=self.startup_timeout)

    def _stop(self, remove_files: bool = False) -> None:
        """Stop the kernel at once (its state is being thrown away); ``remove_files`` removes its folder."""
        client, manager = self._client, self._manager
        self._client = self._manager = None
        if client is not None:
            client.stop_channels()
        if manager is not None:
            with contextlib.suppress(Exception):  # a kernel that died or never started
                manager.shutdown_kernel(now=True)
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if remove_files and self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def _kill(self) -> None:
        """Last resort: kill the kernel's process group and remove the folder, without jupyter_client."""
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
        kill_group(self.pid, self.root)
        self._client = self._manager = None
        self.root = None
