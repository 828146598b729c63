"""Spans from hand-built event lists: tree shape, times (and their fallbacks), status, concurrency."""

from __future__ import annotations

from agentnb.core.events import (
    Approval,
    ErrorEvent,
    Handoff,
    PlanCreated,
    Replanned,
    SpeakerSelected,
    StepFailed,
    StepFinished,
    StepStarted,
    Stop,
    TextMessage,
    TokenDelta,
    ToolCall,
    ToolCalls,
    ToolResult,
    Usage,
)
from agentnb.core.plan import Plan, Step
from agentnb.trace import Trace
from agentnb.trace.spans import AGENT, APPROVAL, CHAT, PLAN, SELECT, STEP, TOOL, WORKFLOW

U = Usage(prompt_tokens=100, completion_tokens=20)


def shape(trace: Trace) -> list[tuple[int, str]]:
    """(depth, name) of every span, depth first."""
    out = []
    for root in trace.roots:
        for span in root.walk():
            depth = 0
            parent = span.parent
            while parent is not None:
                depth += 1
                parent = parent.parent
            out.append((depth, span.name))
    return out


def round_robin_with_tool() -> list:
    return [
        TextMessage(source="user", content="task", at=10.0),
        SpeakerSelected(source="news", speaker="writer", turn=1, at=10.0),
        TextMessage(
            source="writer",
            content="draft",
            usage=U,
            model="gpt-4o-mini",
            started_at=10.1,
            first_token_at=10.4,
            at=11.0,
        ),
        SpeakerSelected(source="news", speaker="checker", turn=2, at=11.0),
        ToolCalls(
            source="checker",
            calls=[ToolCall(id="c1", name="search", arguments='{"q": "park"}')],
            usage=U,
            model="gpt-4o-mini",
            started_at=11.1,
            at=11.5,
        ),
        ToolResult(source="checker", call_id="c1", name="search", content="found", duration=2.0, at=13.5),
        TextMessage(source="checker", content="ok", usage=U, model="gpt-4o-mini", started_at=13.6, at=14.0),
        Stop(source="news", reason="max turns", at=14.0),
    ]


def test_a_run_becomes_a_workflow_with_a_turn_per_speaker_and_its_calls_inside():
    trace = Trace.from_events(round_robin_with_tool())
    assert shape(trace) == [
        (0, "invoke_workflow news"),
        (1, "invoke_agent writer"),
        (2, "chat gpt-4o-mini"),
        (1, "invoke_agent checker"),
        (2, "chat gpt-4o-mini"),
        (2, "execute_tool search"),
        (2, "chat gpt-4o-mini"),
    ]
    assert all(s.end is not None and s.status == "ok" for s in trace.spans)


def test_spans_take_their_times_from_the_events():
    trace = Trace.from_events(round_robin_with_tool())
    run, writer, first_call, checker, _, tool, _ = trace.spans
    assert (run.start, run.end) == (10.0, 14.0)
    assert (writer.start, writer.end) == (10.0, 11.0)
    assert (first_call.start, first_call.end) == (10.1, 11.0)
    assert trace.attributes(first_call)["agentnb.time_to_first_token"] == 0.3
    assert (tool.start, tool.end) == (11.5, 13.5)  # ToolResult.at - duration
    assert (checker.start, checker.end) == (11.0, 14.0)


def test_a_model_call_without_a_start_time_starts_at_its_agents_previous_event():
    events = [
        SpeakerSelected(source="t", speaker="a", turn=1, at=1.0),
        ToolCalls(source="a", calls=[ToolCall(id="x", name="f")], usage=U, model="m", at=2.0),
        ToolResult(source="a", call_id="x", name="f", content="1", duration=0.5, at=3.0),
        TextMessage(source="a", content="done", usage=U, model="m", at=4.0),
    ]
    trace = Trace.from_events(events)
    calls = trace.find(CHAT)
    assert [(c.start, c.end) for c in calls] == [(1.0, 2.0), (3.0, 4.0)]


def test_token_deltas_are_not_kept_and_change_nothing():
    events = [
        SpeakerSelected(source="t", speaker="a", turn=1, at=1.0),
        TokenDelta(source="a", text="he", at=1.25),
        TextMessage(source="a", content="hello", usage=U, model="m", first_token_at=1.2, at=2.0),
    ]
    trace = Trace()
    for event in events:
        trace.feed(event)
    assert trace._builder.pending == [events[0], events[2]]  # a traced run keeps no deltas alive
    (call,) = trace.find(CHAT)
    assert trace.attributes(call)["agentnb.time_to_first_token"] == 0.2
    assert [s.name for s in Trace.from_events(events).spans] == [s.name for s in trace.spans]


