"""Eval reports, comparisons and judge calibrations drawn as tables (`agentnb.views.tables`).

The data lives in `agentnb.evals` (`EvalReport`, `Comparison`, `Calibration`); this module
turns each into blocks — a headline, tables, notes — that render the same as text, markdown
and HTML. Nothing here reads a clock unless asked (``times=True``), so saved notebooks stay
deterministic; failure reasons are scrubbed of secrets, since a reason may quote a run's output.
`agentnb.views` loads this module the first time one of those objects is shown (it needs
pydantic-evals, an extra).
"""

from __future__ import annotations

from typing import Any

from pydantic_evals.reporting import ReportCaseFailure

from agentnb.core.secrets import Scrubber
from agentnb.core.words import short
from agentnb.evals.cases import CaseSummary, Run, passed
from agentnb.evals.comparison import (
    BETTER,
    IMPROVED,
    NEW,
    REGRESSED,
    REMOVED,
    SAME,
    WORSE,
    Change,
    Comparison,
)
from agentnb.evals.judge import Calibration, as_text, kappa_words
from agentnb.evals.report import REASONS, EvalReport
from agentnb.evals.stats import Rate, percent
from agentnb.evals.task import SEED_KEY
from agentnb.views.tables import Block, Cell, Notes, Rendered, Table, Title, cells

TONE = {
    IMPROVED: "good",
    REGRESSED: "bad",
    BETTER: "",
    WORSE: "",
    SAME: "muted",
    NEW: "muted",
    REMOVED: "muted",
}


def rate_tone(rate: Rate) -> Any:
    if not rate.runs:
        return ""
    return "good" if rate.passed == rate.runs else "bad" if rate.passed == 0 else ""


def number(value: float | None, digits: int = 1) -> str:
    """``12``, ``2.5``, ``1,234``; ``–`` when unknown."""
    if value is None:
        return "–"
    if abs(value - round(value)) < 1e-9 or abs(value) >= 100:
        return f"{round(value):,}"
    return f"{value:,.{digits}f}"


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def why_failed(run: Run) -> str:
    """One line: the run's name and what went wrong (an error, failed assertions, broken evaluators)."""
    if isinstance(run, ReportCaseFailure):
        return f"{run.name}: error: {short(run.error_message, 200)}"
    parts = [
        f"{key}: {short(result.reason or 'failed', 160)}"
        for key, result in run.assertions.items()
        if result.value is not True
    ]
    parts += [f"{f.name} could not run: {short(f.error_message, 160)}" for f in run.evaluator_failures]
    seed = run.attributes.get(SEED_KEY)
    where = f"{run.name} (seed {seed})" if isinstance(seed, int) and run.source_case_name else run.name
    return f"{where}: {'; '.join(parts)}"


# ----- an eval report ----------------------------------------------------------------------------


class EvalView(Rendered):
    """An `EvalReport` drawn as a headline, a per-case table with an ``all`` row, and failed runs."""

    def __init__(self, report: EvalReport, *, times: bool = False, reasons: int = REASONS) -> None:
        self.report = report
        self.times = times
        self.reasons = reasons

    def __repr__(self) -> str:
        return self.text()

    def blocks(self) -> list[Block]:
        report = self.report
        cases = report.cases
        runs = report.repeat
        total = report.total
        detail = f"{len(cases)} case{'s' if len(cases) != 1 else ''} × {runs} run{'s' if runs != 1 else ''}"
        if report.dataset:
            detail += f" of dataset {report.dataset}"
        detail += f" · passed {total.rate.text()}"
        blocks: list[Block] = [Title(f"Eval {report.name}", detail)]
        assertion_names = _names(c.assertions for c in [*cases, total])
        score_names = _names(c.scores for c in [*cases, total])
        errors = total.errors > 0
        header = ["case", "passed", "pass rate [95% CI]", *assertion_names, *score_names, "tokens", "turns"]
        if errors:
            header.append("errors")
        if self.times:
            header.append("time")
        numeric = set(range(1, len(header)))
        rows = [self._row(c, assertion_names, score_names, errors) for c in cases]
        footer = [self._row(total, assertion_names, score_names, errors)] if len(cases) > 1 else []
        blocks.append(Table(header, rows, numeric, footer))
        notes = self._failed(cases)
        if notes is not None:
            blocks.append(notes)
        return blocks

    def _row(
        self, case: CaseSummary, assertion_names: list[str], score_names: list[str], errors: bool
    ) -> list[Cell]:
        rate = case.rate
        row = cells(
            case.name,
            Cell(f"{rate.passed}/{rate.runs}", rate_tone(rate)),
            f"{percent(rate.value)} {rate.interval_text()}",
        )
        for key in assertion_names:
            found = case.assertions.get(key)
            row.append(
                Cell(f"{found.passed}/{found.runs}", rate_tone(found)) if found else Cell("–", "muted")
            )
        row += [Cell(number(case.scores.get(key), 2)) for key in score_names]
        row += cells(number(case.tokens, 0), number(case.turns))
        if errors:
            row.append(Cell(str(case.errors), "bad" if case.errors else "muted"))
        if self.times:
            row.append(Cell(seconds(case.duration)))
        return row

    def _failed(self, cases: list[CaseSummary]) -> Notes | None:
        lines = [why_failed(run) for case in cases for run in case.runs if not passed(run)]
        if not lines or self.reasons <= 0:
            return None
        scrub = Scrubber().text  # a reason may quote the output, and the output a key
        shown = [scrub(line) for line in lines[: self.reasons]]
        return Notes("Runs that did not pass", shown, max(0, len(lines) - self.reasons))


