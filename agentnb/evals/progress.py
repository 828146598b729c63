"""A progress bar while an eval runs: runs done, runs passed; never a clock.

`evaluate` reports each finished run to a `Progress`. In a terminal that is a one-line bar
on stderr; in a notebook the notebook layer registers its own display (`register_display`),
because the core never imports Jupyter. ``progress=False`` shows nothing, and so does
``"auto"`` where nobody watches (no terminal and no notebook display registered), so
saved notebooks and logs stay free of it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import IO, Any, Protocol, runtime_checkable

from agentnb.core.untrusted import terminal_text

WIDTH = 24


@runtime_checkable
class Progress(Protocol):
    """Told when an eval starts (its title and how many runs), after each run, and at the end."""

    def start(self, title: str, total: int) -> None: ...

    def advance(self, passed: bool) -> None: ...

    def finish(self) -> None: ...


class TextProgress:
    """``Evaluating v2 [#########.........] 12/30 runs · 11 passed``, redrawn in place on ``stream``."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.title = ""
        self.total = 0
        self.done = 0
        self.passed = 0

    def start(self, title: str, total: int) -> None:
        # the title names the dataset, which may come from a file: shown, never obeyed
        self.title, self.total, self.done, self.passed = terminal_text(title), total, 0, 0
        self._draw()

    def advance(self, passed: bool) -> None:
        self.done += 1
        self.passed += passed
        self._draw()

    def finish(self) -> None:
        self.stream.write("\n")
        self.stream.flush()

    def line(self) -> str:
        filled = WIDTH * self.done // self.total if self.total else WIDTH
        bar = "#" * filled + "." * (WIDTH - filled)
        return f"{self.title} [{bar}] {self.done}/{self.total} runs · {self.passed} passed"

    def _draw(self) -> None:
        self.stream.write("\r" + self.line())
        self.stream.flush()


_displays: list[Callable[[], Progress]] = []


def register_display(factory: Callable[[], Progress]) -> None:
    """Use ``factory()`` for ``progress="auto"`` (the notebook layer registers its widget here)."""
    if factory not in _displays:
        _displays.append(factory)


def unregister_display(factory: Callable[[], Progress]) -> None:
    if factory in _displays:
        _displays.remove(factory)


def choose(progress: Any) -> Progress | None:
    """The progress display for ``evaluate(progress=...)``: True, False, "auto" or a `Progress`."""
    if progress is False or progress is None:
        return None
    if isinstance(progress, Progress):
        return progress
    if progress not in (True, "auto"):
        raise ValueError(f"progress: expected True, False, 'auto' or a Progress object, got {progress!r}")
    if _displays:
        return _displays[-1]()
    stream = sys.stderr
    if progress is True or (hasattr(stream, "isatty") and stream.isatty()):
        return TextProgress(stream)
    return None


def lifecycle(progress: Progress) -> Callable[[Any], Any]:
    """A pydantic-evals case lifecycle that advances ``progress`` when a case's run is evaluated."""
    from pydantic_evals.lifecycle import CaseLifecycle

    from agentnb.evals.cases import passed

    class Advance(CaseLifecycle[Any, Any, Any]):
        async def teardown(self, result: Any) -> None:
            progress.advance(result is not None and passed(result))

    return Advance
