"""Text shared by every format: one-line notes for plan progress, handoffs, approvals and errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentnb.core.events import (
    Approval,
    ApprovalRequested,
    ContextSummary,
    ErrorEvent,
    Event,
    Handoff,
    PlanCreated,
    Replanned,
    StepFailed,
    StepFinished,
    StepStarted,
    ToolProgress,
)
from agentnb.core.untrusted import code_argument as code_argument  # shared with the terminal approval
from agentnb.views.fallback import short

if TYPE_CHECKING:
    from agentnb.core.plan import Plan


CUT_OFF = "cut off: the run stopped while this reply was streaming"


def plan_summary(plan: Plan) -> str:
    """A plan on one line: its steps in order with their assignees."""
    steps = ", ".join(f"{step.id} → {step.assignee}" for step in plan.steps)
    return f"{len(plan.steps)} step{'s' if len(plan.steps) != 1 else ''}: {steps}"


def note_text(event: Event) -> str:
    """The one-line text of a note event (plan progress, handoffs, approvals, errors); '' otherwise."""
    if isinstance(event, Handoff):
        return f"{event.source} hands off to {event.target}"
    if isinstance(event, Approval):
        verdict = "approved" if event.approved else "rejected"
        edited = "" if event.arguments is None else f" with edited arguments {short(event.arguments, 200)}"
        comment = f": {event.comment}" if event.comment else ""
        return f"{event.source} {verdict} {event.tool}{edited}{comment}"
    if isinstance(event, ApprovalRequested):
        origin = f" (from {event.origin})" if event.origin else ""
        note = f". {event.note}" if event.note else ""  # where the call runs: what the person was told
        return f"{event.source} asks to run {event.tool}{origin}: waiting for approval{note}"
    if isinstance(event, ErrorEvent):
        return f"to {event.source}: {short(event.content, 300)}"
    if isinstance(event, PlanCreated):
        return short(f"plan by {event.source}, {plan_summary(event.plan)}", 300)
    if isinstance(event, Replanned):
        kept = f"; kept {', '.join(event.kept)}" if event.kept else ""
        return short(
            f"plan revised by {event.source} (revision {event.revision}): {event.reason}{kept}; "
            f"now {plan_summary(event.plan)}",
            300,
        )
    if isinstance(event, StepStarted):
        attempt = f" (attempt {event.attempt})" if event.attempt > 1 else ""
        return f"step {event.step_id} started: {event.assignee}{attempt}"
    if isinstance(event, StepFinished):
        return f"step {event.step_id} done by {event.assignee}"  # the reply itself is the bubble above
    if isinstance(event, ContextSummary):
        return f"{event.source} summarized its older context: {short(event.content, 200)}"
    if isinstance(event, ToolProgress):
        return f"{event.name} progress {progress_text(event)}"
    if isinstance(event, StepFailed):
        retry = "; retrying" if event.retrying else ""
        where = f"{event.assignee}, attempt {event.attempt}"
        return f"step {event.step_id} failed ({where}): {short(event.error, 300)}{retry}"
    return ""


def progress_text(event: ToolProgress) -> str:
    """How far a running tool call has got, as its server said: "3 of 10: fetching pages"."""
    of = f" of {event.total:g}" if event.total is not None else ""
    message = f": {short(event.message, 200)}" if event.message else ""
    return f"{event.progress:g}{of}{message}"


NOTE_MARKS = {
    Handoff: "⇢",
    ApprovalRequested: "?",
    ErrorEvent: "⚠",
    PlanCreated: "☰",
    Replanned: "☰",
    StepStarted: "▶",
    StepFinished: "✔",
    StepFailed: "✗",
    ContextSummary: "≡",
    ToolProgress: "…",
}


def note_mark(event: Event) -> str:
    if isinstance(event, Approval):
        return "✓" if event.approved else "✗"
    return NOTE_MARKS.get(type(event), "·")


def display_text(bundle: dict[str, str]) -> str:
    """A rich output (mime bundle) as text: its text/plain, or which kind of output it is."""
    if "text/plain" in bundle:
        return short(str(bundle["text/plain"]), 300)
    return "[" + ", ".join(sorted(bundle)) + "]"


def checkpoint_hint(k: int) -> str:
    """What a message's checkpoint number ``#k`` is for."""
    return f"checkpoint {k}, just before this message: team.rewind({k}) or team.fork({k}) redoes it"
