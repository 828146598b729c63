"""Recorded responses make an eval re-runnable for free: record it once, replay it exactly, offline."""

from __future__ import annotations

import random

from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import ToolCorrectness

from agentnb import Agent, Team, models
from agentnb.evals import Judge, SpeakerOrder, Verdict, evaluate_sync
from agentnb.models import FunctionModel, call

from .conftest import NUMBERS, calculate, solve


def flaky_tutor() -> FunctionModel:
    """A stand-in for a live model: one shared random source, so replies differ from run to run."""
    rng = random.Random(11)

    def reply(request):
        task = next(m["content"] for m in request.messages if m["role"] == "user")
        last = request.messages[-1]
        if request.agent == "solver":
            if last["role"] == "tool":
                return f"The answer is {last['content']}."
            if rng.random() < 0.5:
                return f"The answer is {solve(task) + 1}."
            return call("calculate", expression=NUMBERS.search(task).group(0))
        return "CORRECT"

    return FunctionModel(reply, name="flaky")


def judge_model(request) -> Verdict:
    answer = request.messages[-1]["content"].rsplit("\n", 1)[-1]
    return Verdict(passed=answer == "CORRECT", reason=f"said {answer}")


def team_on(model) -> Team:
    solver = Agent("solver", "You solve sums with the calculate tool.", tools=[calculate])
    return Team([solver, Agent("checker")], model=model, max_turns=2, name="homework")


def scores(report) -> list[tuple[str, dict[str, bool]]]:
    return [(r.name, {k: v.value for k, v in r.assertions.items()}) for c in report.cases for r in c.runs]


def test_an_eval_recorded_once_replays_with_identical_scores_and_no_model_calls(tmp_path):
    dataset = Dataset(
        name="sums",
        cases=[Case(name="add", inputs="What is 17 + 25?"), Case(name="times", inputs="What is 6 * 7?")],
        evaluators=[ToolCorrectness(["calculate"]), SpeakerOrder(["solver", "checker"])],
    )
    live_team, live_judge = flaky_tutor(), FunctionModel(judge_model, name="judge")
    team_tape, judge_tape = tmp_path / "team.json", tmp_path / "judge.json"
    recorder = models.record(live_team, team_tape)
    judge = Judge("The checker said CORRECT.", model=models.record(live_judge, judge_tape))
    recorded = evaluate_sync(lambda: team_on(recorder), dataset, evaluators=[judge], repeat=4, progress=False)
    calls = (live_team.calls, live_judge.calls)
    assert 0 < recorded.pass_rate.passed < recorded.pass_rate.runs  # the stand-in is stochastic

    player = models.replay(team_tape)
    judge = Judge("The checker said CORRECT.", model=models.replay(judge_tape))
    replayed = evaluate_sync(lambda: team_on(player), dataset, evaluators=[judge], repeat=4, progress=False)
    assert (live_team.calls, live_judge.calls) == calls  # nothing reached the models
    assert scores(replayed) == scores(recorded)
    assert replayed.text() == recorded.text()
