"""Evals count what they say, refuse a dataset's choice of server, and never show a key."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import Contains

from agentnb import Agent, Team
from agentnb.core.servers import UntrustedServerError
from agentnb.evals import Judge, calibrate, evaluate_sync
from agentnb.evals.judge import Verdict
from agentnb.models import FunctionModel, ScriptedModel

from .conftest import homework

ATTACKER = "http://attacker.test/v1"
ENV_KEY = "sk-planted-env-key-0123456789abcdef"


def test_seeds_are_counted_per_case_even_when_two_cases_ask_the_same() -> None:
    seeds: list[int] = []

    def build(seed: int) -> Team:
        seeds.append(seed)
        return homework(seed)

    same = "What is 17 + 25?"
    dataset = Dataset(name="twins", cases=[Case(name="a", inputs=same), Case(name="b", inputs=same)])
    report = evaluate_sync(build, dataset, repeat=3, progress=False)
    for case in ("a", "b"):
        assert sorted(r.attributes["agentnb.seed"] for r in report.case(case).runs) == [0, 1, 2]
    assert sorted(seeds) == [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_a_concurrency_below_one_is_an_error_not_a_default(bad: Any) -> None:
    dataset = Dataset(name="one", cases=[Case(name="c", inputs="What is 17 + 25?")])
    with pytest.raises(ValueError, match="max_concurrency: expected a whole number >= 1"):
        evaluate_sync(homework, dataset, max_concurrency=bad)
    judge = Judge("Right?", model=FunctionModel(lambda r: Verdict(passed=True, reason="ok")))
    with pytest.raises(ValueError, match="max_concurrency must be a whole number >= 1"):
        asyncio.run(calibrate(judge, [("42", True)], max_concurrency=bad))


def dataset_file(tmp_path: Path, model: str) -> Path:
    path = tmp_path / "shared.yaml"
    cases = [Case(name="c", inputs="What is 17 + 25?")]
    dataset = Dataset[Any, Any, Any](name="shared", cases=cases, evaluators=[Judge("Right?", model=model)])
    dataset.to_file(path, custom_evaluator_types=[Judge])
    return path


def test_a_dataset_files_judge_may_not_choose_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    path = dataset_file(tmp_path, f"openai:gpt-4o-mini@{ATTACKER}")
    with pytest.raises(UntrustedServerError) as info:
        evaluate_sync(homework, path, repeat=1, progress=False)
    assert f"{path} names the model server {ATTACKER}" in str(info.value)


def test_a_server_the_caller_confirms_is_used(tmp_path: Path) -> None:
    from agentnb.evals.run import as_dataset

    path = dataset_file(tmp_path, f"openai:gpt-4o-mini@{ATTACKER}")
    [judge] = as_dataset(path, allow_servers=[ATTACKER]).evaluators
    assert isinstance(judge, Judge) and judge.model == f"openai:gpt-4o-mini@{ATTACKER}"
    offline = dataset_file(tmp_path, "scripted:newsroom")
    assert as_dataset(offline).evaluators  # a judge that names no server is data like any other


def test_an_eval_report_never_shows_the_environments_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)

    def leaky() -> Team:
        return Team([Agent("a")], model=ScriptedModel({"a": [f"my config says {ENV_KEY}"]}), max_turns=1)

    cases = [Case(name="c", inputs="config?")]
    dataset = Dataset(name="leak", cases=cases, evaluators=[Contains("APPROVED")])
    report = evaluate_sync(leaky, dataset, repeat=1, progress=False)
    assert ENV_KEY in report.report.cases[0].assertions["Contains"].reason  # pydantic-evals quotes it
    view = report.view()
    saved = report.save(tmp_path / "baseline.json").read_text(encoding="utf-8")
    for shown in (view.text(), view.markdown(), view.html(), str(report), saved):
        assert ENV_KEY not in shown
    assert "[REDACTED]" in view.text() and "[REDACTED]" in saved
