"""Lesson 11's check (the final challenge): was the eval honest?

11.1 reads the `Entry` that `run_challenge` returned: the assignments its report really ran
(their fingerprint against the shared dataset's), the evaluators every run was scored by, and
how many runs each assignment had. It does not grade the score: any team may enter.
"""

from __future__ import annotations

from typing import Any

from agentnb.course.challenge import (
    ASSIGNMENTS,
    EVALUATORS,
    MIN_REPEAT,
    REFERENCES,
    SHARED,
    Entry,
    fingerprint,
)
from agentnb.course.checks import exercise
from agentnb.course.quiz import question, right, wrong


@exercise(
    "11.1",
    "an honest entry",
    expects="the Entry that run_challenge returned for your team",
    right=(
        "your score comes from the shared assignments, scored by all four evaluators, with enough runs of "
        "each for its interval to mean something: it can stand next to anyone's."
    ),
)
def an_honest_entry(answer: Any) -> str | None:
    if not isinstance(answer, Entry):
        raise TypeError(f"got {type(answer).__name__}")
    if answer.build in REFERENCES.values():
        return "that is a reference team: build a team of your own, then enter it."
    ran = answer.cases()
    if fingerprint(ran) != SHARED:
        names = sorted(name for name, _, _ in ran)
        shared = sorted(case.name or "" for case in ASSIGNMENTS.cases)
        return (
            f"the report ran the assignments {names}, not the shared ones ({shared}) as they are: a score "
            "on other or changed assignments cannot be compared. Run run_challenge(...) as it is."
        )
    failed = len(answer.report.report.failures)
    if failed * 2 > answer.rate.runs:
        return (
            f"{failed} of {answer.rate.runs} runs ended with an error instead of a story: fix the team first "
            "(answer.report.result(case, run) opens one)."
        )
    scored = {name for run in answer.report.report.cases for name in run.assertions}
    missing = [type(e).__name__ for e in EVALUATORS if type(e).__name__ not in scored]
    if missing:
        return (
            f"the runs were not scored by {', '.join(missing)}: every entry is scored by all four evaluators."
        )
    short = [c.name for c in answer.report.cases if c.rate.runs < MIN_REPEAT]
    if short or answer.repeat < MIN_REPEAT:
        return (
            f"{short[0] if short else 'each assignment'} ran fewer than {MIN_REPEAT} times: one good run "
            f"proves little, and the interval of so few is too wide to rank. Use repeat={MIN_REPEAT} or more."
        )
    return None


question(
    "11.a",
    "Your team passed 27 of 30 runs [74%–97%]; a reference passed 25 of 30 [66%–93%]. What can you say?",
    wrong("Yours is better: 90% is more than 83%.", "Both intervals overlap widely: the gap may be chance."),
    right(
        "The difference is within noise: more runs would tell.",
        "Right: a difference counts only when the intervals do not overlap. Ten runs per assignment halves "
        "the guesswork (roughly: four times the runs, half the width).",
    ),
    wrong(
        "The reference is better: its interval starts lower.",
        "A lower start means less certainty, not a better team.",
    ),
)
question(
    "11.b",
    "Why does the check refuse an entry whose report ran only three of the six assignments?",
    wrong(
        "Because fewer runs take less time.",
        "Time is not the point: a score is compared with others, so it must measure the same thing.",
    ),
    right(
        "A score on other assignments measures something else: it cannot stand next to the others.",
        "Right: the same dataset, the same evaluators, enough repeats; only then do two numbers compare.",
    ),
    wrong(
        "Because those three are the easy ones.",
        "Maybe, maybe not: any change of dataset breaks the comparison.",
    ),
)
