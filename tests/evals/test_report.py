"""Eval reports: pass rates per case over repeats, renderings, baselines saved and compared."""

from __future__ import annotations

import json

import pytest
from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import ToolCorrectness

from agentnb import Agent, Team
from agentnb.evals import EvalReport, SpeakerOrder, TurnsAtMost, compare, evaluate_sync, load_report

from .conftest import homework, tutor_model

EVALUATORS = [ToolCorrectness(["calculate"]), SpeakerOrder(["solver", "checker"])]


def dataset() -> Dataset:
    return Dataset(
        name="sums",
        cases=[
            Case(name="add", inputs="What is 17 + 25?"),
            Case(name="times", inputs="What is 6 * 7?"),
            Case(name="minus", inputs="What is 50 - 8?"),
        ],
        evaluators=EVALUATORS,
    )


def run(skip: float, *, repeat: int = 10, name: str | None = None) -> EvalReport:
    """The homework team, which skips the calculator with chance ``skip`` (seeded per run)."""
    return evaluate_sync(
        lambda seed: homework(seed, skip=skip), dataset(), repeat=repeat, name=name, progress=False
    )


@pytest.fixture(scope="module")
def sloppy() -> EvalReport:
    return run(0.6, name="sloppy")


@pytest.fixture(scope="module")
def careful() -> EvalReport:
    return run(0.0, name="careful")


def test_runs_are_grouped_per_case_in_dataset_order(sloppy):
    assert [c.name for c in sloppy.cases] == ["add", "times", "minus"]
    assert all(c.rate.runs == 10 and len(c.runs) == 10 for c in sloppy.cases)
    assert [r.name for r in sloppy.case("add").runs][:2] == ["add [1/10]", "add [2/10]"]


def test_a_run_passes_only_when_every_assertion_holds(sloppy):
    add = sloppy.case("add")
    assert add.rate.passed == add.assertions["ToolCorrectness"].passed  # the only one that fails
    assert add.assertions["SpeakerOrder"].passed == 10
    assert 0 < add.rate.passed < 10
    assert sloppy.pass_rate.passed == sum(c.rate.passed for c in sloppy.cases)
    assert sloppy.pass_rate.runs == 30


def test_the_same_seeds_give_the_same_report():
    assert run(0.6, repeat=4).text() == run(0.6, repeat=4).text()


def test_the_text_view_shows_rates_intervals_assertions_and_costs(careful):
    lines = careful.text().splitlines()
    assert lines[0] == "Eval careful: 3 cases × 10 runs of dataset sums · passed 30/30 = 100% [89%–100%]"
    assert lines[2].split() == [
        "case", "passed", "pass", "rate", "[95%", "CI]", "ToolCorrectness", "SpeakerOrder", "tokens", "turns",
    ]  # fmt: skip
    assert lines[4].split()[:5] == ["add", "10/10", "100%", "[72%–100%]", "10/10"]
    assert lines[-1].split()[:3] == ["all", "30/30", "100%"]
    assert "Runs that did not pass" not in careful.text()


def test_failed_runs_are_listed_with_their_seed_and_reason(sloppy):
    text = sloppy.view(reasons=2).text()
    assert "Runs that did not pass:" in text
    assert "(seed " in text and "ToolCorrectness: missing tools: 'calculate' (x1)" in text
    assert f"… and {sloppy.pass_rate.runs - sloppy.pass_rate.passed - 2} more" in text


def test_views_render_without_times_unless_asked(careful):
    bundle = careful._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/markdown", "text/html"}
    assert " ms" not in bundle["text/plain"] and ">time</th>" not in bundle["text/html"]
    timed = careful.view(times=True)
    assert "time" in timed.text().splitlines()[2] and " ms" in timed.text()
    assert "| add | 10/10 | 100% \\[72%–100%\\] |" in careful.markdown()
    assert '<td style="' in careful.html() and "color:#15803d" in careful.html()


def test_a_run_can_be_opened_and_traced(careful):
    result = careful.result("times", 2)
    assert result.chat()[0].content == "What is 6 * 7?"
    assert result.trace().find("execute_tool")[0].label == "calculate"
    with pytest.raises(IndexError, match="runs 1 to 10"):
        careful.result("times", 11)
    with pytest.raises(KeyError, match="no case 'divide'"):
        careful.result("divide")


