"""Sequential and graph teams: order, conditional edges, concurrent fan-out, fan-in."""

from __future__ import annotations

import time

from agentnb import Agent, Team
from agentnb.core.events import SpeakerSelected, TextMessage
from agentnb.models import FunctionModel, ScriptedModel


def names(result):
    return [m.source for m in result.chat() if m.source != "user"]


def test_sequential_runs_each_participant_once_in_order():
    model = ScriptedModel({"outline": ["1. intro"], "draft": ["Intro text"], "polish": ["Final text"]})
    team = Team([Agent("outline"), Agent("draft"), Agent("polish")], mode="sequential", model=model)
    result = team.run_sync("Write about parks")
    assert names(result) == ["outline", "draft", "polish"]
    assert result.final == "Final text"
    assert result.stop_reason == "graph finished: no edge left to take"


def test_each_sequential_step_sees_the_previous_outputs():
    seen = {}

    def reply(request):
        seen[request.agent] = [m["content"] for m in request.messages[1:]]
        return f"{request.agent} done"

    team = Team([Agent("a"), Agent("b")], mode="sequential", model=FunctionModel(reply))
    team.run_sync("task")
    assert seen["b"] == ["task", "a done"]


def test_fan_out_branches_run_concurrently_and_fan_in_waits_for_all():
    model = ScriptedModel(
        {"plan": ["split"], "left": ["L"], "right": ["R"], "merge": ["merged"]}, latency=0.3
    )
    seen = {}
    merge_model = FunctionModel(
        lambda r: seen.setdefault("merge", [m["content"] for m in r.messages]) and "merged"
    )
    agents = [Agent("plan"), Agent("left"), Agent("right"), Agent("merge", model=merge_model)]
    edges = [("plan", "left"), ("plan", "right"), ("left", "merge"), ("right", "merge")]
    team = Team(agents, mode="graph", edges=edges, model=model)
    started = time.perf_counter()
    result = team.run_sync("go")
    elapsed = time.perf_counter() - started
    assert names(result)[0] == "plan" and names(result)[-1] == "merge"
    assert sorted(names(result)[1:3]) == ["left", "right"]
    assert elapsed < 0.85, f"branches took {elapsed:.2f} s: they did not run concurrently"
    assert {"L", "R"} <= set(seen["merge"])  # fan-in saw both branches


def test_fan_in_waits_for_a_longer_branch():
    model = ScriptedModel({"s": ["s"], "a1": ["a1"], "a2": ["a2"], "b": ["b"], "join": ["j"]})
    agents = [Agent(n) for n in ("s", "a1", "a2", "b", "join")]
    edges = [("s", "a1"), ("a1", "a2"), ("a2", "join"), ("s", "b"), ("b", "join")]
    result = Team(agents, mode="graph", edges=edges, model=model).run_sync("go")
    order = names(result)
    assert order[-1] == "join" and order.count("join") == 1
    assert set(order[:-1]) == {"s", "a1", "a2", "b"}


def test_conditional_edges_loop_until_approved():
    model = ScriptedModel({"writer": ["draft 1", "draft 2"], "editor": ["REVISE", "APPROVED"]})
    edges = [
        ("writer", "editor"),
        ("editor", "writer", "REVISE"),
        ("editor", "publisher", lambda m: m is not None and "APPROVED" in m.content),
    ]
    publisher = Agent("publisher", model=ScriptedModel({"publisher": ["live"]}))
    team = Team([Agent("writer"), Agent("editor"), publisher], mode="graph", edges=edges, model=model)
    result = team.run_sync("story")
    assert names(result) == ["writer", "editor", "writer", "editor", "publisher"]
    turns = [e.turn for e in result.messages if isinstance(e, SpeakerSelected)]
    assert turns == [1, 2, 3, 4, 5]


def test_graph_respects_max_turns():
    model = ScriptedModel({"ping": ["ping"] * 10, "pong": ["pong, ping"] * 10})
    team = Team(
        [Agent("ping"), Agent("pong")],
        mode="graph",
        edges=[("ping", "pong"), ("pong", "ping", "ping")],
        model=model,
        max_turns=3,
    )
    result = team.run_sync("go")
    assert names(result) == ["ping", "pong", "ping"]
    assert result.stop_reason == "max turns reached (3)"


def test_a_loop_without_any_condition_is_rejected_when_the_team_is_built():
    import pytest

    with pytest.raises(ValueError, match="ping -> pong -> ping is a loop with no condition"):
        Team([Agent("ping"), Agent("pong")], mode="graph", edges=[("ping", "pong"), ("pong", "ping")])


def test_graph_branch_errors_end_the_run_with_the_transcript():
    import pytest

    from agentnb import RunError

    model = ScriptedModel({"a": ["fine"], "b": []})
    team = Team([Agent("a"), Agent("b")], mode="sequential", model=model)
    with pytest.raises(RunError) as info:
        team.run_sync("go")
    assert [m.content for m in info.value.result.messages if isinstance(m, TextMessage)] == ["go", "fine"]


def test_graphs_that_differ_only_in_their_edges_have_different_state_signatures():
    """A run store reuses a snapshot of the mode's state only for the same signature; it was
    'Graph(2 edges)' for any two edges, so another graph's snapshot could be taken for this one."""
    from agentnb.core.durable import signature

    agents = [Agent("a"), Agent("b"), Agent("c")]
    one = Team(agents, mode="graph", edges=[("a", "b"), ("b", "c")])
    other = Team([a.copy() for a in agents], mode="graph", edges=[("a", "c"), ("c", "b")])
    same = Team([a.copy() for a in agents], mode="graph", edges=[("a", "b"), ("b", "c")])
    assert signature(one.history.fold) != signature(other.history.fold)
    assert signature(one.history.fold) == signature(same.history.fold)
