"""Lesson 10's eval of the newsroom: its assignments, each with the figure the archive gives.

A case passes when the newsroom published (`StopReason`) and its published line gives the
case's figure (`Reports`): the careless newsroom publishes its writer's guesses, so it fails.
Kept apart from `agentnb.course.production`, which processes import to run the team without
loading pydantic-evals.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import Evaluator, EvaluatorContext

from agentnb.core.result import TeamResult
from agentnb.course.production import BUDGET_TASK, TASK
from agentnb.evals import StopReason


@dataclass
class Reports(Evaluator):
    """The published line gives the case's figure (its expected output)."""

    def evaluate(self, ctx: EvaluatorContext) -> bool:
        return str(ctx.expected_output) in str(ctx.output)


def assignments() -> Dataset:
    """The newsroom's eval: the vote (14 acres) and the cost (3.9 million)."""
    return Dataset(
        name="assignments",
        cases=[
            Case(name="vote", inputs=TASK, expected_output="14-acre"),
            Case(name="cost", inputs=BUDGET_TASK, expected_output="3.9 million"),
        ],
        evaluators=[StopReason("PUBLISHED"), Reports()],
    )


def published(result: TeamResult) -> str:
    """What the eval grades: the newsroom's last word (the editor's PUBLISHED line)."""
    return result.final or ""
