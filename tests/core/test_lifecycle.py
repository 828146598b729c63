"""A run always ends: not running, transcript kept, a clear error — whatever fails and when."""

from __future__ import annotations

import _thread
import asyncio
import datetime
import enum
import threading
import time

import pytest
from pydantic import BaseModel, ConfigDict

from agentnb import Agent, RunError, StructuredOutputError, Team, TeamBusyError, Timeout, TokenBudget, tool
from agentnb.core.errors import UnknownParticipantError
from agentnb.core.events import Stop, ToolCall, ToolResult
from agentnb.core.model import ModelReply
from agentnb.core.stop import MaxTurns, StopCondition
from agentnb.models import FunctionModel, ScriptedModel
from agentnb.models import call as call_tool


class Colour(enum.Enum):
    RED = "red"


class Strict(BaseModel):
    model_config = ConfigDict(strict=True)
    when: datetime.datetime
    colour: Colour


def test_a_strict_output_type_with_datetime_and_enum_fields_ends_the_run_cleanly():
    model = ScriptedModel({"a": [{"json": {"when": "2026-01-01T10:00:00", "colour": "red"}}]})
    team = Team([Agent("a", output_type=Strict)], model=model, max_turns=1)
    result = team.run_sync("go")
    assert result.output == Strict(when=datetime.datetime(2026, 1, 1, 10), colour=Colour.RED)
    assert not team.busy
    team.reset()  # no TeamBusyError


class Exploding(StopCondition):
    def check(self, event):
        return None

    def arm(self):
        raise RuntimeError("reset failed")


def test_a_failure_while_a_run_is_set_up_leaves_the_team_usable_and_keeps_the_transcript():
    team = Team([Agent("a")], model=ScriptedModel({"a": ["one", "two"]}), max_turns=1)
    team.run_sync("first")
    before = list(team.transcript)
    team.condition = team.condition | Exploding()
    with pytest.raises(RuntimeError, match="reset failed"):
        team.run_sync(None)
    assert not team.busy
    assert team.transcript[: len(before)] == before
    team.condition = MaxTurns(1)
    assert team.run_sync("again").final == "two"


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda t: t.run_sync(123), TypeError, "task: expected text"),
        (lambda t: t.run(object()), TypeError, "task: expected text"),
        (lambda t: t.stream([1]), TypeError, "task: a list of messages"),
        (lambda t: Team([Agent("a")], stop="DONE"), ValueError, "stop: expected a stop condition"),
        (lambda t: Team([Agent("a")], until=5), ValueError, "until: expected the text"),
        (lambda t: Team([Agent("a")], until=""), ValueError, "until: give the text"),
        (lambda t: Team(Agent("a")), TypeError, r"write Team\(\[a\]\)"),
        (lambda t: TokenBudget("10"), ValueError, "TokenBudget: expected a positive whole number"),
        (lambda t: Timeout("5"), ValueError, "Timeout: expected a positive number"),
        (lambda t: Agent("a", tools=tool(lambda x: x, name="f")), ValueError, "tools: expected a list"),
        (lambda t: Agent("lead writer"), ValueError, "names cannot contain spaces"),
        (lambda t: Agent("a", model="opneai:gpt"), ValueError, "unknown kind of model"),
        (lambda t: Team([Agent("a")], model="scripted:no-such-script"), ValueError, "no built-in script"),
        (
            lambda t: Agent("a", model_settings={"temprature": 0.5}),
            ValueError,
            "unknown setting 'temprature'",
        ),
    ],
)
def test_bad_arguments_are_clear_errors_naming_the_argument(make, error, words):
    team = Team([Agent("a")], model=ScriptedModel({"a": ["x"]}))
    with pytest.raises(error, match=words):
        make(team)
    assert not team.busy


def test_an_unknown_participant_is_a_key_error_that_lists_the_participants():
    team = Team([Agent("a"), Agent("b")])
    with pytest.raises(UnknownParticipantError) as caught:
        team.participant("ghost")
    assert isinstance(caught.value, KeyError)
    assert str(caught.value) == "team 'team' has no participant 'ghost'; its participants are: a, b"


class Verdict(BaseModel):
    verdict: str


def test_a_failed_structured_reply_can_be_caught_as_structured_output_error_with_the_transcript():
    model = ScriptedModel({"a": ["not json", "still not json"]})
    team = Team([Agent("a", output_type=Verdict)], model=model, max_turns=1)
    with pytest.raises(StructuredOutputError) as caught:
        team.run_sync("judge")
    assert isinstance(caught.value, RunError)
    assert caught.value.result.messages[-1].__class__ is Stop
    assert caught.value.agent == "a"
    assert not team.busy


