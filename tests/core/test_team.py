"""Team runs: round robin, results, continuation, reset, streaming, run_sync, errors."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from pydantic import BaseModel

from agentnb import Agent, Human, RunError, Team, TeamBusyError, tool
from agentnb.core.events import ErrorEvent, SpeakerSelected, Stop, TextMessage, TokenDelta
from agentnb.core.stop import MaxTurns
from agentnb.models import FunctionModel, ScriptedModel, handoff


def trio(script=None, **team_options):
    script = script or {"a": ["a1", "a2"], "b": ["b1", "b2"], "c": ["c1", "c2"]}
    model = ScriptedModel(script)
    agents = [Agent(n, f"You are {n}.") for n in ("a", "b", "c")]
    return Team(agents, model=model, **team_options)


def speakers(result):
    return [m.source for m in result.chat() if m.source != "user"]


def test_round_robin_takes_turns_in_order_until_max_turns():
    result = trio(max_turns=5).run_sync("go")
    assert speakers(result) == ["a", "b", "c", "a", "b"]
    assert result.stop_reason == "max turns reached (5)"
    assert result.final == "b2"
    assert result.turns == 5
    assert isinstance(result.messages[-1], Stop)


def test_result_has_usage_totals_from_every_model_call():
    result = trio(max_turns=3).run_sync("go")
    per_message = [m.usage for m in result.messages if getattr(m, "usage", None)]
    assert len(per_message) == 3
    assert result.usage.completion_tokens == sum(u.completion_tokens for u in per_message) > 0
    assert result.usage.prompt_tokens == sum(u.prompt_tokens for u in per_message) > 0


def test_until_stops_when_a_participant_mentions_the_text():
    team = trio({"a": ["draft"], "b": ["looks good, APPROVED"], "c": ["never"]}, until="APPROVED")
    result = team.run_sync("write")
    assert speakers(result) == ["a", "b"]
    assert result.stop_reason == "b said 'APPROVED'"


def test_the_task_message_does_not_trigger_until():
    team = trio({"a": ["ok"], "b": ["ok"], "c": ["ok"]}, until="DONE", max_turns=2)
    assert team.run_sync("say DONE when done").stop_reason == "max turns reached (2)"


def test_a_run_can_be_continued_with_a_follow_up_and_context_carries_over():
    seen: list[list[dict]] = []

    def reply(request):
        seen.append(list(request.messages))
        return f"reply {len(seen)}"

    agent = Agent("solo", "You help.", model=FunctionModel(reply))
    team = Team([agent], max_turns=1)
    first = team.run_sync("first question")
    second = team.run_sync("follow-up")
    assert first.final == "reply 1" and second.final == "reply 2"
    assert [m["content"] for m in seen[1]] == ["You help.", "first question", "reply 1", "follow-up"]
    assert second.task == "follow-up"
    assert [m.content for m in second.chat()] == ["follow-up", "reply 2"]  # this run only
    assert len(team.transcript) > len(second.messages)


def test_reset_forgets_the_conversation():
    team = trio(max_turns=2, script={"*": ["x"] * 10})
    team.run_sync("one")
    team.reset()
    assert team.transcript == []
    result = team.run_sync("two")
    assert speakers(result) == ["a", "b"]  # round robin restarts at the first participant


def test_stream_yields_speakers_tokens_messages_and_a_final_stop():
    team = trio(max_turns=1, script={"a": ["hello there world"]})

    async def collect():
        return [e async for e in team.stream("hi")]

    events = asyncio.run(collect())
    kinds = [type(e).__name__ for e in events]
    assert kinds[:2] == ["TextMessage", "SpeakerSelected"]
    assert "".join(e.text for e in events if isinstance(e, TokenDelta)) == "hello there world"
    assert isinstance(events[-1], Stop)
    assert events[1].speaker == "a" and events[1].turn == 1


def test_stream_tokens_can_be_turned_off():
    team = trio(max_turns=1, script={"a": ["hello there world"]}, stream_tokens=False)

    async def collect():
        return [e async for e in team.stream("hi")]

    assert not [e for e in asyncio.run(collect()) if isinstance(e, TokenDelta)]


def test_a_second_concurrent_run_is_a_clear_error():
    agent = Agent("slow", model=ScriptedModel({"slow": ["done"]}, latency=0.2))
    team = Team([agent], max_turns=1)

    async def both():
        first = asyncio.create_task(team.run("one"))
        await asyncio.sleep(0.05)
        with pytest.raises(TeamBusyError, match="already running"):
            await team.run("two")
        return await first

    result = asyncio.run(both())
    assert result.final == "done"
    assert [m.content for m in result.chat()] == ["one", "done"]  # the first run was not corrupted


def test_run_sync_works_inside_a_running_event_loop():
    team = trio(max_turns=2, script={"*": ["x", "y"]})

    async def inside_a_loop():
        return team.run_sync("from inside a loop")  # as in a Jupyter cell

    result = asyncio.run(inside_a_loop())
    assert speakers(result) == ["a", "b"]


def test_run_without_await_explains_what_to_do():
    team = trio()
    pending = team.run("forgot to await")
    assert "await team.run" in repr(pending) and "run_sync" in repr(pending)
    with pytest.raises(AttributeError, match=r"await team\.run"):
        _ = pending.final
    with pytest.warns(RuntimeWarning, match="has not started"):
        del pending
        import gc

        gc.collect()


def test_a_model_error_ends_the_run_with_the_transcript_kept():
    team = trio({"a": ["only one reply"], "b": [], "c": []}, max_turns=5)
    with pytest.raises(RunError) as info:
        team.run_sync("go")
    message = str(info.value)
    assert "'b'" in message and "reply 1" in message  # names the agent and the step
    partial = info.value.result
    assert [m.content for m in partial.chat()] == ["go", "only one reply"]
    assert partial.stop_reason.startswith("error:")
    assert team.last_result is not None and team.last_result.stop_reason == partial.stop_reason
    assert isinstance(team.transcript[-1], Stop)


def test_empty_replies_are_fed_back_then_end_the_run_with_a_reason():
    agent = Agent("mute", max_failures=3, model=ScriptedModel({"mute": ["", " ", ""]}))
    result = Team([agent], max_turns=2).run_sync("speak")
    assert result.stop_reason == "mute: the model sent 3 empty replies in a row"
    feedback = [m for m in result.messages if isinstance(m, ErrorEvent)]
    assert len(feedback) == 2 and "Your reply was empty" in feedback[0].content


def test_empty_reply_then_recovery_continues_normally():
    seen = []

    def reply(request):
        seen.append(request.messages[-1]["content"])
        return "" if len(seen) == 1 else "recovered"

    agent = Agent("shy", model=FunctionModel(reply))
    assert Team([agent], max_turns=1).run_sync("hi").final == "recovered"
    assert seen[1].startswith("[agentnb] Your reply was empty")


class Verdict(BaseModel):
    approved: bool
    reason: str


def test_structured_output_is_validated_into_the_output_type():
    agent = Agent(
        "judge",
        output_type=Verdict,
        model=ScriptedModel({"judge": ['```json\n{"approved": true, "reason": "fine"}\n```']}),
    )
    result = Team([agent], max_turns=1).run_sync("judge this")
    assert result.output == Verdict(approved=True, reason="fine")
    assert result.chat()[-1].data == {"approved": True, "reason": "fine"}


def test_structured_output_retries_once_with_the_validation_error_shown():
    seen = []

    def reply(request):
        seen.append(request)
        return '{"approved": "maybe"}' if len(seen) == 1 else {"json": {"approved": False, "reason": "no"}}

    agent = Agent("judge", output_type=Verdict, model=FunctionModel(reply))
    result = Team([agent], max_turns=1).run_sync("judge")
    assert result.output == Verdict(approved=False, reason="no")
    feedback = seen[1].messages[-1]["content"]
    assert "not a valid Verdict" in feedback and "approved" in feedback and "reason" in feedback
    assert seen[0].output_schema == Verdict.model_json_schema()


def test_structured_output_fails_clearly_after_the_retry():
    agent = Agent("judge", output_type=Verdict, model=ScriptedModel({"judge": ["nope", "still nope"]}))
    with pytest.raises(RunError, match="did not return a valid Verdict after a retry"):
        Team([agent], max_turns=1).run_sync("judge")


def test_agent_run_is_a_one_turn_conversation_that_continues():
    agent = Agent("helper", model=ScriptedModel({"helper": ["first", "second"]}))
    assert agent.run_sync("q1").final == "first"
    assert agent.run_sync("q2").final == "second"


def test_human_participant_answers_through_input_fn():
    answers = iter(["Make it shorter."])
    human = Human("reader", input_fn=lambda prompt: next(answers))
    writer = Agent("writer", model=ScriptedModel({"writer": ["Long draft", "Short draft"]}))
    result = Team([writer, human], max_turns=3).run_sync("write")
    assert [(m.source, m.content) for m in result.chat()][1:] == [
        ("writer", "Long draft"),
        ("reader", "Make it shorter."),
        ("writer", "Short draft"),
    ]


def test_async_input_fn_is_awaited():
    async def answer(prompt):
        await asyncio.sleep(0)
        return f"answer to {prompt.strip()}"

    human = Human("h", input_fn=answer)
    assert Team([human], max_turns=1).run_sync("q").final == "answer to h>"


def test_tools_needing_approval_ask_the_human():
    @tool(requires_approval=True, blocking=False)
    def publish(headline: str) -> str:
        """Publish a story."""
        return f"published {headline}"

    verdicts = iter([(False, "not yet"), (True, "")])
    human = Human("boss", approve_fn=lambda agent, call: next(verdicts), input_fn=lambda p: "ok")
    model = ScriptedModel(
        {
            "desk": [
                {"tool": "publish", "args": {"headline": "A"}},
                {"tool": "publish", "args": {"headline": "A"}},
                "done",
            ]
        }
    )
    desk = Agent("desk", tools=[publish], model=model)
    result = Team([desk, human], max_turns=1).run_sync("publish A")
    results = [m for m in result.messages if m.type == "tool_result"]
    approvals = [m for m in result.messages if m.type == "approval"]
    assert [a.approved for a in approvals] == [False, True] and approvals[0].source == "boss"
    assert results[0].is_error and "rejected" in results[0].content and "not yet" in results[0].content
    assert results[1].content == "published A"


def test_external_stop_from_another_thread_cancels_the_call_in_flight():
    model = ScriptedModel({"slow": ["next reply"]}, latency=30, loop=True)
    team = Team([Agent("slow", model=model)], max_turns=1)
    threading.Timer(0.2, team.stop).start()
    started = time.perf_counter()
    result = team.run_sync("go")
    assert time.perf_counter() - started < 5
    assert result.stop_reason == "stopped by the user"
    assert [m.content for m in result.chat()] == ["go"]
    model.latency = 0
    assert team.run_sync("again").final == "next reply"  # the team is usable afterwards


@pytest.mark.parametrize(
    ("build", "field", "allowed"),
    [
        (lambda: Team([]), "participants", "at least one"),
        (lambda: Team([Agent("a"), Agent("a")]), "participants", "used twice"),
        (
            lambda: Team([Agent("a")], mode="chaos"),
            "mode",
            "round_robin, selector, handoff, sequential, graph",
        ),
        (lambda: Team([Agent("a")], max_turns=0), "max_turns", "positive whole number"),
        (lambda: Team([Agent("a")], max_turns=-3), "max_turns", "positive whole number"),
        (lambda: Team([Agent("a", handoffs=["ghost"])], mode="handoff"), "handoffs", "participants are: a"),
        (
            lambda: Team([Agent("a"), Agent("b")], mode="graph", edges=[("a", "z")]),
            "edges",
            "participants are",
        ),
        (lambda: Team([Agent("a")], edges=[("a", "a")]), "edges", "only graph mode"),
        (lambda: Agent("bad name"), "name", "letters, digits"),
        (lambda: Agent("user"), "name", "reserved"),
        (lambda: Agent("a", max_tool_iterations=-1), "max_tool_iterations", ">= 0"),
        (lambda: Agent("a", output_type=dict), "output_type", "pydantic BaseModel"),
        (lambda: MaxTurns(0), "MaxTurns", "positive whole number"),
    ],
)
def test_bad_configuration_raises_a_value_error_naming_the_field(build, field, allowed):
    with pytest.raises(ValueError) as info:
        build()
    assert str(info.value).startswith(field + ":") or field in str(info.value)
    assert allowed in str(info.value)


def test_approval_tool_without_a_human_is_rejected_up_front():
    @tool(requires_approval=True)
    def fire() -> str:
        """Fire."""
        return "fired"

    with pytest.raises(ValueError, match="requires approval"):
        Team([Agent("a", tools=[fire])])


def test_handoff_to_unknown_target_in_script_is_a_clear_error():
    agent = Agent("a", model=ScriptedModel({"a": [handoff("zed")]}))
    with pytest.raises(RunError, match="transfer_to_zed"):
        Team([agent, Agent("b")], mode="handoff").run_sync("go")


def test_speaker_selected_events_count_turns():
    result = trio(max_turns=4, script={"*": ["x"] * 4}).run_sync("go")
    turns = [(e.speaker, e.turn) for e in result.messages if isinstance(e, SpeakerSelected)]
    assert turns == [("a", 1), ("b", 2), ("c", 3), ("a", 4)]
    assert all(isinstance(m, TextMessage) for m in result.chat())


def test_breaking_out_of_a_stream_then_running_again_ends_the_first_run_cleanly():
    team = Team([Agent("a")], model=ScriptedModel({"a": ["x"]}, loop=True), max_turns=5)

    async def main():
        async for event in team.stream("first"):
            if isinstance(event, TextMessage) and event.source == "a":
                break
        return await team.run("second")

    result = asyncio.run(main())
    assert result.task == "second" and result.turns == 5
    first_run_end = [e for e in team.transcript if isinstance(e, TextMessage)][:3]
    assert [m.content for m in first_run_end] == ["first", "x", "second"]
