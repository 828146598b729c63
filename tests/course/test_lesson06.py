"""Lesson 06's checks: the solution gets a ✓, each kind of wrong answer the hint that fits it."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import pytest
from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import Evaluator, EvaluatorContext, ToolCorrectness

from agentnb import Agent, Team
from agentnb.course import check
from agentnb.course.lesson06 import HAND_LABELLED, calculate, solver_answer, work_out
from agentnb.evals import EvalReport, Judge, Verdict, calibrate, evaluate_sync
from agentnb.models import FunctionModel, call


@dataclass
class RightNumber(Evaluator):
    """The lesson's evaluator: the last number in the answer is the expected one."""

    def evaluate(self, ctx: EvaluatorContext) -> bool:
        numbers = re.findall(r"-?\d+", ctx.output or "")
        return bool(numbers) and int(numbers[-1]) == int(ctx.expected_output)


SUMS = [
    ("first", "What is 81 - 17?", 64),
    ("second", "What is 25 * 4?", 100),
    ("third", "What is 999 + 1?", 1000),
]


def sums(evaluators, cases=SUMS) -> Dataset:
    return Dataset(
        name="my sums",
        cases=[Case(name=n, inputs=q, expected_output=e) for n, q, e in cases],
        evaluators=evaluators,
    )


# ----- 06.1: a dataset with teeth -------------------------------------------------------------


def test_three_right_sums_checked_for_the_answer_and_the_tool_are_right():
    verdict = check("06.1", sums([RightNumber(), ToolCorrectness(["calculate"])]))
    assert verdict.ok, verdict.message


def test_too_few_cases_are_counted():
    verdict = check("06.1", sums([RightNumber()], SUMS[:1]))
    assert not verdict.ok and "has 1 case; write at least 3" in verdict.message


def test_a_wrong_expected_answer_fails_the_careful_solver():
    wrong = [*SUMS[:2], ("third", "What is 999 + 1?", 1001)]
    verdict = check("06.1", sums([RightNumber(), ToolCorrectness(["calculate"])], wrong))
    assert (
        not verdict.ok
        and "'third' fails even for a solver that always uses the calculator" in verdict.message
    )


def test_checking_only_the_tool_lets_a_wrong_answer_through():
    class AlwaysTrue(Evaluator):
        def evaluate(self, ctx: EvaluatorContext) -> bool:
            return True

    verdict = check("06.1", sums([AlwaysTrue()]))
    assert not verdict.ok and "passes for a solver whose answer is wrong by ten" in verdict.message


def test_checking_only_the_answer_lets_a_lucky_guess_through():
    verdict = check("06.1", sums([RightNumber()]))
    assert not verdict.ok and "never touched the calculator" in verdict.message


def test_questions_without_a_sum_or_an_expected_answer_get_a_hint():
    words = check("06.1", sums([RightNumber()], [*SUMS[:2], ("third", "What is nine plus one?", 10)]))
    assert not words.ok and "one sum in it" in words.message
    cases = [Case(name=n, inputs=q) for n, q, _ in SUMS]
    missing = check("06.1", Dataset(name="x", cases=cases, evaluators=[RightNumber()]))
    assert not missing.ok and "no expected_output" in missing.message
    assert "no evaluators" in check("06.1", sums([])).message
    assert "needs your pydantic-evals Dataset" in check("06.1", [1, 2, 3]).message


# ----- 06.2: cheaper than a checker -------------------------------------------------------------


def tutor(seed: int) -> FunctionModel:
    """The lesson's stand-in: the solver uses the calculator when told 'always', after WRONG, or by chance."""
    import random

    def reply(request):
        role, task, last = (
            request.messages[0]["content"],
            request.messages[1]["content"],
            request.messages[-1],
        )
        if request.agent != "solver":  # a checker
            said = re.findall(r"-?\d+", last["content"])
            return "CORRECT" if said and int(said[-1]) == work_out(task) else "WRONG: use the calculator."
        if last["role"] == "tool":
            return f"The answer is {last['content']}."
        dice = random.Random(f"{seed}/{task}")
        if "always" in role.lower() or "WRONG" in last["content"] or dice.random() < 0.5:
            return call("calculate", expression=re.search(r"\d+\s*[-+*]\s*\d+", task).group())
        return f"The answer is {work_out(task) + 10}."

    return FunctionModel(reply)


