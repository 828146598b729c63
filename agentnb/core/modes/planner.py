"""What plan mode asks a planner, and how a planner's draft becomes a plan that can run.

A planner is an `Agent` that replies with a `PlanDraft` (structured output), or a fixed
`Plan`. The prompts here give it the task, the participants, and — when it replans after
a failure — the plan so far and what failed; `plan_from_draft` checks the draft (a cycle,
an unknown assignee, a missing step) so the planner can be told what to fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from agentnb.core.plan import Plan, PlanError, Step
from agentnb.core.words import plural

PLANNER_ROLE = (
    "You are the planner of a team. You split a task into a few concrete steps and assign "
    "each step to the participant best suited for it."
)
PLAN_INSTRUCTIONS = """Task: {task}

Participants (assign every step to one of them):
{roles}

Split the task into steps. Give each step a short id, a description of what it must produce,
its assignee, and the ids of the steps whose results it needs (depends_on). Steps that do not
depend on each other run at the same time, so only add a dependency when a step really needs
that result. The last step must produce the final answer from the others' results."""
REPLAN_INSTRUCTIONS = """Task: {task}

Participants (assign every step to one of them):
{roles}

The plan so far:
{status}

Step {failed!r} failed: {error}

Write a revised plan for the remaining work only. The finished steps stay done: do not repeat
them, but new steps may depend on them by id. Use new ids for new steps. Try another way
(another assignee, smaller steps) rather than the same step again."""


class DraftStep(BaseModel):
    """A step as a planner model writes it (the schema stays small for small models)."""

    id: str = Field(description="short identifier, e.g. 'research'")
    description: str = Field(description="what this step must produce")
    assignee: str = Field(description="the participant who does it")
    depends_on: list[str] = Field(default_factory=list, description="ids of steps that must finish first")


class PlanDraft(BaseModel):
    """The structured output a planner agent returns."""

    steps: list[DraftStep]

    def __str__(self) -> str:
        """The plan as people read it (the chat shows this): a numbered step per line, with its
        assignee and what it waits for."""
        lines = [f"Plan of {plural(len(self.steps), 'step')}:", ""]
        for number, step in enumerate(self.steps, 1):
            *first, last = step.depends_on or [""]
            after = f", after {', '.join(first)} and {last}" if first else f", after {last}" if last else ""
            lines.append(f"{number}. **{step.id}** → {step.assignee}{after}: {step.description}")
        return "\n".join(lines)

    def to_plan(self, goal: str = "", kept: Sequence[Step] = ()) -> Plan:
        """The plan; ``kept`` (finished steps of a plan being revised) come first and stay as they are."""
        kept_ids = {s.id for s in kept}
        new = [
            Step(id=s.id, description=s.description, assignee=s.assignee, depends_on=tuple(s.depends_on))
            for s in self.steps
            if s.id not in kept_ids
        ]
        if not new:
            raise PlanError("the revised plan has no new steps; the remaining work needs at least one")
        return Plan(goal=goal, steps=(*kept, *new))


def roles(participants: Sequence[Any]) -> str:
    return "\n".join(f"- {p.name}: {p.description}" for p in participants)


def status_lines(plan: Plan, done: Mapping[str, str], failed: Mapping[str, str]) -> str:
    """The plan so far, a line per step with what became of it (for a replanning prompt)."""
    lines = []
    for step in plan.steps:
        if step.id in done:
            state = f"done: {done[step.id][:300]}"
        elif step.id in failed:
            state = f"FAILED: {failed[step.id][:300]}"
        else:
            state = "not done"
        deps = f" (after {', '.join(step.depends_on)})" if step.depends_on else ""
        lines.append(f"- {step.id} [{step.assignee}]{deps}: {step.description} — {state}")
    return "\n".join(lines)


def plan_from_draft(data: Any, goal: str, names: Sequence[str], kept: Sequence[Step]) -> Plan:
    """A runnable plan from the planner's reply data, or `PlanError`/`ValueError` saying why not."""
    if data is None:
        raise PlanError("the planner returned no plan")
    plan = PlanDraft.model_validate(data).to_plan(goal=goal, kept=kept)
    plan.check_assignees(names)
    return plan


def step_prompt(step: Step, done: Mapping[str, str]) -> str:
    """What an assignee reads for its step: the step and the results it builds on."""
    parts = [f"Your step ({step.id}): {step.description}"]
    if step.depends_on:
        parts.append("Results of the steps it builds on:")
        parts.extend(f"- {dep}: {done.get(dep, '')}" for dep in step.depends_on)
    if step.expected_output is not None:
        parts.append("Reply with the structured result this step asks for.")
    return "\n".join(parts)


def check_result(step: Step, content: str, data: Any) -> str | None:
    """Why a step's result fails its check, or None."""
    from agentnb.core.structured import parse_data

    check = step.check
    if check is None:
        return None
    if isinstance(check, str):
        return None if check in content else f"the result does not contain {check!r}"
    output_type = step.output_type()
    value = parse_data(output_type, data) if output_type is not None else None
    value = value if value is not None else (data or content)
    verdict = check(value)
    if isinstance(verdict, str):
        return verdict or None
    return None if verdict else f"the result failed the check {getattr(check, '__name__', 'check')}"
