"""The eval report: per-case pass rates with confidence intervals, aggregates, and a saved baseline.

`EvalReport` wraps pydantic-evals' `EvaluationReport` (kept as ``.report``, with its own
renderings and baseline diff) and reads it the way a repeated eval of a stochastic team
should be read: a run passes when every assertion holds and nothing failed; a case's pass
rate over its runs comes with a 95% Wilson interval. It shows itself as HTML, markdown and
text without durations (``view(times=True)`` adds them), saves to JSON as a baseline and
compares with one (`agentnb.evals.compare`). Secrets never show in it nor in a saved
baseline: failure reasons (which may quote a run's output) and saved files are scrubbed.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic_evals.reporting import EvaluationReport, EvaluationReportAdapter, ReportCase, ReportCaseFailure

from agentnb.core.result import TeamResult
from agentnb.core.secrets import Scrubber, scrub_state
from agentnb.core.words import short
from agentnb.evals.stats import Rate, percent
from agentnb.evals.task import FACTS_KEY, RUN_KEY, SEED_KEY
from agentnb.views.tables import Block, Cell, Notes, Rendered, Table, Title, cells

if TYPE_CHECKING:
    from agentnb.evals.comparison import Comparison

FORMAT = "agentnb-eval-report"
VERSION = 1
REASONS = 8  # failed runs listed under the table
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


class EvalReport(Rendered):
    """The outcome of `agentnb.evals.evaluate`: see the module docstring.

    ``cases`` are the per-case summaries in dataset order, ``total`` the summary over all
    runs; ``result(case, run)`` gives the `TeamResult` of one run (until the report is saved
    and loaded again: a baseline keeps scores, facts and outputs, not whole runs).
    """

    def __init__(
        self, report: EvaluationReport[Any, Any, Any], *, repeat: int = 1, order: Sequence[str] = ()
    ) -> None:
        self.report = report
        self.repeat = repeat
        groups: dict[str, list[Run]] = {name: [] for name in order}
        for run in [*report.cases, *report.failures]:
            groups.setdefault(run.source_case_name or run.name, []).append(run)
        self.cases = [summarize(name, runs) for name, runs in groups.items() if runs]
        self.total = summarize("all", [run for case in self.cases for run in case.runs])

    @property
    def name(self) -> str:
        return self.report.name

    @property
    def dataset(self) -> str:
        return self.report.dataset_name or ""

    @property
    def pass_rate(self) -> Rate:
        """Runs passed over all runs of all cases, with its interval."""
        return self.total.rate

    def case(self, name: str) -> CaseSummary:
        for summary in self.cases:
            if summary.name == name:
                return summary
        raise KeyError(f"the eval has no case {name!r}; its cases: {', '.join(c.name for c in self.cases)}")

    def result(self, case: str, run: int = 1) -> TeamResult:
        """The team run behind run ``run`` (1-based) of ``case``, to read or trace (``.trace().view()``)."""
        runs = self.case(case).runs
        if not 1 <= run <= len(runs):
            raise IndexError(f"case {case!r} has runs 1 to {len(runs)}, not {run}")
        found = runs[run - 1]
        if isinstance(found, ReportCaseFailure):
            raise ValueError(
                f"run {run} of case {case!r} failed before it could be evaluated: {found.error_message}"
            )
        result = found.attributes.get(RUN_KEY)
        if not isinstance(result, TeamResult):
            raise ValueError(
                f"run {run} of case {case!r} has no team run kept (a loaded baseline keeps scores, not runs)"
            )
        return result

    def __repr__(self) -> str:
        cases = len(self.cases)
        return f"EvalReport({self.name!r}, cases={cases}, repeat={self.repeat}, passed={self.pass_rate})"

    # ----- views ---------------------------------------------------------------------------

    def view(self, *, times: bool = False, reasons: int = REASONS) -> EvalView:
        """The report as a table: ``times`` adds mean durations; ``reasons`` failed runs listed."""
        return EvalView(self, times=times, reasons=reasons)

    def blocks(self) -> list[Block]:
        return self.view().blocks()

    def compare(self, baseline: EvalReport | str | Path) -> Comparison:
        """This report (the candidate) side by side with ``baseline`` (a report or a saved file)."""
        from agentnb.evals.comparison import Comparison

        return Comparison(load_report(baseline) if isinstance(baseline, str | Path) else baseline, self)

    # ----- saving --------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the report as JSON (a baseline to compare later runs with); returns the path."""
        path = Path(path)
        kept = dataclasses.replace(
            self.report,
            cases=[dataclasses.replace(c, attributes=_saved(c.attributes)) for c in self.report.cases],
        )
        data = scrub_state(
            {
                "format": FORMAT,
                "version": VERSION,
                "repeat": self.repeat,
                "order": [c.name for c in self.cases],
                "report": EvaluationReportAdapter.dump_python(kept, mode="json", fallback=repr),
            }
        )
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def _saved(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if k != RUN_KEY}


def load_report(path: str | Path) -> EvalReport:
    """A report saved with `EvalReport.save`."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the saved eval report {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a saved agentnb eval report (save one with report.save(path))")
    if data.get("version") != VERSION:
        raise ValueError(
            f"{path} has format version {data.get('version')!r}; this agentnb reads version {VERSION}"
        )
    report = EvaluationReportAdapter.validate_python(data["report"])
    return EvalReport(report, repeat=int(data.get("repeat", 1)), order=data.get("order", ()))


# ----- the table ---------------------------------------------------------------------------


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


def _names(dicts: Any) -> list[str]:
    out: dict[str, None] = {}
    for d in dicts:
        out.update(dict.fromkeys(d))
    return list(out)
