"""Evaluators for multi-agent runs: speaking order, handoffs, turns, tokens, stop reason, plan shape.

Each is a small pydantic-evals `Evaluator` dataclass returning a pass/fail with a reason
that shows what the team actually did. They read the run's facts (`agentnb.evals.facts`),
which `AgentTask` puts beside every case; for anything else, `run_of(ctx)` gives the whole
`TeamResult` to an evaluator of your own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic_evals.evaluators import EvaluationReason, Evaluator, EvaluatorContext

from agentnb.evals.facts import RunFacts, run_facts
from agentnb.evals.task import FACTS_KEY, run_of

NO_RUN = "no agentnb run in this case: evaluate the team with agentnb.evals.evaluate (or AgentTask)"


def ctx_facts(ctx: EvaluatorContext[Any, Any, Any]) -> RunFacts | None:
    """The facts of the case's run, or None when the task was not an agentnb run."""
    found = ctx.attributes.get(FACTS_KEY)
    if isinstance(found, dict):
        return RunFacts.from_dict(found)
    result = run_of(ctx)
    return run_facts(result) if result is not None else None


def arrows(names: list[str]) -> str:
    return " → ".join(names) if names else "nobody"


@dataclass(repr=False)
class RunEvaluator(Evaluator[Any, Any, Any]):
    """Shared part: the report name (``evaluation_name``, default: the class name) and the facts."""

    evaluation_name: str | None = field(default=None, kw_only=True)

    def get_default_evaluation_name(self) -> str:
        return self.evaluation_name or self.get_serialization_name()

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        found = ctx_facts(ctx)
        if found is None:
            return EvaluationReason(value=False, reason=NO_RUN)
        return self.judge(found)

    def judge(self, run: RunFacts) -> EvaluationReason:
        raise NotImplementedError


@dataclass(repr=False)
class SpeakerOrder(RunEvaluator):
    """Who took turns, in order. ``order="exact"``: exactly ``expected``; ``"in_order"``:
    ``expected`` appears in this order, others may speak in between."""

    expected: list[str]
    order: Literal["exact", "in_order"] = "exact"

    def judge(self, run: RunFacts) -> EvaluationReason:
        if self.order not in ("exact", "in_order"):
            raise ValueError(f"SpeakerOrder: order must be 'exact' or 'in_order', not {self.order!r}")
        spoke = run.speakers
        ok = spoke == list(self.expected) if self.order == "exact" else _in_order(self.expected, spoke)
        wanted = (
            "" if ok else f"; expected {'exactly ' if self.order == 'exact' else ''}{arrows(self.expected)}"
        )
        return EvaluationReason(value=ok, reason=f"spoke: {arrows(spoke)}{wanted}")


@dataclass(repr=False)
class HandoffsTaken(RunEvaluator):
    """The handoffs the run took: each expected item is ``"source->target"`` or just ``"target"``.

    ``exact=True`` wants exactly these handoffs, in order (``[]``: none at all);
    ``exact=False`` wants them in this order, with others allowed in between.
    """

    expected: list[str]
    exact: bool = True

    def judge(self, run: RunFacts) -> EvaluationReason:
        wanted = [_handoff(item) for item in self.expected]
        taken = run.handoffs
        if self.exact:
            ok = len(taken) == len(wanted) and all(_matches(w, t) for w, t in zip(wanted, taken, strict=True))
        else:
            ok = _in_order(wanted, taken, _matches)
        shown = ", ".join(taken) if taken else "none"
        miss = "" if ok else f"; expected {', '.join(self.expected) or 'none'}"
        return EvaluationReason(value=ok, reason=f"handoffs: {shown}{miss}")


@dataclass(repr=False)
class TurnsAtMost(RunEvaluator):
    """The run took at most ``max_turns`` turns."""

    max_turns: int

    def judge(self, run: RunFacts) -> EvaluationReason:
        return EvaluationReason(
            value=run.turns <= self.max_turns, reason=f"{run.turns} turns (at most {self.max_turns})"
        )


@dataclass(repr=False)
class TokensAtMost(RunEvaluator):
    """The run used at most ``max_tokens`` tokens (prompt and completion, every model call)."""

    max_tokens: int

    def judge(self, run: RunFacts) -> EvaluationReason:
        return EvaluationReason(
            value=run.tokens <= self.max_tokens, reason=f"{run.tokens:,} tokens (at most {self.max_tokens:,})"
        )


@dataclass(repr=False)
class StopReason(RunEvaluator):
    """The run stopped for the expected reason: its stop reason contains ``contains``
    (``"APPROVED"`` for a team that stops when the editor approves)."""

    contains: str

    def judge(self, run: RunFacts) -> EvaluationReason:
        return EvaluationReason(value=self.contains in run.stop_reason, reason=f"stopped: {run.stop_reason}")


@dataclass(repr=False)
class PlanShape(RunEvaluator):
    """The plan a plan-mode run followed has the expected shape.

    ``min_parallel=3``: it fanned out into at least 3 steps that could run at once (steps
    at one dependency level); ``min_steps`` / ``max_steps`` bound its size, ``max_replans``
    how often it was revised. Unset bounds are not checked.
    """

    min_parallel: int | None = None
    max_parallel: int | None = None
    min_steps: int | None = None
    max_steps: int | None = None
    max_replans: int | None = None

    def judge(self, run: RunFacts) -> EvaluationReason:
        plan = run.plan
        if plan is None:
            return EvaluationReason(value=False, reason="the run made no plan (is the team in plan mode?)")
        problems = []
        if self.min_parallel is not None and plan.width < self.min_parallel:
            problems.append(f"fewer than {self.min_parallel} in parallel")
        if self.max_parallel is not None and plan.width > self.max_parallel:
            problems.append(f"more than {self.max_parallel} in parallel")
        if self.min_steps is not None and plan.steps < self.min_steps:
            problems.append(f"fewer than {self.min_steps} steps")
        if self.max_steps is not None and plan.steps > self.max_steps:
            problems.append(f"more than {self.max_steps} steps")
        if self.max_replans is not None and plan.replans > self.max_replans:
            problems.append(f"more than {self.max_replans} replans")
        reason = f"plan: {plan.text()}" + (f" ({'; '.join(problems)})" if problems else "")
        return EvaluationReason(value=not problems, reason=reason)


def _handoff(item: str) -> tuple[str | None, str]:
    source, arrow, target = item.replace(" ", "").partition("->")
    return (source, target) if arrow else (None, source)


def _matches(wanted: tuple[str | None, str], taken: str) -> bool:
    source, target = taken.split("->", 1)
    return wanted[1] == target and (wanted[0] is None or wanted[0] == source)


def _in_order(wanted: list[Any], seen: list[str], same: Any = None) -> bool:
    """Whether ``wanted`` is a subsequence of ``seen``."""
    same = same or (lambda w, s: w == s)
    position = iter(seen)
    return all(any(same(w, s) for s in position) for w in wanted)


EVALUATORS = (SpeakerOrder, HandoffsTaken, TurnsAtMost, TokensAtMost, StopReason, PlanShape)
