"""A plan's progress: its steps with status, assignee, dependencies and timing, revision by revision.

`PlanBoard` folds the events of one plan — its `PlanCreated`, the step events, each
`Replanned` revision and the run's `Stop` — into a row per step of every revision. It
renders as self-contained HTML (one column per revision, side by side, each step a bar on
a shared axis so parallel steps visibly overlap), as markdown and as text. The live chat
draws it with ``times=True``: bars on a time axis, durations. Static renderings use event
order for the bars and show no clock readings, so a saved notebook is the same on every run.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from agentnb.core.events import (
    Event,
    PlanCreated,
    Replanned,
    StepFailed,
    StepFinished,
    StepStarted,
    Stop,
    TokenDelta,
)
from agentnb.core.plan import Plan, Step
from agentnb.core.untrusted import terminal_text
from agentnb.core.words import plural
from agentnb.views.colors import Colors
from agentnb.views.fallback import raw, raw_html, raw_markdown, raw_text, short
from agentnb.views.markup import md_text, never_raises
from agentnb.views.style import FONT, NO_MATH, current

WAITING, RUNNING, DONE, RETRYING, FAILED, REPLACED, STOPPED = (
    "waiting",
    "running",
    "done",
    "retrying",
    "failed",
    "replaced",
    "stopped",
)
MARKS = {WAITING: "○", RUNNING: "▶", DONE: "✔", RETRYING: "↻", FAILED: "✗", REPLACED: "–", STOPPED: "■"}
STATUS_COLORS = {
    WAITING: "#94a3b8",
    RUNNING: "#2563eb",
    DONE: "#16a34a",
    RETRYING: "#d97706",
    FAILED: "#dc2626",
    REPLACED: "#94a3b8",
    STOPPED: "#64748b",
}
TRACK = (
    "flex:1;position:relative;height:8px;background:rgba(127,127,127,0.12);border-radius:2px;min-width:40px"
)
BAR = "position:absolute;top:0;bottom:0;min-width:2px;border-radius:2px"
# border-box: a step's indent is inside its 42%, so every row's track starts at the same place.
# Labels and statuses wrap instead of being cut ("failed after 2 a…"): a narrow column gets
# taller rows, and every word stays readable.
LABEL = "flex:0 0 42%;box-sizing:border-box;min-width:0;overflow-wrap:anywhere"
STATUS = "flex:0 0 30%;box-sizing:border-box;min-width:0;text-align:right;overflow-wrap:anywhere"
COLUMN = "flex:1 1 320px;min-width:0;border:1px solid rgba(127,127,127,0.3);border-radius:6px;padding:4px 8px"


@dataclass
class StepRun:
    """One step of one revision: how far it got, when (event order and clock), and how it failed."""

    step: Step
    status: str = WAITING
    attempts: int = 0
    kept: bool = False  # finished in an earlier revision and kept by this one
    start_seq: int | None = None
    end_seq: int | None = None
    started_at: float | None = None
    ended_at: float | None = None
    error: str = ""


@dataclass
class Revision:
    """One version of the plan: 0 is the plan as created, then one per replan."""

    number: int
    plan: Plan
    by: str
    reason: str = ""
    runs: dict[str, StepRun] = field(default_factory=dict)

    def counts(self) -> str:
        tally: dict[str, int] = {}
        for run in self.runs.values():
            tally[run.status] = tally.get(run.status, 0) + 1
        order = (DONE, RUNNING, RETRYING, FAILED, WAITING, STOPPED, REPLACED)
        parts = [f"{tally[s]} {s}" for s in order if s in tally]
        return plural(len(self.runs), "step") + (": " + ", ".join(parts) if parts else "")


class PlanBoard:
    """The progress of one plan, folded from its events (`feed` them in order after its `PlanCreated`)."""

    def __init__(self, created: PlanCreated, participants: Sequence[str] = ()) -> None:
        self.created_at = created.at
        self.participants = list(participants)
        self.revisions = [Revision(0, created.plan, created.source, runs=_runs(created.plan))]
        self.seq = 0  # events folded so far: the static axis
        self.last_at = created.at
        self.ended = False

    @property
    def current(self) -> Revision:
        return self.revisions[-1]

    def running(self) -> bool:
        return not self.ended and any(r.status == RUNNING for r in self.current.runs.values())

    def feed(self, event: Event) -> bool:
        """Fold one more event of the run; True when a step or revision changed."""
        if event.scope or self.ended:
            return False
        kind = event.__class__
        if kind is TokenDelta:
            return False
        self.seq += 1
        self.last_at = max(self.last_at, event.at)
        runs = self.current.runs
        if kind is StepStarted:
            run = runs.get(event.step_id)  # type: ignore[attr-defined]
            if run is None:
                return False
            run.status, run.attempts = RUNNING, event.attempt  # type: ignore[attr-defined]
            if run.start_seq is None:  # a retry continues the step's bar
                run.start_seq, run.started_at = self.seq, event.at
            run.end_seq = run.ended_at = None
            return True
        if kind is StepFinished or kind is StepFailed:
            run = runs.get(event.step_id)  # type: ignore[attr-defined]
            if run is None:
                return False
            run.end_seq, run.ended_at = self.seq, event.at
            if kind is StepFinished:
                run.status, run.error = DONE, ""
            else:
                run.status = RETRYING if event.retrying else FAILED  # type: ignore[attr-defined]
                run.error = event.error  # type: ignore[attr-defined]
            return True
        if kind is Replanned:
            self._revise(event)  # type: ignore[arg-type]
            return True
        if kind is Stop:
            for run in runs.values():
                if run.status in (RUNNING, RETRYING):
                    run.status, run.end_seq, run.ended_at = STOPPED, self.seq, event.at
            self.ended = True
            return True
        return False

    def _revise(self, event: Replanned) -> None:
        previous = self.current
        for run in previous.runs.values():
            if run.status == WAITING:
                run.status = REPLACED
        runs = _runs(event.plan)
        for step_id in event.kept:
            if step_id in previous.runs and step_id in runs:
                runs[step_id] = replace(previous.runs[step_id], step=runs[step_id].step, kept=True)
        self.revisions.append(Revision(event.revision, event.plan, event.source, event.reason, runs))

    # ----- geometry --------------------------------------------------------------------------

    def _bar(self, run: StepRun, times: bool, now: float) -> tuple[float, float] | None:
        """Left edge and width of a step's bar in percent of the plan's lifetime so far."""
        if times:
            if run.started_at is None:
                return None
            lo, hi = self.created_at, max(now, self.last_at)
            a, b = run.started_at, run.ended_at if run.ended_at is not None else now
        else:
            if run.start_seq is None:
                return None
            lo, hi = 0, max(self.seq, 1)
            a, b = run.start_seq, run.end_seq if run.end_seq is not None else self.seq
        span = (hi - lo) or 1.0
        left = min(100.0, max(0.0, (a - lo) / span * 100))
        return left, min(100.0 - left, max(0.0, (b - a) / span * 100))

    def _status(self, run: StepRun, times: bool, now: float) -> str:
        if run.kept:
            return "kept"
        status = run.status
        if status == WAITING and self.ended:
            return "not run"
        if status == REPLACED:
            return "replanned"
        if status == FAILED and run.attempts > 1:
            status = f"failed after {run.attempts} attempts"
        elif status == RETRYING:
            status = f"retrying (attempt {run.attempts} failed)"
        elif status == RUNNING and run.attempts > 1:
            status = f"running (attempt {run.attempts})"
        if times and run.started_at is not None:
            end = run.ended_at if run.ended_at is not None else now
            status += f" · {end - run.started_at:.1f} s"
        return status

    # ----- renderings ------------------------------------------------------------------------

    def html(self, *, times: bool = False, now: float | None = None, colors: Colors | None = None) -> str:
        """The board as HTML: a column per revision; ``times`` for the live chat (bars by clock)."""
        return _html(self, times, self.last_at if now is None else now, colors or Colors(self.participants))

    def markdown(self) -> str:
        return _markdown(self)

    def text(self) -> str:
        return terminal_text(_text(self))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.text(), "text/markdown": self.markdown(), "text/html": self.html()}

    def __repr__(self) -> str:
        return self.text()


def _runs(plan: Plan) -> dict[str, StepRun]:
    return {step.id: StepRun(step) for step in plan.order()}


def _depths(plan: Plan) -> dict[str, int]:
    depth: dict[str, int] = {}
    for step in plan.order():
        depth[step.id] = 1 + max((depth[d] for d in step.depends_on), default=0)
    return depth


def _title(board: PlanBoard, revision: Revision) -> str:
    if revision.number == 0:
        return f"☰ plan by {revision.by} · {revision.counts()}"
    return f"☰ revision {revision.number} by {revision.by} · {revision.counts()}"


def _why(revision: Revision) -> str:
    kept = [run.step.id for run in revision.runs.values() if run.kept]
    return revision.reason + (f"; kept {', '.join(kept)}" if kept else "")


@never_raises(lambda board, times, now, colors: raw_html(raw(*(r.plan for r in board.revisions))))
def _html(board: PlanBoard, times: bool, now: float, colors: Colors) -> str:
    style = current()
    e = html.escape
    note = f"color:{style.note_color}"
    columns = []
    for revision in board.revisions:
        depths = _depths(revision.plan)
        rows = []
        for run in revision.runs.values():
            step = run.step
            agent = colors.html(step.assignee)
            status = run.status if not run.kept else DONE
            deps = ", ".join(step.depends_on)
            after = f' <span style="{note}">← {e(deps)}</span>' if deps else ""
            bar = board._bar(run, times, now)
            fill = STATUS_COLORS[FAILED] if status in (FAILED, STOPPED) else agent
            opacity = "0.35" if run.kept or status == REPLACED else "0.6" if status == RUNNING else "1"
            drawn = (
                f'<span style="{BAR};left:{bar[0]:.2f}%;width:{bar[1]:.2f}%;background:{fill};'
                f'opacity:{opacity}"></span>'
                if bar is not None
                else ""
            )
            text_style = "text-decoration:line-through;opacity:0.6;" if status == REPLACED else ""
            shown = board._status(run, times, now)
            rows.append(
                f'<div class="agentnb-plan-step" data-step="{e(step.id)}" data-status="{status}"'
                f'{" data-kept" if run.kept else ""} title="{e(short(step.description, 300))}" '
                'style="display:flex;align-items:center;gap:6px;padding:1px 0">'
                f'<span style="{LABEL};{text_style}padding-left:{(depths[step.id] - 1) * 12}px">'
                f'<span style="color:{STATUS_COLORS[status]}">{MARKS[status]}</span> <b>{e(step.id)}</b> '
                f'<span style="color:{agent}">{e(step.assignee)}</span>{after}</span>'
                f'<span style="{TRACK}">{drawn}</span>'
                f'<span class="agentnb-plan-status" title="{e(shown)}" style="{STATUS};{note}">'
                f"{e(shown)}</span></div>"
            )
            if status == FAILED and run.error and not run.kept:
                pad = (depths[step.id] - 1) * 12 + 16
                rows.append(
                    f'<div style="padding-left:{pad}px;color:{STATUS_COLORS[FAILED]};overflow-wrap:anywhere">'
                    f"{e(short(run.error, 300))}</div>"
                )
        why = f'<div style="{note}">{e(short(_why(revision), 300))}</div>' if revision.number else ""
        columns.append(
            f'<div class="agentnb-plan-revision" data-revision="{revision.number}" style="{COLUMN}">'
            f'<div style="font-weight:bold">{e(_title(board, revision))}</div>{why}{"".join(rows)}</div>'
        )
    axis = "time →" if times else "event order →"
    return (
        f'<div class="agentnb-plan-board {NO_MATH}" style="{FONT};font-size:{style.small}px;'
        f'padding:4px 0 4px {style.indent}px">'
        f'<div style="display:flex;flex-wrap:wrap;gap:12px">{"".join(columns)}</div>'
        f'<div style="{note};font-size:85%;text-align:right">bars: {axis}</div></div>'
    )


def _cell(text: str) -> str:
    return md_text(text) if text else ""


@never_raises(lambda board: raw_markdown(*(r.plan for r in board.revisions)))
def _markdown(board: PlanBoard) -> str:
    parts = []
    for revision in board.revisions:
        head = f"**{md_text(_title(board, revision))}**"
        if revision.number:
            head += f"  \n{md_text(short(_why(revision), 300))}"
        rows = ["| | step | assignee | after | status |", "|---|---|---|---|---|"]
        for run in revision.runs.values():
            step = run.step
            mark = MARKS[DONE if run.kept else run.status]
            rows.append(
                f"| {mark} | {_cell(step.id)} | {_cell(step.assignee)} | {_cell(', '.join(step.depends_on))} "
                f"| {_cell(board._status(run, False, 0.0))} |"
            )
        parts.append(head + "\n\n" + "\n".join(rows))
    return "\n\n".join(parts)


@never_raises(lambda board: raw_text(*(r.plan for r in board.revisions)))
def _text(board: PlanBoard) -> str:
    lines = []
    for revision in board.revisions:
        lines.append(_title(board, revision))
        if revision.number:
            lines.append(f"  {short(_why(revision), 300)}")
        width = max(len(s.id) for s in revision.plan.steps)
        for run in revision.runs.values():
            step = run.step
            after = f" ← {', '.join(step.depends_on)}" if step.depends_on else ""
            status = board._status(run, False, 0.0)
            failed = run.status == FAILED and run.error and not run.kept
            error = f": {short(run.error, 200)}" if failed else ""
            mark = MARKS[DONE if run.kept else run.status]
            lines.append(f"  {mark} {step.id:<{width}}  {step.assignee}{after} — {status}{error}")
    return "\n".join(lines)


def plan_boards(events: Iterable[Event], participants: Sequence[str] = ()) -> dict[int, PlanBoard]:
    """The board of every plan in ``events``, keyed by the position of its `PlanCreated` event."""
    boards: dict[int, PlanBoard] = {}
    board: PlanBoard | None = None
    for i, event in enumerate(events):
        if event.__class__ is PlanCreated and not event.scope:
            board = boards[i] = PlanBoard(event, participants)  # type: ignore[arg-type]
        elif board is not None:
            board.feed(event)
    return boards


def plan_view(run: Any) -> PlanBoard:
    """The progress of the last plan of a run: give it a `TeamResult` or a list of events.

    Shows as a table of steps per revision (side by side after a replan), with status,
    assignee and dependencies; bars in event order show which steps ran at the same time.
    """
    events = getattr(run, "messages", run)
    participants = getattr(run, "participants", None) or ()
    try:
        boards = plan_boards(list(events), participants)
    except TypeError:
        got = type(run).__name__
        raise TypeError(f"plan_view: expected a TeamResult or a list of events, got {got}") from None
    if not boards:
        raise ValueError(
            "plan_view: these events hold no plan (a PlanCreated event); run a team with mode='plan'"
        )
    return boards[max(boards)]
