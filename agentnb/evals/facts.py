"""What a team run did, read from its events: who spoke, handoffs, turns, tokens, plan shape.

Evaluators judge these facts, and the eval report keeps them (small, JSON-ready) beside
each case, so a saved baseline still says what the team did after the run objects are gone.
Only the top-level team's events count; a nested team's turns are inside its one turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentnb.core.events import Handoff, PlanCreated, Replanned, SpeakerSelected
from agentnb.core.plan import Plan
from agentnb.core.result import TeamResult


@dataclass(frozen=True)
class PlanFacts:
    """The shape of the last plan a plan-mode run followed.

    ``width`` is the largest number of steps at one dependency level: steps that could run
    in parallel ("fanned out into 3 steps"); ``levels`` the longest chain of dependencies.
    """

    steps: int
    levels: int
    width: int
    replans: int

    def text(self) -> str:
        replans = f", {self.replans} replan{'s' if self.replans != 1 else ''}" if self.replans else ""
        return f"{self.steps} steps in {self.levels} levels, up to {self.width} in parallel{replans}"


@dataclass(frozen=True)
class RunFacts:
    """The facts evaluators read: speakers in turn order, handoffs as ``source->target``, and more."""

    speakers: list[str]
    handoffs: list[str]
    turns: int
    tokens: int
    stop_reason: str
    plan: PlanFacts | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (built by hand: ``dataclasses.asdict`` deep-copies, and this runs per case)."""
        plan = self.plan
        return {
            "speakers": list(self.speakers),
            "handoffs": list(self.handoffs),
            "turns": self.turns,
            "tokens": self.tokens,
            "stop_reason": self.stop_reason,
            "plan": None
            if plan is None
            else {"steps": plan.steps, "levels": plan.levels, "width": plan.width, "replans": plan.replans},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunFacts:
        plan = data.get("plan")
        return cls(**{**data, "plan": PlanFacts(**plan) if plan else None})


def plan_facts(plan: Plan, replans: int = 0) -> PlanFacts:
    """Steps, levels and width of ``plan``."""
    depth: dict[str, int] = {}
    for step in plan.order():
        depth[step.id] = 1 + max((depth[d] for d in step.depends_on), default=0)
    per_level: dict[int, int] = {}
    for level in depth.values():
        per_level[level] = per_level.get(level, 0) + 1
    return PlanFacts(
        steps=len(plan.steps), levels=max(depth.values()), width=max(per_level.values()), replans=replans
    )


def run_facts(result: TeamResult) -> RunFacts:
    """The facts of one finished (or failed) run."""
    speakers: list[str] = []
    handoffs: list[str] = []
    plan: Plan | None = None
    replans = 0
    for event in result.messages:
        if event.scope:
            continue
        kind = event.__class__
        if kind is SpeakerSelected:
            speakers.append(event.speaker)
        elif kind is Handoff:
            handoffs.append(f"{event.source}->{event.target}")
        elif kind is PlanCreated:
            plan = event.plan
        elif kind is Replanned:
            plan = event.plan
            replans += 1
    return RunFacts(
        speakers=speakers,
        handoffs=handoffs,
        turns=result.turns,
        tokens=result.usage.total_tokens,
        stop_reason=result.stop_reason,
        plan=plan_facts(plan, replans) if plan is not None else None,
    )