def test_chat_spans_carry_gen_ai_model_and_usage_attributes():
    trace = Trace.from_events(round_robin_with_tool())
    attributes = trace.attributes(trace.find(CHAT)[0])
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert attributes["gen_ai.agent.name"] == "writer"
    assert attributes["gen_ai.usage.input_tokens"] == 100
    assert attributes["gen_ai.usage.output_tokens"] == 20
    assert attributes["gen_ai.provider.name"] == "openai"
    tool = trace.attributes(trace.find(TOOL)[0])
    assert tool["gen_ai.tool.name"] == "search" and tool["gen_ai.tool.call.id"] == "c1"
    assert "gen_ai.tool.call.arguments" not in tool  # content is opt-in


def test_concurrent_graph_branches_are_open_turns_at_the_same_time():
    events = [
        SpeakerSelected(source="g", speaker="left", turn=1, at=1.0),
        SpeakerSelected(source="g", speaker="right", turn=2, at=1.0),
        ToolCalls(source="left", calls=[ToolCall(id="l1", name="f")], usage=U, model="m", at=1.5),
        ToolCalls(source="right", calls=[ToolCall(id="r1", name="f")], usage=U, model="m", at=1.6),
        ToolResult(source="right", call_id="r1", name="f", content="R", duration=1.0, at=2.6),
        ToolResult(source="left", call_id="l1", name="f", content="L", duration=1.4, at=2.9),
        TextMessage(source="right", content="R done", usage=U, model="m", at=3.0),
        TextMessage(source="left", content="L done", usage=U, model="m", at=3.2),
        Stop(source="g", reason="graph finished", at=3.2),
    ]
    trace = Trace.from_events(events)
    left, right = trace.find(AGENT)
    assert (left.start, left.end) == (1.0, 3.2) and (right.start, right.end) == (1.0, 3.0)
    assert [s.label for s in left.children] == ["m", "f", "m"]  # each result found its own turn
    assert [c.event.content for c in right.children if c.operation == TOOL] == ["R"]
    assert left.start < right.end and right.start < left.end  # they overlap


def test_plan_steps_contain_their_assignees_turns_and_parallel_steps_overlap():
    plan = Plan(
        goal="g",
        steps=(Step(id="a", description="A", assignee="x"), Step(id="b", description="B", assignee="y")),
    )
    events = [
        PlanCreated(source="team", plan=plan, at=1.0),
        StepStarted(source="team", step_id="a", assignee="x", at=1.0),
        StepStarted(source="team", step_id="b", assignee="y", at=1.0),
        TextMessage(source="y", step="b", content="B out", usage=U, model="m", started_at=1.1, at=2.0),
        TextMessage(source="x", step="a", content="A out", usage=U, model="m", started_at=1.1, at=3.0),
        StepFinished(source="team", step_id="b", assignee="y", output="B out", duration=1.0, at=2.0),
        StepFailed(
            source="team", step_id="a", assignee="x", error="check failed: no number", retrying=True, at=3.0
        ),
        StepStarted(source="team", step_id="a", assignee="x", attempt=2, at=3.0),
        TextMessage(source="x", step="a", content="A again", usage=U, model="m", at=4.0),
        StepFinished(source="team", step_id="a", assignee="x", output="A again", duration=1.0, at=4.0),
        Replanned(source="planner", plan=plan, revision=1, reason="a failed", kept=["b"], at=4.5),
        Stop(source="team", reason="plan finished", at=5.0),
    ]
    trace = Trace.from_events(events)
    steps = trace.find(STEP)
    assert [(s.label, s.status) for s in steps] == [("a", "error"), ("b", "ok"), ("a", "ok")]
    assert steps[0].error == "check failed: no number"
    assert trace.attributes(steps[2])["agentnb.step.attempt"] == 2
    for step in steps:
        (turn,) = step.children
        assert turn.operation == AGENT and turn.agent == step.agent
    a, b = steps[0], steps[1]
    assert a.start < b.end and b.start < a.end
    assert [p.name for p in trace.find(PLAN)] == ["plan team", "plan planner"]
    assert trace.attributes(trace.find(PLAN)[1])["agentnb.plan.kept"] == ["b"]


def test_a_nested_team_runs_inside_the_outer_turn_that_gave_it_the_floor():
    events = [
        TextMessage(source="user", content="task", at=0.0),
        SpeakerSelected(source="outer", speaker="desk", turn=1, at=1.0),
        TextMessage(source="user", scope="desk", content="task", at=1.0),
        SpeakerSelected(source="desk", scope="desk", speaker="w", turn=1, at=1.1),
        TextMessage(source="w", scope="desk", content="inner", usage=U, model="m", at=2.0),
        Stop(source="desk", scope="desk", reason="max turns", at=2.0),
        TextMessage(source="desk", content="inner", at=2.1),
        Stop(source="outer", reason="done", at=2.2),
    ]
    trace = Trace.from_events(events)
    assert shape(trace) == [
        (0, "invoke_workflow outer"),
        (1, "invoke_agent desk"),
        (2, "invoke_workflow desk"),
        (3, "invoke_agent w"),
        (4, "chat m"),
    ]
    inner_turn = trace.find(AGENT, "w")[0]
    assert inner_turn.path == "desk/w"
    assert trace.attributes(inner_turn)["agentnb.scope"] == "desk"