def with_checker(seed: int = 0) -> Team:
    solver = Agent("solver", "You solve sums.", tools=[calculate])
    return Team([solver, Agent("checker")], max_turns=4, until="CORRECT", model=tutor(seed))


def alone(role: str):
    def build(seed: int = 0) -> Team:
        return Team([Agent("solver", role, tools=[calculate])], max_turns=1, model=tutor(seed))

    return build


HOMEWORK = sums([RightNumber(), ToolCorrectness(["calculate"])], [("add", "What is 17 + 25?", 42), *SUMS])


def report(build, repeat: int = 10) -> EvalReport:
    return evaluate_sync(build, HOMEWORK, repeat=repeat, output=solver_answer, progress=False)


@pytest.fixture(scope="module")
def v2() -> EvalReport:
    return report(with_checker)


def test_one_solver_told_to_always_use_the_calculator_is_right(v2):
    verdict = check("06.2", report(alone("Always use the calculate tool.")).compare(v2))
    assert verdict.ok, verdict.message


def test_a_solver_that_still_slips_passes_fewer_runs(v2):
    verdict = check("06.2", report(alone("You solve sums.")).compare(v2))
    assert not verdict.ok and "passes fewer runs than the checker team" in verdict.message


def test_the_comparison_the_wrong_way_round_has_no_checker_baseline(v2):
    candidate = report(alone("Always use the calculate tool."))
    verdict = check("06.2", v2.compare(candidate))
    assert not verdict.ok and "the baseline is not the checker team's report" in verdict.message


def test_too_few_runs_are_not_enough_to_tell(v2):
    verdict = check("06.2", report(alone("Always use the calculate tool."), repeat=3).compare(v2))
    assert not verdict.ok and "repeat=10" in verdict.message


def test_as_reliable_but_not_cheaper_is_told_so(v2):
    def checked_thrice(seed: int = 0) -> Team:
        solver = Agent("solver", "Always use the calculate tool.", tools=[calculate])
        checkers = [Agent("checker"), Agent("again"), Agent("once_more")]
        return Team([solver, *checkers], max_turns=4, model=tutor(seed))

    verdict = check("06.2", report(checked_thrice).compare(v2))
    assert not verdict.ok and "it is not cheaper" in verdict.message
    assert "needs the comparison" in check("06.2", v2).message


# ----- 06.3: calibrate the judge ----------------------------------------------------------------


def phrase_judge(request) -> Verdict:
    prompt = request.messages[-1]["content"]
    rubric, answer = prompt.splitlines()[0], prompt.split("Answer to grade:\n", 1)[1]
    found = [phrase for phrase in re.findall(r'"([^"]+)"', rubric) if phrase in answer]
    return Verdict(passed=bool(found), reason="found" if found else "none")


def calibrated(rubric: str, labels=HAND_LABELLED):
    return asyncio.run(calibrate(Judge(rubric, model=FunctionModel(phrase_judge)), labels))


def test_a_rubric_that_quotes_what_working_looks_like_is_right():
    rubric = 'Pass answers that show the working: a sum such as "+ ", "- " or "* ", or words such as "added".'
    verdict = check("06.3", calibrated(rubric))
    assert verdict.ok, verdict.message


def test_the_lessons_first_rubric_is_told_its_kappa_and_disagreements():
    verdict = check("06.3", calibrated('Pass answers that show the working, such as "=".'))
    assert not verdict.ok and verdict.message.startswith("kappa is 0.50 (2 disagreements)")


def test_changing_the_hand_labels_instead_of_the_rubric_is_refused():
    agreeable = [(output, "=" in output) for output, _ in HAND_LABELLED]
    verdict = check("06.3", calibrated('Pass "=".', agreeable))
    assert not verdict.ok and "not the lesson's hand labels" in verdict.message
    assert "needs the calibration" in check("06.3", "kappa 1").message