def _names(dicts: Any) -> list[str]:
    out: dict[str, None] = {}
    for d in dicts:
        out.update(dict.fromkeys(d))
    return list(out)


# ----- a comparison --------------------------------------------------------------------------------


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


class ComparisonView(Rendered):
    """A `Comparison` drawn as a headline and tables of cases, evaluators and costs."""

    def __init__(self, comparison: Comparison) -> None:
        self.comparison = comparison

    def blocks(self) -> list[Block]:
        comparison = self.comparison
        counts = {
            v: sum(c.verdict == v for c in comparison.cases)
            for v in (IMPROVED, REGRESSED, BETTER, WORSE, SAME)
        }
        detail = ", ".join(f"{n} {v}" for v, n in counts.items() if n or v in (IMPROVED, REGRESSED))
        overall = comparison.overall
        detail += f" · all runs: {_rate(overall.before)} → {_rate(overall.after)} ({overall.verdict})"
        baseline, candidate = comparison.baseline.name, comparison.candidate.name
        head = ["baseline " + baseline, "candidate " + candidate, "change", "verdict"]
        blocks: list[Block] = [Title(f"Candidate {candidate} vs baseline {baseline}", detail)]
        rows = [_rate_row(c) for c in comparison.cases]
        blocks.append(Table(["case", *head], rows, {1, 2, 3}, [_rate_row(overall)]))
        if comparison.evaluators:
            blocks.append(
                Table(["evaluator", *head], [_rate_row(c) for c in comparison.evaluators], {1, 2, 3})
            )
        cost_rows = [_cost_row(c) for c in comparison.costs if c.before is not None or c.after is not None]
        if cost_rows:
            blocks.append(Table(["cost", *head], cost_rows, {1, 2, 3}))
        return blocks


def _rate_row(change: Change) -> list[Cell]:
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


def _cost_row(change: Change) -> list[Cell]:
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


# ----- a judge's calibration -------------------------------------------------------------------------


class CalibrationView(Rendered):
    """A `Calibration` drawn as agreement and kappa, a confusion table and the disagreements."""

    def __init__(self, calibration: Calibration) -> None:
        self.calibration = calibration

    def blocks(self) -> list[Block]:
        calibration = self.calibration
        n = len(calibration.examples)
        agreed = round(calibration.agreement * n)
        kappa = calibration.kappa
        detail = (
            f"agrees with the hand labels on {agreed}/{n} ({percent(calibration.agreement)}); "
            f"Cohen's kappa {kappa:.2f} ({kappa_words(kappa)})"
        )
        c = calibration.confusion
        table = Table(
            ["", "judge: pass", "judge: fail"],
            [
                cells("hand label: pass", Cell(str(c[True, True]), "good"), Cell(str(c[True, False]), "bad")),
                cells(
                    "hand label: fail", Cell(str(c[False, True]), "bad"), Cell(str(c[False, False]), "good")
                ),
            ],
            {1, 2},
        )
        blocks: list[Block] = [Title("Judge calibration", detail), table]
        if calibration.disagreements:
            items = [
                f"{short(as_text(e.output), 80)!r}: hand label {'pass' if e.passed else 'fail'}, "
                f"judge {'pass' if v.passed else 'fail'} ({short(v.reason, 120)})"
                for e, v in calibration.disagreements
            ]
            blocks.append(Notes("Disagreements", items))
        return blocks


# ----- drawn through agentnb.core.plugins.render (registered in agentnb/views/__init__.py) ------------


def draw_report(report: EvalReport, fmt: str, **options: Any) -> Any:
    view = EvalView(report, **options)
    return view if fmt == "view" else view.render(fmt)


def draw_comparison(comparison: Comparison, fmt: str, **options: Any) -> Any:
    return ComparisonView(comparison).render(fmt)


def draw_calibration(calibration: Calibration, fmt: str, **options: Any) -> Any:
    return CalibrationView(calibration).render(fmt)