def test_a_saved_baseline_loads_with_the_same_rates_and_view(careful, tmp_path):
    path = careful.save(tmp_path / "baseline.json")
    data = json.loads(path.read_text())
    assert data["format"] == "agentnb-eval-report" and data["repeat"] == 10
    assert "agentnb.run" not in data["report"]["cases"][0]["attributes"]
    loaded = load_report(path)
    assert loaded.text() == careful.text()
    assert loaded.case("add").tokens == careful.case("add").tokens
    with pytest.raises(ValueError, match="keeps scores, not runs"):
        loaded.result("add")


def test_a_file_that_is_no_report_is_refused_with_what_to_do(tmp_path):
    other = tmp_path / "other.json"
    other.write_text('{"format": "agentnb-cassette"}')
    with pytest.raises(ValueError, match=r"not a saved agentnb eval report \(.*\); save one with report"):
        load_report(other)
    with pytest.raises(ValueError, match="cannot read"):
        load_report(tmp_path / "missing.json")


def test_the_comparison_shows_what_improved_beyond_the_noise(sloppy, careful):
    comparison = careful.compare(sloppy)
    assert comparison.overall.verdict == "improved"
    assert set(comparison.improved) <= {"add", "times", "minus"} and comparison.improved
    assert comparison.regressed == []
    verdicts = {c.name: c.verdict for c in comparison.evaluators}
    assert verdicts == {"ToolCorrectness": "improved", "SpeakerOrder": "same"}
    costs = {c.name: c.verdict for c in comparison.costs}
    assert costs["turns per run"] == "same"
    text = comparison.text()
    assert text.startswith("Candidate careful vs baseline sloppy: ")
    assert "all runs" in text and "improved" in text
    assert "<table" in comparison.html() and "| evaluator |" in comparison.markdown()


def test_the_other_way_round_it_regressed(sloppy, careful):
    comparison = compare(careful, sloppy)
    assert comparison.overall.verdict == "regressed" and comparison.improved == []
    assert comparison.regressed


def test_small_differences_are_called_within_noise():
    few_sloppy = run(0.5, repeat=3, name="a")
    few_careful = run(0.0, repeat=3, name="b")
    verdicts = {c.verdict for c in few_careful.compare(few_sloppy).cases}
    assert verdicts <= {"better (within noise)", "same"}


def test_a_baseline_file_can_be_compared_directly(sloppy, careful, tmp_path):
    path = sloppy.save(tmp_path / "sloppy.json")
    assert careful.compare(path).text() == careful.compare(sloppy).text()
    assert careful.compare(str(path)).overall.verdict == "improved"


def test_cases_added_or_removed_since_the_baseline_are_marked(careful):
    smaller = Dataset(
        name="sums",
        cases=[Case(name="add", inputs="What is 17 + 25?"), Case(name="new", inputs="What is 2 + 2?")],
    )
    candidate = evaluate_sync(homework, smaller, evaluators=EVALUATORS, repeat=2, progress=False)
    verdicts = {c.name: c.verdict for c in candidate.compare(careful).cases}
    assert verdicts == {"add": "same", "new": "new", "times": "removed", "minus": "removed"}


def test_more_turns_and_tokens_are_cost_regressions(careful):
    def with_reviewer(seed: int) -> Team:
        team = homework(seed)
        reviewer = Agent("reviewer", "You review the checker.")
        return Team([*team.participants, reviewer], model=tutor_model(seed), max_turns=3, name="reviewed")

    longer = evaluate_sync(with_reviewer, dataset(), evaluators=[TurnsAtMost(2)], repeat=2, progress=False)
    comparison = longer.compare(careful)
    costs = {c.name: c.verdict for c in comparison.costs}
    assert costs == {"tokens per run": "regressed", "turns per run": "regressed"}
    evaluators = {c.name: c.verdict for c in comparison.evaluators}
    assert evaluators["TurnsAtMost"] == "new" and evaluators["SpeakerOrder"] == "regressed"
    assert "| turns per run | 2 | 3 | +50% | regressed |" in comparison.markdown()
