"""Baseline vs candidate: what improved, what regressed, and what only moved within the noise.

A pass rate that went from 3/5 to 4/5 has not clearly improved: the two 95% intervals
overlap widely. `Comparison` calls a change *improved* or *regressed* only when the
intervals do not overlap, and *better* or *worse (within noise)* otherwise, so a student
learns to ask for more runs before believing a difference. Costs (tokens, turns) count as
changed beyond ±5%.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentnb.evals.report import EvalReport, number, rate_tone
from agentnb.evals.stats import Rate, percent
from agentnb.views.tables import Block, Cell, Rendered, Table, Title, cells

COST_TOLERANCE = 0.05
IMPROVED, REGRESSED = "improved", "regressed"
BETTER, WORSE = "better (within noise)", "worse (within noise)"
SAME, NEW, REMOVED = "same", "new", "removed"
TONE = {
    IMPROVED: "good",
    REGRESSED: "bad",
    BETTER: "",
    WORSE: "",
    SAME: "muted",
    NEW: "muted",
    REMOVED: "muted",
}


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


def points(before: Rate | None, after: Rate | None) -> str:
    if before is None or after is None:
        return ""
    delta = round((after.value - before.value) * 100)
    return f"{delta:+d} pts" if delta else "±0"


def relative(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return ""
    if before == 0:
        return "±0%" if after == 0 else "new cost"
    change = round((after - before) / before * 100)
    return f"{change:+d}%" if change else "±0%"


@dataclass(frozen=True)
class Change:
    """One line of the comparison: what, before, after, and the verdict."""

    name: str
    before: Rate | float | None
    after: Rate | float | None
    verdict: str


class Comparison(Rendered):
    """A candidate eval report side by side with its baseline (``candidate.compare(baseline)``).

    ``cases`` compares pass rates per case, ``evaluators`` per assertion over all runs,
    ``costs`` mean tokens and turns per run; ``improved`` and ``regressed`` list the names of
    cases whose change is beyond the noise.
    """

    def __init__(self, baseline: EvalReport, candidate: EvalReport) -> None:
        if not isinstance(baseline, EvalReport) or not isinstance(candidate, EvalReport):
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

    def blocks(self) -> list[Block]:
        counts = {
            v: sum(c.verdict == v for c in self.cases) for v in (IMPROVED, REGRESSED, BETTER, WORSE, SAME)
        }
        detail = ", ".join(f"{n} {v}" for v, n in counts.items() if n or v in (IMPROVED, REGRESSED))
        overall = self.overall
        detail += f" · all runs: {_rate(overall.before)} → {_rate(overall.after)} ({overall.verdict})"
        head = ["baseline " + self.baseline.name, "candidate " + self.candidate.name, "change", "verdict"]
        blocks: list[Block] = [
            Title(f"Candidate {self.candidate.name} vs baseline {self.baseline.name}", detail)
        ]
        rows = [self._rate_row(c) for c in self.cases]
        blocks.append(Table(["case", *head], rows, {1, 2, 3}, [self._rate_row(overall)]))
        if self.evaluators:
            blocks.append(
                Table(["evaluator", *head], [self._rate_row(c) for c in self.evaluators], {1, 2, 3})
            )
        cost_rows = [self._cost_row(c) for c in self.costs if c.before is not None or c.after is not None]
        if cost_rows:
            blocks.append(Table(["cost", *head], cost_rows, {1, 2, 3}))
        return blocks

    def _rate_row(self, change: Change) -> list[Cell]:
        before, after = change.before, change.after
        assert before is None or isinstance(before, Rate)
        assert after is None or isinstance(after, Rate)
        return cells(
            change.name,
            Cell(_rate(before), rate_tone(before) if before else "muted"),
            Cell(_rate(after), rate_tone(after) if after else "muted"),
            points(before, after),
            Cell(change.verdict, TONE[change.verdict]),  # type: ignore[arg-type]
        )

    def _cost_row(self, change: Change) -> list[Cell]:
        before, after = change.before, change.after
        assert not isinstance(before, Rate) and not isinstance(after, Rate)
        digits = 0 if change.name.startswith("tokens") else 1
        return cells(
            change.name,
            number(before, digits),
            number(after, digits),
            relative(before, after),
            Cell(change.verdict, TONE[change.verdict]),  # type: ignore[arg-type]
        )


def _rate(rate: Rate | float | None) -> str:
    if not isinstance(rate, Rate):
        return "–"
    return f"{rate.passed}/{rate.runs} = {percent(rate.value)} {rate.interval_text()}"


def compare(baseline: EvalReport, candidate: EvalReport) -> Comparison:
    """``candidate`` side by side with ``baseline``."""
    return Comparison(baseline, candidate)
