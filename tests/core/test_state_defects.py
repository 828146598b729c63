"""Regression tests for the state bugs of issue 15: each failed on cde04f2, each at its mechanism."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from agentnb import Agent, CheckpointError, Team, TokenLimit, tool
from agentnb.core.events import (
    PlanCreated,
    SpeakerSelected,
    StepFinished,
    StepStarted,
    TextMessage,
    ToolResult,
)
from agentnb.core.model import ModelRequest, message_tokens
from agentnb.core.plan import Plan, Step
from agentnb.core.policies import LastN
from agentnb.memory import MemoryStore
from agentnb.models import FunctionModel, ScriptedModel, call


def recorder(reply: Any) -> tuple[FunctionModel, list[ModelRequest]]:
    seen: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        seen.append(request)
        return reply(request) if callable(reply) else reply

    return FunctionModel(answer), seen


def well_formed(messages: Any) -> bool:
    """Every tool call followed by its results before anything else, and a user message first."""
    pending: set[str] = set()
    rest = list(messages)[1:]
    if rest and rest[0].get("role") != "user":
        return False
    for m in rest:
        if m.get("role") == "tool":
            pending.discard(m["tool_call_id"])
            continue
        if pending:
            return False
        pending = {c["id"] for c in m.get("tool_calls") or ()}
    return not pending


@tool(blocking=False)
def lookup(query: str) -> str:
    """Look something up."""
    return f"found {query}"


# 1. a checkpoint inside a running plan step -------------------------------------------------------


def test_a_fork_inside_a_running_plan_step_runs_that_step_again():
    plan = Plan(
        steps=[
            Step(id="a", description="first", assignee="w"),
            Step(id="b", description="second", assignee="w", depends_on=("a",)),
        ]
    )
    model, seen = recorder("done")
    team = Team([Agent("w")], mode="plan", planner=plan, model=model)
    team.run_sync("do it")
    inside = team.checkpoints.find(kind=StepStarted)[1] + 1  # step b started, its reply not yet there
    before = len(seen)
    fork = team.fork(inside)
    result = fork.run_sync()  # the same run, going on: its result starts where the run began
    assert result.stop_reason == "plan finished: 2 steps done"
    assert [e.step_id for e in fork.transcript[inside:] if isinstance(e, StepFinished)] == ["b"]
    assert len(seen) == before + 1  # the cut-off step's model was called again
    team.rewind(inside)
    assert team.run_sync().stop_reason == "plan finished: 2 steps done"


# 2. a checkpoint between a tool call and its result -----------------------------------------------


def test_rewinding_to_before_a_tool_result_runs_that_call_before_any_model_call():
    def reply(request: ModelRequest) -> Any:
        if request.messages[-1].get("role") == "tool":
            return "answered"
        return call("lookup", query="park")

    model, seen = recorder(reply)
    team = Team([Agent("a", tools=[lookup])], model=model, max_turns=1)
    team.run_sync("task")
    k = team.checkpoints.find(kind=ToolResult)[0]
    team.rewind(k)
    before = len(seen)
    result = team.run_sync()
    assert isinstance(team.transcript[k], ToolResult) and team.transcript[k].content == "found park"
    assert all(well_formed(r.messages) for r in seen[before:])
    assert result.final == "answered"


# 3. a thousand forks of forks ---------------------------------------------------------------------


def test_a_thousand_forks_of_forks_and_rewinds_stay_readable():
    team = Team([Agent("a")], model=ScriptedModel({"a": ["ok"]}, loop=True), max_turns=1)
    for _ in range(1_200):
        team = team.fork()
        team.run_sync("go")
        team.rewind(len(team.transcript) - 1)
    result = team.run_sync("once more")
    assert result.final == "ok" and len(list(team.transcript)) == len(team.transcript)
    assert team.transcript[5].source == "a" or team.transcript[5].source in ("user", "team")


# 4. requests and previews handed out are snapshots ------------------------------------------------


def test_a_request_and_a_preview_kept_by_the_user_do_not_change_afterwards():
    model, seen = recorder("ok")
    team = Team([Agent("a"), Agent("b")], model=model, max_turns=2)
    team.run_sync("first")
    kept = seen[0]
    copy = [dict(m) for m in kept.messages]
    preview = team.context_preview("a")
    sent = list(preview.sent)
    team.run_sync("second")
    assert [dict(m) for m in kept.messages] == copy
    assert list(preview.sent) == sent
    with pytest.raises(AttributeError):
        kept.messages.append({"role": "user", "content": "x"})  # a snapshot, not the live list


# 5. a token budget counts the memory note ---------------------------------------------------------


def test_a_token_limit_counts_the_memory_note_it_sends(tmp_path):
    store = MemoryStore(tmp_path / "m.db")
    store.remember_many(
        [f"fact {i}: the park vote had {i} speakers and a long debate" for i in range(40)], by="test"
    )
    model, seen = recorder("a short reply about the park vote and the debate")
    agent = Agent("a", memory=store, context=TokenLimit(400))
    Team([agent, Agent("b")], model=model, max_turns=20).run_sync("tell me about the park vote")
    mine = [r for r in seen if r.agent == "a"]
    assert mine and all(sum(message_tokens(m) for m in r.messages) <= 400 for r in mine)
    assert all(r.prompt_tokens == sum(message_tokens(m) for m in r.messages) for r in mine)
    store.close()


# 6. a graph node that loops on itself -------------------------------------------------------------


def test_a_self_loop_runs_until_its_condition_is_false_and_nothing_runs_after_the_run():
    replies = iter(["again", "again", "stop"])
    model, seen = recorder(lambda request: next(replies))
    team = Team([Agent("B")], mode="graph", edges=[("B", "B", "again")], model=model, max_turns=10)

    async def run_and_wait() -> Any:
        result = await team.run("loop")
        calls = len(seen)
        await asyncio.sleep(0.05)
        return result, calls

    result, calls = asyncio.run(run_and_wait())
    assert [m.content for m in result.chat()][1:] == ["again", "again", "stop"]
    assert result.stop_reason == "graph finished: no edge left to take"
    assert len(seen) == calls == 3


# 7. no task on a finished graph --------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sequential", "graph"])
def test_running_a_finished_graph_without_a_task_calls_no_model(mode: str):
    model, seen = recorder("ok")
    options = {"edges": [("a", "b")]} if mode == "graph" else {}
    team = Team([Agent("a"), Agent("b")], mode=mode, model=model, **options)
    team.run_sync("go")
    before = len(seen)
    result = team.run_sync()
    assert len(seen) == before
    assert "give the team a new task" in result.stop_reason


# 8. trimmed chats open with a user message ---------------------------------------------------------


@pytest.mark.parametrize("policy", [LastN(2), TokenLimit(60)])
def test_a_trimmed_tool_using_chat_still_opens_with_a_user_message(policy: Any):
    def reply(request: ModelRequest) -> Any:
        rounds = sum(1 for m in request.messages if m.get("role") == "tool")
        return call("lookup", query=f"q{rounds}") if rounds < 4 and request.tools else "done"

    model, seen = recorder(reply)
    Team([Agent("a", tools=[lookup], context=policy)], model=model, max_turns=1).run_sync("find things")
    assert all(r.messages[0]["role"] == "system" and r.messages[1]["role"] == "user" for r in seen)
    assert all(well_formed(r.messages) for r in seen)


# 9. damaged saved teams say which file and which event ----------------------------------------------


def trio() -> Team:
    return Team([Agent("a"), Agent("b")], model=ScriptedModel({"*": ["ok"]}, loop=True), max_turns=2)


def test_a_damaged_saved_event_names_the_file_and_the_event(tmp_path):
    team = trio()
    team.run_sync("go")
    path = team.save(tmp_path / "team.json")
    data = json.loads(path.read_text())
    index = next(i for i, e in enumerate(data["transcript"]) if e["type"] == "speaker")
    data["transcript"][index]["turn"] = "not a number"
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError) as info:
        Team.load(path, [Agent("a"), Agent("b")], model=ScriptedModel({"*": ["ok"]}))
    assert str(path) in str(info.value) and f"event {index} ('speaker')" in str(info.value)


def test_an_edited_option_or_a_plan_edited_into_a_cycle_is_a_checkpoint_error(tmp_path):
    team = trio()
    team.run_sync("go")
    path = team.save(tmp_path / "team.json")
    data = json.loads(path.read_text())
    data["config"]["max_turns"] = "many"
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="max_turns"):
        Team.load(path, [Agent("a"), Agent("b")], model=ScriptedModel({"*": ["ok"]}))
    plan = Plan(
        steps=[Step(id="x", description="x", assignee="a"), Step(id="y", description="y", assignee="a")]
    )
    planned = Team([Agent("a")], mode="plan", planner=plan, model=ScriptedModel({"*": ["ok"]}, loop=True))
    planned.run_sync("go")
    path = planned.save(tmp_path / "plan.json")
    data = json.loads(path.read_text())
    created = next(e for e in data["transcript"] if e["type"] == "plan")
    created["plan"]["steps"][0]["depends_on"] = ["y"]
    created["plan"]["steps"][1]["depends_on"] = ["x"]
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="cycle"):
        Team.load(path, [Agent("a")], mode="plan", planner=plan, model=ScriptedModel({"*": ["ok"]}))


# 11. a nested team without a model resolves nothing it does not use --------------------------------


def test_a_nested_team_without_a_model_does_not_make_the_outer_team_resolve_one(monkeypatch):
    from agentnb.core import plugins

    resolved: list[Any] = []
    real = plugins.resolve_model

    def counting(spec: Any) -> Any:
        resolved.append(spec)
        return real(spec)

    monkeypatch.setattr(plugins, "resolve_model", counting)
    inner = Team([Agent("i", model=ScriptedModel({"i": ["inner says"]}))], name="inner", max_turns=1)
    outer = Team([Agent("o", model=ScriptedModel({"o": ["outer says"]})), inner], max_turns=2)
    result = outer.run_sync("go")
    assert result.final == "inner says"
    assert None not in resolved  # the default model was never asked for


def test_events_recorded_under_a_plan_carry_the_plan():
    plan = Plan(steps=[Step(id="x", description="x", assignee="a")])
    team = Team([Agent("a")], mode="plan", planner=plan, model=ScriptedModel({"*": ["ok"]}, loop=True))
    result = team.run_sync("go")
    assert [type(e) for e in result.messages][:3] == [TextMessage, PlanCreated, StepStarted]
    assert time.time() - result.messages[0].at < 60
    assert not [e for e in result.messages if isinstance(e, SpeakerSelected)]
