"""Lesson 06's exercises (evals): graded by running evals, never by reading text.

06.1 runs the student's dataset against three reference solvers (careful, sloppy, and one
that guesses right without the calculator) and asks that it passes only the careful one;
06.2 reads a comparison of a cheaper team with the checker team; 06.3 reads a judge's
calibration against the lesson's hand labels. pydantic-evals is imported only when graded.
"""

from __future__ import annotations

import re
from typing import Any

from agentnb.core.agent import Agent
from agentnb.core.model import ModelRequest
from agentnb.core.result import TeamResult
from agentnb.core.team import Team
from agentnb.core.tools import tool
from agentnb.course.checks import exercise
from agentnb.course.quiz import question, right, wrong
from agentnb.models.scripted import FunctionModel, call

SUM = re.compile(r"(-?\d+)\s*([-+*])\s*(-?\d+)")
MIN_CASES = 3
MIN_RUNS = 10
MIN_KAPPA = 0.75

# The lesson's hand labels, exactly: 06.3 grades the judge, so the labels must stay as given.
HAND_LABELLED = [
    ("17 + 25 = 42, so the answer is 42.", True),
    ("The answer is 42.", False),
    ("42", False),
    ("I added 17 and 25 and got 42.", True),
    ("12 * 11 = 132", True),
    ("It is 132, trust me.", False),
    ("100 - 37 = 63, because 37 + 63 makes 100.", True),
    ("Answer = 63", False),
]


def sum_in(text: str) -> re.Match[str]:
    """The first sum in ``text``: ``a + b``, ``a - b`` or ``a * b``."""
    found = SUM.search(text)
    if found is None:
        raise ValueError(f"no sum in {text!r}")
    return found


def work_out(text: str) -> int:
    """The value of the first sum in ``text``."""
    a, op, b = sum_in(text).groups()
    return {"+": int(a) + int(b), "-": int(a) - int(b), "*": int(a) * int(b)}[op]


@tool
def calculate(expression: str) -> str:
    """Work out one sum, such as 17 + 25 or 6 * 7."""
    return str(work_out(expression))


def _solver(style: str) -> Team:
    """A reference solver: ``careful`` uses the calculator, ``sloppy`` slips by ten in its head,
    ``lucky`` gets the sum right in its head (right answer, no calculator)."""

    def reply(request: ModelRequest) -> Any:
        task, last = request.messages[1]["content"], request.messages[-1]
        if last["role"] == "tool":
            return f"{sum_in(task).group()} = {last['content']}, so the answer is {last['content']}."
        if style == "careful":
            return call("calculate", expression=sum_in(task).group())
        return f"The answer is {work_out(task) + (10 if style == 'sloppy' else 0)}."

    solver = Agent("solver", "You solve arithmetic homework.", tools=[calculate])
    return Team([solver], max_turns=1, model=FunctionModel(reply, name=style), name=style)


def solver_answer(result: TeamResult) -> str:
    said = [m.content for m in result.chat() if m.source == "solver"]
    return said[-1] if said else ""


@exercise(
    "06.1",
    "a dataset with teeth",
    expects="your pydantic-evals Dataset (my_sums)",
    right=(
        "its cases pass a solver that uses the calculator and fail both a sloppy one (wrong by ten) "
        "and a lucky one (right without the calculator)."
    ),
)
def dataset_with_teeth(answer: Any) -> str | None:
    from pydantic_evals import Dataset

    from agentnb.evals import evaluate_sync

    if not isinstance(answer, Dataset):
        raise TypeError(f"got {type(answer).__name__}, not a Dataset")
    cases = answer.cases
    if len(cases) < MIN_CASES:
        return (
            f"the dataset has {len(cases)} case{'s' if len(cases) != 1 else ''}; write at least {MIN_CASES}."
        )
    for i, case in enumerate(cases, 1):
        name = case.name or f"Case {i}"
        if not isinstance(case.inputs, str) or SUM.search(case.inputs) is None:
            return (
                f"case {name!r}: its inputs should be a question with one sum in it, like 'What is 81 - 17?' "
                "(two numbers with +, - or * between them)."
            )
        if case.expected_output is None:
            return f"case {name!r} has no expected_output: what should the answer be?"
    if not answer.evaluators and not any(c.evaluators for c in cases):
        return "the dataset has no evaluators: nothing would check the answers."
    verdicts = {}
    for style in ("careful", "sloppy", "lucky"):
        report = evaluate_sync(_solver(style), answer, repeat=1, output=solver_answer, progress=False)
        verdicts[style] = {c.name: c.rate.passed == c.rate.runs for c in report.cases}
    wrong = [name for name, ok in verdicts["careful"].items() if not ok]
    if wrong:
        return (
            f"case {wrong[0]!r} fails even for a solver that always uses the calculator: is its "
            "expected_output the right answer (a number), and do the evaluators compare it with the answer?"
        )
    fooled = [name for name, ok in verdicts["sloppy"].items() if ok]
    if fooled:
        return (
            f"case {fooled[0]!r} passes for a solver whose answer is wrong by ten: an evaluator must "
            "compare the answer with the expected one (RightNumber does)."
        )
    guessed = [name for name, ok in verdicts["lucky"].items() if ok]
    if guessed:
        return (
            f"case {guessed[0]!r} passes for a solver that never touched the calculator (it guessed right): "
            "add an evaluator that reads the run's trace for the tool call."
        )
    return None


