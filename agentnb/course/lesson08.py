"""Lesson 08's exercises (the capstone): graded from the plan, the memory's audit and evals.

08.1 reads a run's plan and step events (a photo desk in parallel with the research, waited
for by the editor), 08.2 the store's audit and the next day's run (the stale fact corrected in
place, the story cleared), and 08.3 runs the student's evaluator on a careful newsroom and a
careless one (built here on the lesson's stand-in model, offline).
"""

from __future__ import annotations

import functools
from typing import Any

from agentnb.core.agent import Agent
from agentnb.core.events import StepFinished
from agentnb.core.result import TeamResult
from agentnb.core.team import Team
from agentnb.course.checks import exercise
from agentnb.course.lesson02 import final_plan, result_of, running_sets
from agentnb.course.newsdesk import newsdesk, search_archive
from agentnb.course.quiz import question, right, wrong

STALE = "12 acres"  # what the intern's fact in lesson 08's store gets wrong
ASSIGNMENTS = [  # assignments the student's evaluator has not seen
    ("vote", "A short story on the council's vote on the Harmon rail yard."),
    ("trees", "A short story on the first trees planted at the Harmon park."),
]


@exercise(
    "08.1",
    "a photo desk",
    expects="the result of the newsroom's run with the photographer (a TeamResult)",
    right=("the photo step ran beside the research and the quote, and the editor's step waited for it."),
)
def a_photo_desk(answer: Any) -> str | None:
    result = result_of(answer)
    if "photographer" not in result.participants:
        return (
            f"the team is {', '.join(result.participants)}: add an Agent called photographer to the "
            "newsroom's participants."
        )
    plan = final_plan(result.messages)
    if plan is None:
        return "this run made no plan: run the newsroom in plan mode, with its planner."
    photos = [s.id for s in plan.steps if s.assignee == "photographer"]
    if not photos:
        return "the plan gives the photographer nothing to do: is it in the team the planner plans for?"
    if not result.stop_reason.startswith("plan finished"):
        return f"the plan did not finish ({result.stop_reason})."
    together = [s for s in running_sets(result.messages) if set(photos) & s]
    if max((len(s) for s in together), default=0) < 3:
        return (
            "the photo step did not run at the same time as the research and the quote: it should need "
            "nothing from them."
        )
    publish = [s.id for s in plan.steps if s.assignee == "editor"]
    if not publish or not set(photos) <= plan.prerequisites(publish[-1]):
        return "the editor published without waiting for the photo: the publish step must depend on it."
    return None


def _two(answer: Any) -> tuple[Any, TeamResult]:
    store, run = answer
    if not callable(getattr(store, "audit", None)):
        raise TypeError(f"the first item is a {type(store).__name__}, not a MemoryStore")
    return store, result_of(run)


@exercise(
    "08.2",
    "correct the memory",
    expects="(stale_store, day_two): the store you corrected and the next run of the newsroom",
    right=(
        "the stale fact was corrected in place with a reason in the audit, and on the next run the "
        "fact-checker cleared the story."
    ),
)
def correct_the_memory(answer: Any) -> str | None:
    store, run = _two(answer)
    stale = {f.id for f in store.facts(include_forgotten=True, include_superseded=True) if STALE in f.text}
    if not stale:
        return (
            "the store has no trace of the intern's 12-acre fact: correct it in place (store.update or "
            "store.forget), so the audit keeps who changed it and why."
        )
    changes = [
        c
        for c in store.audit()
        if (c.action == "update" and c.previous_id in stale) or (c.action == "forget" and c.fact_id in stale)
    ]
    if not changes:
        return (
            f"fact #{min(stale)} still says {STALE!r}, and nothing in the audit changed it: the researcher "
            "recalls it before every turn. Update it to what the planning report says, or forget it, "
            "saying why (by= and why=)."
        )
    if not all(c.why.strip() for c in changes):
        return "the audit shows a change without a reason: give why= when you correct a fact."
    checks = [e for e in run.messages if isinstance(e, StepFinished) and e.assignee == "fact_checker"]
    if not checks:
        return "the run you passed has no fact check: pass the newsroom's run after the correction."
    if not checks[-1].output.startswith("CLEARED"):
        return (
            f"the fact-checker still did not clear the story ({checks[-1].output!r}): run the newsroom "
            "again after correcting the store, and pass that run."
        )
    return None


def _newsroom(careless: bool) -> Team:
    """The capstone's newsroom on the stand-in; careless: no archive for the researcher, no fact-checker."""
    desks = [
        Agent("researcher", "You find facts in the archive.", tools=[] if careless else [search_archive]),
        Agent("reporter", "You find quotes."),
        Agent("writer", "You write short news stories from the research."),
        *([] if careless else [Agent("fact_checker", "You check every number.", tools=[search_archive])]),
        Agent("editor", "You publish cleared stories with a headline; you hold the rest."),
    ]
    return Team(
        desks,
        mode="plan",
        planner=Agent("planner"),
        name="careless" if careless else "careful",
        model=newsdesk(),
    )


def _published(result: TeamResult) -> str:
    return result.final or ""


@exercise(
    "08.3",
    "an eval with teeth",
    expects="your evaluator (an instance of your Evaluator class)",
    right=(
        "it passes the careful newsroom's stories and fails the careless newsroom's, whose sizes did "
        "not come from the archive."
    ),
)
def an_eval_with_teeth(answer: Any) -> str | None:
    from pydantic_evals import Case, Dataset
    from pydantic_evals.evaluators import Evaluator

    from agentnb.evals import evaluate_sync

    if isinstance(answer, type):
        return "that is the class: pass an evaluator made from it, with (): NumbersFromTheArchive()."
    if not isinstance(answer, Evaluator):
        raise TypeError(f"got {type(answer).__name__}, not a pydantic-evals Evaluator")
    dataset = Dataset(
        name="assignments", cases=[Case(name=n, inputs=t) for n, t in ASSIGNMENTS], evaluators=[answer]
    )
    passed = {}
    for careless in (False, True):
        build = functools.partial(_newsroom, careless)  # no parameter left: evaluate would pass it a seed
        report = evaluate_sync(build, dataset, repeat=1, output=_published, progress=False)
        passed[careless] = {c.name: c.rate.passed == c.rate.runs for c in report.cases}
    failed = [name for name, ok in passed[False].items() if not ok]
    if failed:
        return (
            f"your evaluator fails the careful newsroom's story on {failed[0]!r}, which is right: every "
            "number of it is in the archive. Read what it gets (ctx.output is the published story)."
        )
    fooled = [name for name, ok in passed[True].items() if ok]
    if fooled:
        return (
            f"your evaluator passes the careless newsroom's story on {fooled[0]!r} (no archive for the "
            "researcher, no fact-checker), which prints a size from the writer's head. Compare the story's "
            "numbers with the archive."
        )
    return None


question(
    "08.a",
    "The careless newsroom passed every case of the first eval. What did the eval lack?",
    wrong("More repeats.", "The stand-in does the same every time: repeats would pass again."),
    right(
        "An evaluator that checks whether what was published is true.",
        "Right: it checked how the newsroom worked, not what it printed. Exercise 3 gives it teeth.",
    ),
    wrong("A bigger model.", "The eval must tell good from bad whatever the model."),
)
question(
    "08.b",
    "Day two made fewer tool calls than day one. Why?",
    wrong("The archive's answers were cached.", "Nothing was cached: the researcher did not search at all."),
    right(
        "The researcher's memory recalled the site's size before its turn, so it did not search.",
        "Right: the trace shows what the memory saved, a tool call and a model call.",
    ),
)
