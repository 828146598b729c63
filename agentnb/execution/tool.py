"""The ``run_python`` tool: Python a model writes runs in a `Sandbox`, after a person approves it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentnb.core.lifecycle import on_run_end
from agentnb.core.tools import Tool, ToolOutput, arguments_model, check_tool_name
from agentnb.execution.isolation import IsolationName, Limits
from agentnb.execution.sandbox import Sandbox

DESCRIPTION = (
    "Run Python code in a separate IPython kernel and get back what it printed, the value of "
    "its last line and any error. Variables, imports and files persist between calls; the "
    "working directory is a scratch folder; plots and images are shown to the user. "
    "The kernel may be isolated: without network, files outside its folder or extra memory. "
    "A person may review, edit or reject each call before it runs."
)
CODE_DOC = "Python source to run, like a notebook cell; end with an expression to see its value."


class CodeExecutor(Tool):
    """A tool that runs model-written Python in a kernel of its own; make one with `code_executor`.

    The kernel starts at the first call and keeps its variables until `close` (or the end
    of a ``with`` block, or interpreter exit); after that a call starts a fresh one.
    ``isolation`` names the isolation in force (``bubblewrap`` or ``none``) and
    ``isolation_summary`` says in one line what it keeps the code from; every approval of a
    call shows that line (the tool's ``approval_note``: "The code runs isolated with ...").
    """

    def __init__(
        self,
        *,
        name: str = "run_python",
        timeout: float = 30.0,
        max_output: int = 20_000,
        workdir: str | Path | None = None,
        env: dict[str, str] | None = None,
        isolation: IsolationName = "auto",
        network: bool = False,
        limits: Limits | None = None,
        requires_approval: bool = True,
        description: str | None = None,
    ) -> None:
        for label, value in (("timeout", timeout), ("max_output", max_output)):
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"code_executor: {label} must be a positive number, got {value!r}")
        if env is not None and not (
            isinstance(env, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
        ):
            raise ValueError(f"code_executor: env must be a dict of str to str, got {env!r:.200}")
        self.sandbox = Sandbox(workdir=workdir, env=env, isolation=isolation, network=network, limits=limits)
        self.time_limit = float(timeout)
        self.max_output = int(max_output)
        name = check_tool_name(name)
        super().__init__(
            name=name,
            description=description or DESCRIPTION,
            fn=self._run_code,
            arguments_model=arguments_model(self._run_code, {"code": CODE_DOC}, name),
            requires_approval=bool(requires_approval),
            approval_note=f"The code runs {self.sandbox.isolation.summary}",
        )

    def __repr__(self) -> str:
        return f"CodeExecutor({self.name!r}, timeout={self.time_limit:g} s, {self.sandbox!r})"

    @property
    def isolation(self) -> str:
        """The isolation in force: ``bubblewrap`` or ``none``."""
        return self.sandbox.isolation.name

    @property
    def isolation_summary(self) -> str:
        """One line for people: what the code can and cannot reach, and its limits."""
        return self.sandbox.isolation.summary

    async def _run_code(self, code: str) -> ToolOutput:
        on_run_end(self.aclose)  # the kernel lives as long as the run that uses it
        execution = await self.sandbox.run(code, timeout=self.time_limit, max_output=self.max_output)
        return ToolOutput(execution.report(), display=execution.display, is_error=not execution.ok)

    def close(self) -> None:
        """Stop the kernel and remove its temporary files (a later call starts a fresh kernel)."""
        self.sandbox.close()

    async def aclose(self) -> None:
        """`close` from async code, without blocking the event loop."""
        await self.sandbox.aclose()

    def __enter__(self) -> CodeExecutor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    async def __aenter__(self) -> CodeExecutor:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


def code_executor(
    *,
    timeout: float = 30.0,
    max_output: int = 20_000,
    workdir: str | Path | None = None,
    env: dict[str, str] | None = None,
    isolation: IsolationName = "auto",
    network: bool = False,
    limits: Limits | None = None,
    requires_approval: bool = True,
    name: str = "run_python",
    description: str | None = None,
) -> CodeExecutor:
    """A ``run_python(code)`` tool for an agent: the code runs in a separate Jupyter kernel.

    Each call is shown to the team's approver first (a `Human`, or ``Team(approver=fn)``),
    who may approve, edit or reject it. The kernel is never your notebook's: it runs in
    ``workdir`` (default: a temporary folder of its own) with a short allowlist of your
    environment variables (``env`` adds variables on purpose), each call stops after
    ``timeout`` seconds and what the model reads is cut at ``max_output`` characters.
    Failures (an exception, a time-out, a limit, a crashed kernel) come back to the model
    as error results.

    On Linux the kernel is isolated with bubblewrap (``isolation="auto"``): it sees only its
    work folder and the system's and Python's files, not your home or other processes,
    has no network unless ``network=True``, and runs within ``limits`` (`Limits`: memory,
    file size, processes, CPU time). Where bubblewrap is unavailable this raises
    `IsolationUnavailable`; ``isolation="none"`` runs the code unisolated, with your user's
    rights. ``requires_approval=False`` runs whatever the model writes with nobody reading
    it first: use it only with code you would also run unread with the isolation in force.
    """
    return CodeExecutor(
        name=name,
        timeout=timeout,
        max_output=max_output,
        workdir=workdir,
        env=env,
        isolation=isolation,
        network=network,
        limits=limits,
        requires_approval=requires_approval,
        description=description,
    )
