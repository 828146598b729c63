"""What an eval found, per case: each run passed or not, and a case's pass rate over its runs.

A run passes when its task did not fail, no evaluator failed and every assertion holds; a
case's pass rate comes with a 95% Wilson interval (`agentnb.evals.stats.Rate`). `Outcome`
holds the per-case summaries of one eval: an `EvalReport` is one, and a `Comparison` reads
two of them, so neither module needs the other's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_evals.reporting import ReportCase, ReportCaseFailure

from agentnb.evals.stats import Rate
from agentnb.evals.task import FACTS_KEY

RUN_NAME = re.compile(r"^(.*) \[(\d+)/(\d+)\]$")

Run = ReportCase[Any, Any, Any] | ReportCaseFailure[Any, Any, Any]


def passed(run: Run) -> bool:
    """A run passes when its task did not fail, no evaluator failed and every assertion holds."""
    if isinstance(run, ReportCaseFailure):
        return False
    return not run.evaluator_failures and all(a.value is True for a in run.assertions.values())


def run_number(run: Run) -> int:
    """Which repeat of its case this run was (1 when the eval ran each case once)."""
    found = RUN_NAME.match(run.name)
    return int(found.group(2)) if found and run.source_case_name else 1


def tokens_of(run: Run) -> int | None:
    """Tokens the run used: from the agentnb run's facts, else the model-call spans' usage."""
    if isinstance(run, ReportCaseFailure):
        return None
    found = run.attributes.get(FACTS_KEY)
    if isinstance(found, dict) and "tokens" in found:
        return int(found["tokens"])
    used = [run.metrics[k] for k in ("input_tokens", "output_tokens") if k in run.metrics]
    return int(sum(used)) if used else None


def turns_of(run: Run) -> int | None:
    if isinstance(run, ReportCaseFailure):
        return None
    found = run.attributes.get(FACTS_KEY)
    if isinstance(found, dict) and "turns" in found:
        return int(found["turns"])
    value = run.metrics.get("turns")
    return int(value) if value is not None else None


def mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


@dataclass(frozen=True)
class CaseSummary:
    """One case over its runs: how often it passed, per assertion, and its mean scores and costs."""

    name: str
    rate: Rate
    errors: int
    assertions: dict[str, Rate]
    scores: dict[str, float]
    tokens: float | None
    turns: float | None
    duration: float | None
    runs: list[Run] = field(repr=False, compare=False)


def summarize(name: str, runs: Sequence[Run]) -> CaseSummary:
    ok = [r for r in runs if isinstance(r, ReportCase)]
    assertions: dict[str, Rate] = {}
    scores: dict[str, list[float]] = {}
    for run in ok:
        for key, result in run.assertions.items():
            assertions[key] = assertions.get(key, Rate(0, 0)) + Rate(int(result.value is True), 1)
        for key, result in run.scores.items():
            scores.setdefault(key, []).append(float(result.value))
    return CaseSummary(
        name=name,
        rate=Rate(sum(passed(r) for r in runs), len(runs)),
        errors=len(runs) - len(ok),
        assertions=assertions,
        scores={k: sum(v) / len(v) for k, v in scores.items()},
        tokens=mean([tokens_of(r) for r in ok]),
        turns=mean([turns_of(r) for r in ok]),
        duration=mean([r.task_duration for r in ok]),
        runs=sorted(runs, key=run_number),
    )


class Outcome:
    """The runs of one eval grouped by case (in ``order`` first, then as they come) and summed up.

    ``cases`` are the per-case summaries, ``total`` the summary over all runs; ``name`` and
    ``dataset`` say which eval it was, ``repeat`` how many runs each case had.
    """

    def __init__(
        self, name: str, dataset: str, runs: Sequence[Run], *, repeat: int = 1, order: Sequence[str] = ()
    ) -> None:
        self.name = name
        self.dataset = dataset
        self.repeat = repeat
        groups: dict[str, list[Run]] = {case: [] for case in order}
        for run in runs:
            groups.setdefault(run.source_case_name or run.name, []).append(run)
        self.cases = [summarize(case, found) for case, found in groups.items() if found]
        self.total = summarize("all", [run for case in self.cases for run in case.runs])

    @property
    def pass_rate(self) -> Rate:
        """Runs passed over all runs of all cases, with its interval."""
        return self.total.rate

    def case(self, name: str) -> CaseSummary:
        for summary in self.cases:
            if summary.name == name:
                return summary
        raise KeyError(f"the eval has no case {name!r}; its cases: {', '.join(c.name for c in self.cases)}")
