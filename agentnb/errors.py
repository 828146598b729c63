"""The project's exceptions: each says what happened, where, and what to do next."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentnb.team import TeamResult


class AgentnbError(Exception):
    """Base class; notebooks render these as one clear message, without a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class StructuredOutputError(AgentnbError):
    """An agent's reply did not match its ``output_type``, even after one retry."""

    def __init__(self, agent: str, output_name: str, problems: str, text: str) -> None:
        self.agent, self.output_name, self.problems, self.text = agent, output_name, problems, text
        super().__init__(
            f"agent {agent!r} did not return a valid {output_name} after a retry: {problems}. "
            f"Last reply: {text[:300]!r}. Simplify the schema, improve the role, or use a "
            "stronger model."
        )


class TeamBusyError(AgentnbError, RuntimeError):
    """A second run of a team was started while the first is still going."""


class RunError(AgentnbError):
    """A run ended because of an error; ``result`` keeps everything that happened before it."""

    def __init__(self, message: str, result: TeamResult | Any) -> None:
        super().__init__(message)
        self.result = result
