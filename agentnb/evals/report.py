"""The eval report: per-case pass rates with confidence intervals, aggregates, and a saved baseline.

`EvalReport` wraps pydantic-evals' `EvaluationReport` (kept as ``.report``, with its own
renderings and baseline diff) and reads it the way a repeated eval of a stochastic team
should be read (`agentnb.evals.cases`): a run passes when every assertion holds and nothing
failed; a case's pass rate over its runs comes with a 95% Wilson interval. `agentnb.views`
draws it as HTML, markdown and text without durations (``view(times=True)`` adds them); it
saves to JSON as a baseline and compares with one (`agentnb.evals.compare`). Secrets never
show in it nor in a saved baseline: failure reasons (which may quote a run's output) are
scrubbed when shown, and saved files when written. A baseline is a saved file like the others
(`agentnb.core.saved`): written atomically, its envelope checked when loaded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic_evals.reporting import EvaluationReport, EvaluationReportAdapter, ReportCaseFailure

from agentnb.core.errors import SavedFileError
from agentnb.core.plugins import Readable, render
from agentnb.core.result import TeamResult
from agentnb.core.saved import envelope, read_json, write_json
from agentnb.core.secrets import scrub_state
from agentnb.evals.cases import Outcome
from agentnb.evals.comparison import Comparison
from agentnb.evals.task import RUN_KEY

KIND, VERSION = "eval-report", 1
REASONS = 8  # failed runs listed under the table


class EvalReport(Outcome, Readable):
    """The outcome of `agentnb.evals.evaluate`: see the module docstring.

    ``cases`` are the per-case summaries in dataset order, ``total`` the summary over all
    runs; ``result(case, run)`` gives the `TeamResult` of one run (until the report is saved
    and loaded again: a baseline keeps scores, facts and outputs, not whole runs).
    """

    def __init__(
        self, report: EvaluationReport[Any, Any, Any], *, repeat: int = 1, order: Sequence[str] = ()
    ) -> None:
        self.report = report
        runs = [*report.cases, *report.failures]
        super().__init__(report.name, report.dataset_name or "", runs, repeat=repeat, order=order)

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

    def view(self, *, times: bool = False, reasons: int = REASONS) -> Any:
        """The report as a table (`agentnb.views.evals.EvalView`): ``times`` adds mean
        durations; ``reasons`` failed runs are listed under it."""
        return render(self, "view", times=times, reasons=reasons)

    def compare(self, baseline: EvalReport | str | Path) -> Comparison:
        """This report (the candidate) side by side with ``baseline`` (a report or a saved file)."""
        return Comparison(load_report(baseline) if isinstance(baseline, str | Path) else baseline, self)

    # ----- saving --------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the report as JSON, atomically (a baseline to compare later runs with); returns the path."""
        path = Path(path)
        kept = dataclasses.replace(
            self.report,
            cases=[dataclasses.replace(c, attributes=_saved(c.attributes)) for c in self.report.cases],
        )
        data = envelope(
            KIND,
            VERSION,
            repeat=self.repeat,
            order=[c.name for c in self.cases],
            report=EvaluationReportAdapter.dump_python(kept, mode="json", fallback=repr),
        )
        return write_json(path, scrub_state(data))


def _saved(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if k != RUN_KEY}


def load_report(path: str | Path) -> EvalReport:
    """A report saved with `EvalReport.save`; `SavedFileError` (a `ValueError`) names the file and
    what is wrong: unreadable, not a report, a newer version (upgrade agentnb), a damaged report."""
    data = read_json(path, KIND, {VERSION}, how="save one with report.save(path)")
    try:
        report = EvaluationReportAdapter.validate_python(data["report"])
        return EvalReport(report, repeat=int(data.get("repeat", 1)), order=data.get("order", ()))
    except (KeyError, TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        detail = f"no {exc} field" if isinstance(exc, KeyError) else " ".join(str(exc).split())[:300]
        raise SavedFileError(f"{path}: the saved eval report is damaged ({detail})") from None