def test_a_model_that_keeps_calling_tools_is_bounded_by_the_iteration_limit():
    calls = 0

    @tool(blocking=False)
    def ping() -> str:
        """Ping."""
        return "pong"

    def always_calls(request):
        nonlocal calls
        calls += 1
        return ModelReply(tool_calls=[ToolCall(id=f"c{calls}", name="ping", arguments="{}")])

    agent = Agent("a", tools=[ping], model=FunctionModel(always_calls), max_tool_iterations=3, max_failures=2)
    result = Team([agent], max_turns=5).run_sync("go")
    results = [e for e in result.messages if isinstance(e, ToolResult)]
    assert [r.is_error for r in results] == [False, False, False, True, True]
    assert "is not available now" in results[-1].content
    assert "tool-call rounds in a row failed" in result.stop_reason
    assert calls == 5


def test_a_sync_model_with_inline_tools_still_yields_so_a_timeout_can_stop_it():
    @tool(blocking=False)
    def ping() -> str:
        """Ping."""
        return "pong"

    counter = iter(range(10**9))

    def busy(request):
        if request.tools:
            return ModelReply(tool_calls=[ToolCall(id=f"c{next(counter)}", name="ping", arguments="{}")])
        return "done"

    agent = Agent("a", tools=[ping], model=FunctionModel(busy), max_tool_iterations=10**6)
    started = time.monotonic()
    result = Team([agent], max_turns=10**6, stop=Timeout(0.3)).run_sync("go")
    assert result.stop_reason == "timed out after 0.3 s"
    assert time.monotonic() - started < 30


def test_interrupting_run_sync_inside_a_running_loop_returns_the_result_so_far():
    started = threading.Event()

    async def slow(request):
        started.set()
        await asyncio.sleep(30)
        return "never"

    team = Team([Agent("a", model=FunctionModel(slow))], max_turns=1)

    def interrupt() -> None:
        started.wait(10)
        _thread.interrupt_main()

    async def notebook_cell():
        threading.Thread(target=interrupt, daemon=True).start()
        return team.run_sync("go")  # inside a running loop: a worker thread, like Jupyter

    loop = asyncio.new_event_loop()  # like a kernel's loop: no asyncio.run SIGINT handler
    try:
        result = loop.run_until_complete(notebook_cell())
    finally:
        loop.close()
    assert result.stop_reason == "interrupted by the user"
    assert not team.busy


def test_a_cancelled_await_raises_a_short_cancelled_error_and_keeps_the_transcript():
    from agentnb.core.errors import RunInterrupted

    async def slow(request):
        await asyncio.sleep(30)
        return "never"

    team = Team([Agent("a", model=FunctionModel(slow))], max_turns=1)

    async def main():
        task = asyncio.create_task(team.run("go"))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as caught:
            await task
        return caught.value

    error = asyncio.run(main())
    assert isinstance(error, RunInterrupted)
    assert error._render_traceback_() == [f"RunInterrupted: {error}"]
    assert team.last_result.stop_reason == "cancelled"
    assert team.last_result.messages[0].content == "go"
    assert not team.busy


def test_a_busy_team_refuses_reset_rewind_and_load_while_running():
    async def slow(request):
        await asyncio.sleep(0.2)
        return "ok"

    team = Team([Agent("a", model=FunctionModel(slow))], max_turns=1)

    async def main():
        task = asyncio.create_task(team.run("go"))
        await asyncio.sleep(0.05)
        for action in (team.reset, lambda: team.rewind(0), lambda: team.load_state(team.state())):
            with pytest.raises(TeamBusyError):
                action()
        await task

    asyncio.run(main())
    assert not team.busy


def test_resources_a_tool_opens_for_a_run_are_closed_when_the_outermost_run_ends():
    from agentnb.core.lifecycle import on_run_end

    closed: list[str] = []
    opened: list[bool] = []

    async def close_kernel() -> None:
        closed.append("kernel")

    @tool
    async def use_kernel() -> str:
        """Use a resource that lives as long as the run."""
        opened.append(on_run_end(close_kernel))
        return "ok"

    script = ScriptedModel({"coder": [call_tool("use_kernel"), "done"]})
    inner = Team(
        [Agent("coder", tools=[use_kernel], model=script)],
        name="inner",
        max_turns=1,
    )
    outer = Team([inner, Agent("lead", model=ScriptedModel({"lead": ["thanks"]}))], max_turns=2)
    outer.run_sync("go")
    assert opened == [True] and closed == ["kernel"]  # once, when the outer run ended
    assert on_run_end(close_kernel) is False  # outside a run nothing is registered


def test_a_failed_run_sync_traceback_is_the_runs_own_not_chained_to_the_event_loop_probe():
    def broken(request):
        raise ValueError("the model broke")

    team = Team([Agent("a")], model=FunctionModel(broken), max_turns=1)
    with pytest.raises(RunError) as caught:
        team.run_sync("go")
    chain, error = [], caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert not any("no running event loop" in str(e) for e in chain), chain
    assert any("the model broke" in str(e) for e in chain)
