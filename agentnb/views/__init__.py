"""Every rendering of agentnb's objects: chats, plan boards, checkpoints, traces, the X-ray,
eval reports and memory tables.

Static renderings (HTML, markdown, text) live here, above the core, trace, evals and memory,
so saved notebooks, terminals and the core can show them without Jupyter; the live widgets
that update them while a team runs are in `agentnb.notebook`. Importing this package
registers a renderer for each object the layers below display (`agentnb.core.plugins`): a
`TeamResult` is drawn as its chat, a `ContextPreview` as the X-ray, a `Trace` as the trace
view and its `Summary` as a table, a memory store's facts and audit log as tables, and eval
reports, comparisons and judge calibrations as tables too — those by name, so pydantic-evals
loads with the first eval shown, not with the views — and a `Team` (``team.diagram()``) as
the picture of its shape.
"""

from __future__ import annotations

from typing import Any

from agentnb.core.plugins import register_renderer
from agentnb.core.preview import ContextPreview
from agentnb.core.result import TeamResult
from agentnb.core.team import Team
from agentnb.memory.tables import AuditLog, FactTable
from agentnb.trace.summary import Summary
from agentnb.trace.tracer import Trace
from agentnb.views.chat import render_text, result_mimebundle
from agentnb.views.checkpoints import CheckpointList, context_at
from agentnb.views.diagram import TeamDiagram
from agentnb.views.memory import draw_audit, draw_facts
from agentnb.views.plan import PlanBoard, plan_view
from agentnb.views.trace import TraceView
from agentnb.views.trace_totals import summary_text
from agentnb.views.xray import render_xray

__all__ = ["CheckpointList", "PlanBoard", "TeamDiagram", "TraceView", "context_at", "plan_view"]


def _result(result: TeamResult, fmt: str, **options: Any) -> Any:
    if fmt == "text":
        return render_text(result.messages)
    return result_mimebundle(result)


def _trace(trace: Trace, fmt: str, **options: Any) -> Any:
    view = TraceView(trace, **options)
    if fmt == "view":
        return view
    if fmt == "text":
        return view.text()
    return view._repr_mimebundle_()


def _summary(summary: Summary, fmt: str, **options: Any) -> Any:
    if fmt != "text":
        raise ValueError(f"a trace summary is drawn as text (print it), not as {fmt!r}")
    return summary_text(summary)


def _eval_report(report: Any, fmt: str, **options: Any) -> Any:
    from agentnb.views.evals import draw_report

    return draw_report(report, fmt, **options)


def _comparison(comparison: Any, fmt: str, **options: Any) -> Any:
    from agentnb.views.evals import draw_comparison

    return draw_comparison(comparison, fmt, **options)


def _calibration(calibration: Any, fmt: str, **options: Any) -> Any:
    from agentnb.views.evals import draw_calibration

    return draw_calibration(calibration, fmt, **options)


def _team(team: Team, fmt: str, **options: Any) -> Any:
    diagram = TeamDiagram(team)
    if fmt == "view":
        return diagram
    if fmt == "text":
        return diagram.text()
    return diagram._repr_mimebundle_()


register_renderer(TeamResult, _result)
register_renderer(Team, _team)
register_renderer(ContextPreview, render_xray)
register_renderer(Trace, _trace)
register_renderer(Summary, _summary)
register_renderer(FactTable, draw_facts)
register_renderer(AuditLog, draw_audit)
register_renderer("agentnb.evals.report.EvalReport", _eval_report)
register_renderer("agentnb.evals.comparison.Comparison", _comparison)
register_renderer("agentnb.evals.judge.Calibration", _calibration)
