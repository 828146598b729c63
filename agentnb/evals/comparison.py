"""Baseline vs candidate: what improved, what regressed, and what only moved within the noise.

A pass rate that went from 3/5 to 4/5 has not clearly improved: the two 95% intervals
overlap widely. `Comparison` calls a change *improved* or *regressed* only when the
intervals do not overlap, and *better* or *worse (within noise)* otherwise, so a student
learns to ask for more runs before believing a difference. Costs (tokens, turns) count as
changed beyond ±5%. `agentnb.views` draws a comparison as tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentnb.core.plugins import Readable
from agentnb.evals.cases import Outcome
from agentnb.evals.stats import Rate

COST_TOLERANCE = 0.05
IMPROVED, REGRESSED = "improved", "regressed"
BETTER, WORSE = "better (within noise)", "worse (within noise)"
SAME, NEW, REMOVED = "same", "new", "removed"


def rate_verdict(before: Rate | None, after: Rate | None) -> str:
    """How a pass rate changed (see the module docstring)."""
    if before is None:
        return NEW
    if after is None:
        return REMOVED
    if after.value == before.value:
        return SAME
    up = after.value > before.value
    if after.overlaps(before):
        return BETTER if up else WORSE
    return IMPROVED if up else REGRESSED


def cost_verdict(before: float | None, after: float | None) -> str:
    """How a cost (lower is better) changed: beyond ±5% counts."""
    if before is None:
        return NEW
    if after is None:
        return REMOVED
    if abs(after - before) <= COST_TOLERANCE * max(abs(before), 1e-9):
        return SAME
    return IMPROVED if after < before else REGRESSED


@dataclass(frozen=True)
class Change:
    """One line of the comparison: what, before, after, and the verdict."""

    name: str
    before: Rate | float | None
    after: Rate | float | None
    verdict: str


class Comparison(Readable):
    """A candidate eval report side by side with its baseline (``candidate.compare(baseline)``).

    ``cases`` compares pass rates per case, ``evaluators`` per assertion over all runs,
    ``costs`` mean tokens and turns per run; ``improved`` and ``regressed`` list the names of
    cases whose change is beyond the noise.
    """

    def __init__(self, baseline: Outcome, candidate: Outcome) -> None:
        if not isinstance(baseline, Outcome) or not isinstance(candidate, Outcome):
            raise TypeError(
                "compare two eval reports (what agentnb.evals.evaluate returns, or load_report(path))"
            )
        self.baseline = baseline
        self.candidate = candidate
        before = {c.name: c for c in baseline.cases}
        after = {c.name: c for c in candidate.cases}
        names = [*after, *(n for n in before if n not in after)]
        self.cases = [
            Change(
                n,
                before[n].rate if n in before else None,
                after[n].rate if n in after else None,
                rate_verdict(before[n].rate if n in before else None, after[n].rate if n in after else None),
            )
            for n in names
        ]
        b, a = baseline.total.assertions, candidate.total.assertions
        self.evaluators = [
            Change(n, b.get(n), a.get(n), rate_verdict(b.get(n), a.get(n)))
            for n in [*a, *(n for n in b if n not in a)]
        ]
        bt, at = baseline.total, candidate.total
        self.costs = [
            Change("tokens per run", bt.tokens, at.tokens, cost_verdict(bt.tokens, at.tokens)),
            Change("turns per run", bt.turns, at.turns, cost_verdict(bt.turns, at.turns)),
        ]
        self.overall = Change("all runs", bt.rate, at.rate, rate_verdict(bt.rate, at.rate))

    @property
    def improved(self) -> list[str]:
        return [c.name for c in self.cases if c.verdict == IMPROVED]

    @property
    def regressed(self) -> list[str]:
        return [c.name for c in self.cases if c.verdict == REGRESSED]

    def __repr__(self) -> str:
        return self.text()


def compare(baseline: Outcome, candidate: Outcome) -> Comparison:
    """``candidate`` side by side with ``baseline``."""
    return Comparison(baseline, candidate)