@exercise(
    "06.2",
    "cheaper than a checker",
    expects="the comparison of your team with the checker team's report",
    right=(
        "your team passes as often as the checker team, measured on enough runs, and spends fewer "
        "tokens per run."
    ),
)
def cheaper_than_a_checker(answer: Any) -> str | None:
    from agentnb.evals import Comparison
    from agentnb.evals.comparison import IMPROVED, REGRESSED, WORSE

    if not isinstance(answer, Comparison):
        raise TypeError(f"got {type(answer).__name__}, not a Comparison")
    baseline, candidate = answer.baseline, answer.candidate
    if not _checker_spoke(baseline):
        return (
            "the baseline is not the checker team's report: compare your candidate with it, as in "
            "candidate.compare(with_checker_report)."
        )
    fewest = min((c.rate.runs for c in candidate.cases), default=0)
    if fewest < MIN_RUNS:
        return f"some cases of your candidate ran only {fewest} times: evaluate it with repeat={MIN_RUNS}."
    if answer.overall.verdict in (REGRESSED, WORSE):
        return (
            f"your candidate passes fewer runs than the checker team ({answer.overall.after} vs "
            f"{answer.overall.before}). Read tutor(): what makes its solver use the calculator every time?"
        )
    tokens = {c.name: c for c in answer.costs}["tokens per run"]
    if tokens.verdict != IMPROVED:
        return (
            f"your candidate passes as often, but it is not cheaper: {tokens.after:.0f} tokens per run "
            f"against {tokens.before:.0f}. Can one agent do it, without the checker's extra turns?"
        )
    return None


def _checker_spoke(report: Any) -> bool:
    from agentnb.evals.task import FACTS_KEY

    runs = [r for case in report.cases for r in case.runs if hasattr(r, "attributes")]
    return bool(runs) and all("checker" in r.attributes.get(FACTS_KEY, {}).get("speakers", []) for r in runs)


@exercise(
    "06.3",
    "calibrate the judge",
    expects="the calibration of your judge (await calibrate(judge, hand_labelled))",
    right=(
        f"your judge agrees with the hand labels well beyond chance (Cohen's kappa of at least {MIN_KAPPA}), "
        "so its verdicts can stand in for yours."
    ),
)
def calibrate_the_judge(answer: Any) -> str | None:
    from agentnb.evals import Calibration

    if not isinstance(answer, Calibration):
        raise TypeError(f"got {type(answer).__name__}, not a Calibration")
    given = [(e.output, e.passed) for e in answer.examples]
    if given != HAND_LABELLED:
        return (
            "these are not the lesson's hand labels: keep hand_labelled as it is (your labels are the "
            "ground truth) and change the judge's rubric instead."
        )
    if answer.kappa < MIN_KAPPA:
        n = len(answer.disagreements)
        return (
            f"kappa is {answer.kappa:.2f} ({n} disagreement{'s' if n != 1 else ''}); aim "
            f"for at least {MIN_KAPPA}. Read the disagreements: which quoted phrases in the rubric let a bad "
            "answer pass, and which answers that show their working contain none of them?"
        )
    return None


question(
    "06.a",
    "A team passed 7 of 10 runs: 70% [40%–89%]. What does the interval say?",
    wrong("The team is right 70% of the time.", "That is what this sample gave; the true rate may differ."),
    right(
        "Its true pass rate could well be anywhere from 40% to 89%; more runs narrow that.",
        "Right: four times the runs give roughly half the width.",
    ),
    wrong("40% of the runs failed.", "The interval is about the true rate, not about these runs."),
)
question(
    "06.b",
    'The comparison says v2 is "better (within noise)" than v1. What do you know?',
    wrong("v2 is better: ship it.", "Within noise means the difference may well be chance."),
    right(
        "Not yet which is better: the intervals overlap. Run more, or decide on cost.",
        "Right: only differences whose intervals do not overlap count as improved or regressed.",
    ),
    wrong("v1 is better.", "Nothing says that either."),
)
question(
    "06.c",
    "Why calibrate an LLM judge before you trust it?",
    wrong("To make it faster.", "Calibration measures, it does not speed anything up."),
    right(
        "A judge is a model and can be wrong: compare its verdicts with your own labels (Cohen's kappa).",
        "Right: a judge that passes everything agrees with you often, and kappa shows it.",
    ),
    wrong(
        "So that it always agrees with you.",
        "It shows how often it agrees, beyond chance; it changes nothing.",
    ),
)