def test_a_selector_choice_is_a_span_with_its_model_call():
    events = [
        SpeakerSelected(
            source="t",
            speaker="a",
            turn=1,
            reason="chosen by the selector model",
            usage=U,
            model="gpt-4o-mini",
            started_at=0.5,
            at=1.0,
        ),
        TextMessage(source="a", content="hi", usage=U, model="gpt-4o-mini", at=2.0),
    ]
    trace = Trace.from_events(events)
    (select,) = trace.find(SELECT)
    assert (select.start, select.end) == (0.5, 1.0)
    (call,) = select.children
    assert call.operation == CHAT and call.usage == U and call.agent == "selector"
    assert trace.attributes(select)["agentnb.speaker"] == "a"


def test_round_robin_choices_make_no_selection_span():
    trace = Trace.from_events(round_robin_with_tool())
    assert trace.find(SELECT) == []


def test_an_approval_is_a_span_in_the_turn_and_a_rejection_fails_the_tool_call():
    events = [
        SpeakerSelected(source="t", speaker="a", turn=1, at=1.0),
        ToolCalls(source="a", calls=[ToolCall(id="d", name="delete")], usage=U, model="m", at=2.0),
        Approval(
            source="human", call_id="d", tool="delete", approved=False, comment="no", started_at=2.0, at=5.0
        ),
        ToolResult(
            source="a",
            call_id="d",
            name="delete",
            content="The human rejected the call",
            is_error=True,
            at=5.0,
        ),
        TextMessage(source="a", content="ok", usage=U, model="m", at=6.0),
    ]
    trace = Trace.from_events(events)
    (approval,) = trace.find(APPROVAL)
    assert approval.parent.name == "invoke_agent a"
    assert (approval.start, approval.end) == (2.0, 5.0)
    assert trace.attributes(approval)["agentnb.approval.approved"] is False
    (tool,) = trace.find(TOOL)
    assert tool.status == "error" and "rejected" in tool.error


def test_an_error_stop_fails_the_run_and_the_turn_it_interrupted():
    events = [
        SpeakerSelected(source="t", speaker="a", turn=1, at=1.0),
        ErrorEvent(source="a", content="Your reply was empty.", usage=U, model="m", at=1.5),
        Stop(source="t", reason="error: the model server is down", failed=True, at=2.0),
    ]
    trace = Trace.from_events(events)
    run, turn, call = trace.spans
    assert run.status == turn.status == "error"
    assert run.error == "error: the model server is down" and turn.end == 2.0
    assert call.status == "error" and call.error == "Your reply was empty."
    assert trace.attributes(call)["error.type"] == "unusable_reply"
    assert trace.summary().failed == [run, turn, call]


def test_a_handoff_ends_the_turn_and_names_the_target():
    events = [
        SpeakerSelected(source="t", speaker="a", turn=1, at=1.0),
        Handoff(source="a", target="b", at=2.0),
        SpeakerSelected(source="t", speaker="b", turn=2, at=2.0),
    ]
    trace = Trace.from_events(events)
    a, b = trace.find(AGENT)
    assert a.end == 2.0 and trace.attributes(a)["agentnb.handoff.target"] == "b"
    assert b.end is None


def test_fed_one_event_at_a_time_the_trace_shows_what_is_still_running():
    events = round_robin_with_tool()
    trace = Trace()
    for event in events[:5]:
        trace.feed(event)
    checker = trace.find(AGENT, "checker")[0]
    assert checker.end is None and trace.roots[0].end is None
    assert trace.summary().status == "running"
    for event in events[5:]:
        trace.feed(event)
    assert trace.summary().status == "ok" and checker.end == 14.0  # reading the trace brings it up to date


def test_every_span_start_is_its_position_in_the_span_list_and_parents_come_first():
    trace = Trace.from_events(round_robin_with_tool())
    assert [s.id for s in trace.spans] == list(range(len(trace.spans)))
    assert all(s.parent is None or s.parent.id < s.id for s in trace.spans)
    assert trace.roots[0].operation == WORKFLOW


def test_the_slowest_spans_rank_by_duration_then_by_who_started_first():
    events = [TextMessage(source="user", content="task", at=0.0)]
    for i, (speaker, seconds) in enumerate([("a", 2.0), ("b", 5.0), ("c", 2.0), ("a", 5.0), ("b", 1.0)]):
        start = 10.0 * (i + 1)
        events += [
            SpeakerSelected(source="team", speaker=speaker, turn=i + 1, at=start),
            TextMessage(source=speaker, content="ok", usage=U, started_at=start, at=start + seconds),
        ]
    events.append(Stop(source="team", reason="done", at=100.0))
    trace = Trace.from_events(events)
    for count in (0, 1, 3, 6, 50):
        expected = sorted(
            (s for s in trace.spans if s.operation != WORKFLOW), key=lambda s: (-s.duration, s.id)
        )[:count]
        assert [s.id for s in trace.summary(slowest=count).slowest] == [s.id for s in expected]
