"""Traces of real runs with the offline models: every team mode, nested teams, approvals, failures."""

from __future__ import annotations

import asyncio

import pytest

from agentnb import Agent, Human, Team, tool
from agentnb.core.errors import RunError
from agentnb.models import FunctionModel, ScriptedModel
from agentnb.trace import Trace
from agentnb.trace.spans import AGENT, APPROVAL, CHAT, SELECT, TOOL, WORKFLOW


def overlap(a, b) -> bool:
    return a.start < b.end and b.start < a.end


def test_concurrent_graph_branches_overlap_in_time():
    model = ScriptedModel({"plan": ["split"], "left": ["L"], "right": ["R"], "merge": ["M"]}, latency=0.1)
    agents = [Agent("plan"), Agent("left"), Agent("right"), Agent("merge")]
    edges = [("plan", "left"), ("plan", "right"), ("left", "merge"), ("right", "merge")]
    result = Team(agents, mode="graph", edges=edges, model=model).run_sync("go")
    trace = Trace.from_events(result.messages)
    turns = {s.agent: s for s in trace.find(AGENT)}
    assert overlap(turns["left"], turns["right"])
    assert not overlap(turns["plan"], turns["left"]) and not overlap(turns["left"], turns["merge"])
    assert all(len(t.children) == 1 and t.children[0].operation == CHAT for t in turns.values())


def test_a_nested_teams_spans_sit_inside_the_outer_turn():
    model = ScriptedModel({"researcher": ["fact A"], "summarizer": ["summary"], "lead": ["thanks"]})
    inner = Team([Agent("researcher"), Agent("summarizer")], name="research", max_turns=2)
    outer = Team([inner, Agent("lead")], model=model, max_turns=2, name="desk")
    trace = Trace.from_events(outer.run_sync("What about A?").messages)
    research_turn = trace.find(AGENT, "research")[0]
    assert research_turn.parent is trace.roots[0]
    (inner_run,) = research_turn.children
    assert inner_run.operation == WORKFLOW and inner_run.label == "research"
    assert [t.agent for t in inner_run.children] == ["researcher", "summarizer"]
    assert research_turn.start <= inner_run.start and inner_run.end <= research_turn.end
    agents = {t.name: t for t in trace.summary().agents}
    assert agents["research/researcher"].model_calls == 1
    assert agents["research"].turns == 1 and agents["research"].model_calls == 0


def test_a_selector_teams_choices_are_spans_with_their_tokens():
    model = ScriptedModel({"selector": ["b", "a"], "a": ["from a"], "b": ["from b"]})
    team = Team([Agent("a"), Agent("b"), Agent("c")], mode="selector", model=model, max_turns=2)
    trace = Trace.from_events(team.run_sync("go").messages)
    selects = trace.find(SELECT)
    assert [s.opener.speaker for s in selects] == ["b", "a"]
    assert all(s.children[0].operation == CHAT and s.children[0].usage.total_tokens > 0 for s in selects)
    assert trace.summary().total.model_calls == 4


def test_a_handoff_turn_names_its_target():
    model = ScriptedModel({"triage": [{"handoff": "billing"}], "billing": ["Refund done."]})
    team = Team([Agent("triage"), Agent("billing")], mode="handoff", model=model, max_turns=2)
    trace = Trace.from_events(team.run_sync("refund please").messages)
    triage = trace.find(AGENT, "triage")[0]
    assert trace.attributes(triage)["agentnb.handoff.target"] == "billing"
    assert [c.name for c in triage.children] == ["chat scripted", "execute_tool transfer_to_billing"]


def test_approvals_and_rejections_show_in_the_turn():
    @tool(requires_approval=True, blocking=False)
    def publish(headline: str) -> str:
        """Publish a story."""
        return f"published {headline}"

    verdicts = iter([(False, "not yet"), (True, "")])
    human = Human("boss", approve_fn=lambda agent, call: next(verdicts), input_fn=lambda p: "ok")
    script = [
        {"tool": "publish", "args": {"headline": "A"}},
        {"tool": "publish", "args": {"headline": "A"}},
        "done",
    ]
    desk = Agent("desk", tools=[publish], model=ScriptedModel({"desk": script}))
    trace = Trace.from_events(Team([desk, human], max_turns=1).run_sync("publish A").messages)
    approvals = trace.find(APPROVAL)
    assert [trace.attributes(a)["agentnb.approval.approved"] for a in approvals] == [False, True]
    assert all(a.parent.agent == "desk" and a.agent == "boss" for a in approvals)
    rejected, published = trace.find(TOOL)
    assert rejected.status == "error" and published.status == "ok"


def test_a_failed_run_is_an_error_trace_with_the_reason():
    def broken(request):
        raise ValueError("the server said 500")

    team = Team([Agent("a")], model=FunctionModel(broken), max_turns=1)
    with pytest.raises(RunError) as caught:
        team.run_sync("go")
    trace = Trace.from_events(caught.value.result.messages)
    summary = trace.summary()
    assert summary.status == "error"
    assert [s.name for s in summary.failed] == ["invoke_workflow team", "invoke_agent a"]
    assert "the server said 500" in summary.failed[0].error


def test_following_a_live_stream_builds_the_same_spans_as_the_finished_run():
    model = ScriptedModel({"a": ["one two three"], "b": ["four five"]}, token_latency=0.01)
    team = Team([Agent("a"), Agent("b")], model=model, max_turns=2)
    live = Trace()

    async def run():
        async for _ in live.follow(team.stream("go")):
            pass

    asyncio.run(run())
    after = Trace.from_events(team.last_result.messages)
    assert [(s.name, s.start, s.end) for s in live.spans] == [(s.name, s.start, s.end) for s in after.spans]
