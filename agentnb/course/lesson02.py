"""Lesson 02's exercises (plans): graded from the plan and the run's events, never from text.

02.1 reads the concurrency of a run from its step events, 02.2 whether a failing run
recovered by replanning, and 02.3 runs the student's event-reading function on runs it
has not seen (built here, offline and deterministic).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from agentnb.core.agent import Agent
from agentnb.core.events import Event, PlanCreated, Replanned, StepFailed, StepFinished, StepStarted
from agentnb.core.model import ModelRequest
from agentnb.core.plan import Plan
from agentnb.core.result import TeamResult
from agentnb.core.team import Team
from agentnb.course.checks import exercise, returned_nothing
from agentnb.course.quiz import question, right, wrong
from agentnb.models.scripted import FunctionModel


def result_of(answer: Any) -> TeamResult:
    """A run's result: the answer itself, or the last result of a team that ran."""
    if isinstance(answer, Team):
        if answer.last_result is None:
            raise ValueError(f"team {answer.name!r} has not run yet")
        return answer.last_result
    if not isinstance(answer, TeamResult):
        raise TypeError(f"got {type(answer).__name__}")
    return answer


def final_plan(events: Sequence[Event]) -> Plan | None:
    """The plan a run ended with: the last one created or revised."""
    plans = [e.plan for e in events if isinstance(e, PlanCreated | Replanned)]
    return plans[-1] if plans else None


def running_sets(events: Sequence[Event]) -> list[frozenset[str]]:
    """The steps running right after each step started, in event order."""
    running: set[str] = set()
    seen = []
    for event in events:
        if isinstance(event, StepStarted):
            running.add(event.step_id)
            seen.append(frozenset(running))
        elif isinstance(event, StepFinished | StepFailed):
            running.discard(event.step_id)
    return seen


def step_order(events: Sequence[Event]) -> list[str]:
    return [e.step_id for e in events if isinstance(e, StepStarted)]


@exercise(
    "02.1",
    "fan out, then join",
    expects="the result of running your plan (a TeamResult)",
    right=(
        "three steps ran at the same time because none needed another, and the last step waited for "
        "all of them (its depends_on)."
    ),
)
def fan_out_then_join(answer: Any) -> str | None:
    result = result_of(answer)
    plan = final_plan(result.messages)
    if plan is None:
        return (
            "this run made no plan: run a Team with mode='plan' and planner=your Plan, then pass its result."
        )
    if not result.stop_reason.startswith("plan finished"):
        return f"the plan did not finish ({result.stop_reason}); make it run to the end first."
    together = running_sets(result.messages)
    peak = max((len(s) for s in together), default=0)
    if peak < 3:
        order = ", ".join(step_order(result.messages))
        return (
            f"at most {peak} step{'s' if peak != 1 else ''} ran at the same time (they started in this "
            f"order: {order}). A step waits for every step in its depends_on; steps that need nothing "
            "from each other start together."
        )
    wide = [s for s in together if len(s) >= 3]
    joins = [step.id for step in plan.steps if any(len(set(step.depends_on) & group) >= 3 for group in wide)]
    if not joins:
        return (
            "your steps fan out, but no step joins them: add a last step whose depends_on lists the steps "
            "that ran in parallel, so it starts once all of them are done and gets their results."
        )
    return None


@exercise(
    "02.2",
    "recover by replanning",
    expects="the result of the run whose flight search is down",
    right=(
        "the failed step made the planner revise the plan, and the revised plan ran to the end with a"
        " last step that builds on the kept and the new work."
    ),
)
def recover_by_replanning(answer: Any) -> str | None:
    result = result_of(answer)
    events = result.messages
    failures = [e for e in events if isinstance(e, StepFailed)]
    if not failures:
        return "no step failed in this run: pass the result of the trip whose flight search is down."
    replans = [e for e in events if isinstance(e, Replanned)]
    if not replans:
        return (
            f"the run ended without a replan ({result.stop_reason}). Only a planner Agent can revise a plan: "
            "its next scripted reply is the revised plan."
        )
    if not result.stop_reason.startswith("plan finished"):
        return (
            f"the planner revised the plan, but the run ended with: {result.stop_reason}. Who does the "
            "failed work in your revised plan? Give it to a participant who can do it."
        )
    plan = final_plan(events)
    assert plan is not None
    last = [e.step_id for e in events if isinstance(e, StepFinished)][-1]
    needed = plan.prerequisites(last)
    missing = [s.id for s in plan.steps if s.id != last and s.id not in needed]
    if missing:
        return (
            f"the revised plan finished, but its last step {last!r} does not build on "
            f"{', '.join(repr(m) for m in missing)}. A replan replaces all the remaining work, including "
            "the step that joins the results: make it depend on the kept steps and the new one."
        )
    return None


