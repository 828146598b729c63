"""The project's exceptions: each says what happened, where, and what to do next."""

from __future__ import annotations

import asyncio
from typing import Any


class AgentnbError(Exception):
    """Base class; notebooks render these as one clear message, without a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class ConfigError(AgentnbError, ValueError, TypeError):
    """An argument that cannot work: the message names it, says why, and how to fix it.

    A `ValueError` and a `TypeError` (a wrong value or a wrong kind of value), so either
    ``except`` works; notebooks show it as one line, without a traceback.
    """


class RunError(AgentnbError):
    """A run ended because of an error; ``result`` keeps everything that happened before it."""

    def __init__(self, message: str, result: Any = None) -> None:
        super().__init__(message)
        self.result = result


class StructuredOutputError(RunError):
    """An agent's reply did not match its ``output_type``, even after one retry.

    Raised by the run that hit it (so ``except StructuredOutputError`` works around
    ``team.run``), with ``result`` holding the transcript up to the failure.
    """

    def __init__(self, agent: str, output_name: str, problems: str, text: str) -> None:
        self.agent, self.output_name, self.problems, self.text = agent, output_name, problems, text
        super().__init__(
            f"agent {agent!r} did not return a valid {output_name} after a retry: {problems}. "
            f"Last reply: {text[:300]!r}. Simplify the schema, improve the role, or use a "
            "stronger model."
        )


class TeamBusyError(AgentnbError, RuntimeError):
    """A second run of a team was started while the first is still going."""


class UnknownParticipantError(AgentnbError, KeyError):
    """A name that is not one of the team's participants."""

    def __str__(self) -> str:  # KeyError would show the message with quotes around it
        return str(self.args[0]) if self.args else ""


class CheckpointError(AgentnbError, IndexError):
    """A checkpoint number that does not exist, or a saved state that does not fit the team."""


class SavedFileError(CheckpointError, ValueError):
    """A saved file (a team, a cassette, a trace, an eval report, a cached reply) that cannot be
    read: the message names the file, what is wrong in it (not JSON, another format, a newer
    version) and what to do. A `ValueError`, so ``except ValueError`` around a load catches it."""


class StoreError(AgentnbError):
    """A run store cannot be used: the message names the store (its file or server), what is
    wrong and what to do. Nothing recorded is lost: the team keeps its transcript in memory."""


class RunBusyError(StoreError):
    """A stored run is being written by someone else (one run, one writer); the message says who."""


class RunInterrupted(asyncio.CancelledError):
    """``await team.run(...)`` was interrupted (a kernel interrupt, or the task was cancelled).

    A `CancelledError`, so cancellation still works as asyncio expects; notebooks show it
    as one line, and the transcript so far is in ``team.last_result``.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"RunInterrupted: {self}"]