# ----- 02.3: the student's function meets runs it has not seen ---------------------------------

Fails = dict[str, int]  # step id -> how many of its attempts fail


def _drafts(*plans: list[tuple[str, str, tuple[str, ...]]]) -> list[dict[str, Any]]:
    return [
        {
            "steps": [
                {"id": i, "description": f"do {i}", "assignee": a, "depends_on": list(d)} for i, a, d in plan
            ]
        }
        for plan in plans
    ]


def _practice_run(drafts: list[dict[str, Any]], fails: Fails, **options: Any) -> TeamResult:
    """A plan run on a function model: the planner serves ``drafts`` in turn, steps fail as told."""
    planned = iter(drafts)
    attempts: dict[str, int] = {}

    def reply(request: ModelRequest) -> Any:
        if request.agent == "planner":
            return {"json": next(planned)}
        step = request.messages[-1]["content"].split("(", 1)[1].split(")", 1)[0]
        attempts[step] = attempts.get(step, 0) + 1
        if attempts[step] <= fails.get(step, 0):
            raise ValueError(f"{step} is broken")
        return f"{step} done"

    team = Team(
        [Agent("scout"), Agent("writer")],
        mode="plan",
        planner=Agent("planner"),
        model=FunctionModel(reply, name="practice"),
        **options,
    )
    return team.run_sync("practice")


SEARCH = [("search", "scout", ()), ("notes", "scout", ()), ("report", "writer", ("search", "notes"))]
AGAIN = [("search2", "scout", ()), ("report", "writer", ("search2", "notes"))]
THIRD = [("search3", "writer", ()), ("report", "writer", ("search3", "notes"))]


def practice_runs() -> list[tuple[str, TeamResult, list[str]]]:
    """(what happened, the run, the steps whose failure made the planner replan)."""
    return [
        ("nothing failed", _practice_run(_drafts(SEARCH), {}), []),
        (
            "step 'search' failed once and then succeeded on its retry",
            _practice_run(_drafts(SEARCH), {"search": 1}, step_retries=1),
            [],
        ),
        (
            "step 'search' failed for good and the planner replanned",
            _practice_run(_drafts(SEARCH, AGAIN), {"search": 9}, step_retries=1),
            ["search"],
        ),
        (
            "step 'search' failed for good, then its replacement 'search2' failed too",
            _practice_run(_drafts(SEARCH, AGAIN, THIRD), {"search": 9, "search2": 9}, step_retries=0),
            ["search", "search2"],
        ),
        (
            "step 'search' failed for good with max_replans=0, so the team gave up without a replan",
            _practice_run(_drafts(SEARCH), {"search": 9}, step_retries=0, max_replans=0),
            [],
        ),
    ]


@exercise(
    "02.3",
    "which step was replanned?",
    expects="your function replanned_steps(result)",
    right=(
        "on runs you had not seen it named exactly the steps whose failure, with no retry left, made "
        "the planner replan."
    ),
)
def which_step_was_replanned(answer: Any) -> str | None:
    if not callable(answer):
        raise TypeError(f"got {type(answer).__name__}, not a function")
    function: Callable[[TeamResult], Any] = answer
    for story, result, expected in practice_runs():
        got = function(result)
        nothing = returned_nothing(got, "the list of the replanned steps' ids")
        if nothing:
            return nothing
        if list(got) != expected:
            return (
                f"on a run where {story}, your function returned {got!r}, but the steps whose failure made "
                f"the planner replan were {expected!r}. Look at each Replanned event and the StepFailed "
                "events before it (StepFailed.retrying says whether the step was tried again)."
            )
    return None


question(
    "02.a",
    "Steps travel, stay and eat depend on nothing; itinerary depends on all three. What runs at the same "
    "time?",
    wrong("Nothing: a plan runs its steps in order.", "Steps whose dependencies are met start together."),
    right(
        "travel, stay and eat; the itinerary waits for all three.",
        "Right: independent steps run in parallel (up to max_parallel), a step waits for what it depends on.",
    ),
    wrong("All four.", "The itinerary needs the other three's results, so it cannot start before they end."),
)
question(
    "02.b",
    "A step keeps failing after its retries. What can a planner agent do that a fixed `Plan` cannot?",
    wrong("Retry the step forever.", "Nothing retries forever: `step_retries` and `max_replans` bound it."),
    right(
        "Write a new plan for the remaining work, keeping the finished steps.",
        "Right: a replan keeps what is done and finds another way for the rest (another assignee, new "
        "steps).",
    ),
    wrong("Run the finished steps again.", "Finished steps are kept: they are not run again."),
)
