"""@tool: schemas from type hints and docstrings, validation, errors back to the model."""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import time
from collections.abc import Callable
from typing import Annotated

import pytest
from pydantic import BaseModel, Field

from agentnb import Agent, Team, tool
from agentnb.core.events import ToolCall, ToolResult
from agentnb.core.tools import handoff_tool
from agentnb.models import FunctionModel, ModelReply, ScriptedModel, call


@tool
def add(a: int, b: Annotated[int, "the second number"] = 2) -> int:
    """Add two numbers.

    Longer explanation that is not part of the description.

    Args:
        a: the first number
        b: ignored here because Annotated wins
    """
    return a + b


class Point(BaseModel):
    x: float
    y: float = Field(description="vertical")


@tool
async def norm(p: Point) -> float:
    """Length of a point vector."""
    return (p.x**2 + p.y**2) ** 0.5


def run(coro):
    return asyncio.run(coro)


def test_schema_comes_from_type_hints_annotations_and_docstring():
    fn = add.schema["function"]
    assert fn["name"] == "add"
    assert fn["description"] == "Add two numbers."
    props = fn["parameters"]["properties"]
    assert props["a"] == {"type": "integer", "description": "the first number"}
    assert props["b"]["description"] == "the second number"
    assert props["b"]["default"] == 2
    assert fn["parameters"]["required"] == ["a"]


def test_nested_pydantic_arguments_are_validated_into_objects():
    outcome = run(norm.run(json.dumps({"p": {"x": 3, "y": 4}})))
    assert (outcome.content, outcome.is_error) == ("5.0", False)
    assert "$defs" in norm.schema["function"]["parameters"]


def test_invalid_arguments_become_an_error_result_naming_the_field():
    outcome = run(add.run('{"a": "three"}'))
    assert outcome.is_error
    assert "invalid arguments for 'add'" in outcome.content
    assert "a:" in outcome.content


def test_malformed_json_becomes_an_error_result():
    outcome = run(add.run('{"a": 1'))
    assert outcome.is_error and "not valid JSON" in outcome.content


def test_an_exception_inside_the_tool_becomes_an_error_result():
    @tool
    def boom() -> str:
        """Always fails."""
        raise ValueError("disk on fire")

    outcome = run(boom.run("{}"))
    assert outcome.is_error
    assert "ValueError: disk on fire" in outcome.content


def test_per_tool_timeout():
    @tool(timeout=0.05)
    async def slow() -> str:
        """Takes too long."""
        await asyncio.sleep(5)
        return "done"

    started = time.perf_counter()
    outcome = run(slow.run(""))
    assert outcome.is_error and "timed out after 0.05 s" in outcome.content
    assert time.perf_counter() - started < 2


def test_return_values_are_serialized_for_the_model():
    @tool(blocking=False)
    def info() -> dict:
        """Structured info."""
        return {"city": "Riverside", "acres": 14}

    assert json.loads(run(info.run("{}")).content) == {"city": "Riverside", "acres": 14}
    assert run(tool(lambda: Point(x=1, y=2), name="pt").run("{}")).content == '{"x":1.0,"y":2.0}'


def test_tools_reject_var_args():
    def bad(*args: int) -> int:
        return 0

    with pytest.raises(TypeError, match="list the parameters explicitly"):
        tool(bad)


def test_plain_functions_are_accepted_as_tools():
    def shout(text: str) -> str:
        """Upper-case the text."""
        return text.upper()

    agent = Agent("a", tools=[shout])
    assert agent.tools[0].name == "shout"
    assert agent.tools[0]("hi") == "HI"


def _team_with(tools, script):
    agent = Agent("worker", tools=tools, model=ScriptedModel({"worker": script}))
    return Team([agent], max_turns=1)


def test_unknown_tool_and_bad_arguments_go_back_to_the_model_and_the_run_continues():
    # a ModelReply is served as-is: a real model can name a tool it was not offered
    model_script = [
        ModelReply(
            tool_calls=[ToolCall(id="c1", name="nope"), ToolCall(id="c2", name="add", arguments='{"a": 1,')]
        ),
        call("add", a=1, b=5),
        "The answer is 6.",
    ]
    agent = Agent("worker", tools=[add], model=ScriptedModel({"worker": model_script}))
    team = Team([agent], max_turns=1)
    result = team.run_sync("add 1 and 5")
    results = [m for m in result.messages if isinstance(m, ToolResult)]
    assert [r.is_error for r in results] == [True, True, False]
    assert "unknown tool 'nope'. Available tools: add" in results[0].content
    assert "not valid JSON" in results[1].content
    assert results[2].content == "6"
    assert result.final == "The answer is 6."
    fresh = agent.new_context()  # the context rebuilt from the transcript is well formed
    fresh.update(team.transcript)
    roles = [m["role"] for m in fresh.messages]
    assert roles == ["system", "user", "assistant", "tool", "tool", "assistant", "tool", "assistant"]


def test_several_tool_calls_in_one_reply_run_concurrently():
    @tool
    async def wait(seconds: float) -> str:
        """Sleep, then report."""
        await asyncio.sleep(seconds)
        return f"waited {seconds}"

    team = _team_with([wait], [{"calls": [call("wait", seconds=0.3)] * 3}, "done"])
    started = time.perf_counter()
    result = team.run_sync("wait three times")
    elapsed = time.perf_counter() - started
    assert [m.content for m in result.messages if isinstance(m, ToolResult)] == ["waited 0.3"] * 3
    assert elapsed < 0.8, f"three 0.3 s calls took {elapsed:.2f} s: they did not overlap"


def test_sync_tools_run_in_threads_so_they_overlap_too():
    @tool
    def block(seconds: float) -> str:
        """Blocking sleep."""
        time.sleep(seconds)
        return "ok"

    team = _team_with([block], [{"calls": [call("block", seconds=0.3)] * 3}, "done"])
    started = time.perf_counter()
    team.run_sync("go")
    assert time.perf_counter() - started < 0.8


def test_a_sync_tool_in_its_thread_sees_the_run_and_registers_what_closes_with_it():
    from agentnb.core.lifecycle import on_run_end

    closed: list[str] = []
    registered: list[bool] = []

    @tool
    def open_file() -> str:
        """Open something that lives as long as the run."""
        registered.append(on_run_end(lambda: closed.append("file")))
        return "opened"

    agent = Agent("a", tools=[open_file], model=ScriptedModel({"a": [call("open_file"), "done"]}))
    result = Team([agent], max_turns=1).run_sync("go")
    assert result.final == "done" and registered == [True] and closed == ["file"]


def test_a_sync_tool_past_its_timeout_neither_holds_up_the_run_nor_fails_when_it_finishes_late():
    import threading

    finished = threading.Event()
    problems: list[BaseException] = []
    hook = threading.excepthook
    threading.excepthook = lambda args: problems.append(args.exc_value)

    @tool(timeout=0.05)
    def stuck() -> str:
        """Takes far too long."""
        time.sleep(0.6)
        finished.set()
        return "late"

    agent = Agent("a", tools=[stuck], model=ScriptedModel({"a": [call("stuck"), "gave up"]}))
    try:
        started = time.perf_counter()
        result = Team([agent], max_turns=1).run_sync("go")
        took = time.perf_counter() - started
        assert result.final == "gave up"
        [outcome] = [m for m in result.messages if isinstance(m, ToolResult)]
        assert "timed out after 0.05 s" in outcome.content
        assert took < 0.5  # the run did not wait for the thread (asyncio's own executor would)
        assert finished.wait(5)
        time.sleep(0.05)  # the late result reached a closed loop: dropped, nothing raised
        assert problems == []
    finally:
        threading.excepthook = hook


def test_tool_iterations_are_bounded_then_the_agent_must_answer():
    agent = Agent(
        "worker",
        tools=[add],
        max_tool_iterations=2,
        model=ScriptedModel({"worker": [call("add", a=1), call("add", a=2), "final answer"]}),
    )
    result = Team([agent], max_turns=1).run_sync("loop")
    assert result.final == "final answer"
    assert len([m for m in result.messages if isinstance(m, ToolResult)]) == 2


def test_each_turn_of_an_agent_gets_its_full_tool_rounds_again():
    script = [call("add", a=1), call("add", a=2), "first answer", "b says", call("add", a=3), "second answer"]
    worker = Agent("worker", tools=[add], max_tool_iterations=2)
    model = ScriptedModel({"worker": [s for s in script if s != "b says"], "b": ["b says"]})
    result = Team([worker, Agent("b")], model=model, max_turns=3).run_sync("go")
    replies = [m.content for m in result.chat() if m.source != "user"]
    assert replies == ["first answer", "b says", "second answer"]  # the 2nd turn's call was offered
    assert [r.content for r in result.messages if isinstance(r, ToolResult)] == ["3", "4", "5"]


def test_an_agent_given_new_tools_between_its_turns_offers_them_at_its_next_turn():
    seen: list[list[str]] = []

    def reply(request):
        seen.append(request.tool_names())
        return "ok"

    worker = Agent("worker", tools=[add], model=FunctionModel(reply))

    def swap(request):
        worker.tools = [tool(_power)]
        return "swapped"

    team = Team([worker, Agent("swapper", model=FunctionModel(swap))], max_turns=3)
    team.run_sync("go")
    assert seen == [["add"], ["_power"]]


def test_repeated_tool_failures_end_the_run_with_a_reason():
    agent = Agent(
        "worker",
        tools=[add],
        max_failures=2,
        max_tool_iterations=10,
        model=ScriptedModel({"worker": [call("add", raw="nope")] * 5}),
    )
    result = Team([agent], max_turns=3).run_sync("go")
    assert "2 tool-call rounds in a row failed" in result.stop_reason
    assert "not valid JSON" in result.stop_reason


def _power(base: int, exponent: int) -> int:
    """Raise a number to a power.

    Args:
        base: the number
        exponent: how many times to multiply it
    """
    return base**exponent


async def _slow_echo(text: str, times: int) -> str:
    """Echo text after yielding to the event loop."""
    await asyncio.sleep(0)
    return text * times


def test_a_partial_is_a_tool_named_and_described_by_its_function():
    square = tool(functools.partial(_power, exponent=2))
    fn = square.schema["function"]
    assert fn["name"] == "_power" and fn["description"] == "Raise a number to a power."
    assert fn["parameters"]["properties"]["base"] == {"type": "integer", "description": "the number"}
    assert run(square.run('{"base": 7}')).content == "49"
    assert tool(functools.partial(_power, 3), name="power_of_three").name == "power_of_three"


def test_a_partial_of_an_async_function_is_awaited():
    twice = tool(functools.partial(_slow_echo, times=2), name="twice")
    assert run(twice.run('{"text": "ab"}')).content == "abab"


class WeatherLookup:
    """Today's weather in a city."""

    def __init__(self, forecasts: dict[str, str]) -> None:
        self.forecasts = forecasts

    def __call__(self, city: Annotated[str, "the city"]) -> str:
        return self.forecasts.get(city, "unknown")


class AsyncHTTPFetcher:
    async def __call__(self, url: str) -> str:
        """Fetch a page (pretend)."""
        await asyncio.sleep(0)
        return f"<html>{url}</html>"


def test_a_callable_object_is_a_tool_named_after_its_class():
    weather = tool(WeatherLookup({"Riverside": "sunny"}))
    fn = weather.schema["function"]
    assert fn["name"] == "weather_lookup" and fn["description"] == "Today's weather in a city."
    assert fn["parameters"]["properties"]["city"]["description"] == "the city"
    assert run(weather.run('{"city": "Riverside"}')).content == "sunny"
    fetch = tool(AsyncHTTPFetcher())
    assert fetch.name == "async_http_fetcher" and fetch.description == "Fetch a page (pretend)."
    assert run(fetch.run('{"url": "x.org"}')).content == "<html>x.org</html>"  # awaited, not a coroutine
    assert tool(WeatherLookup({}), name="weather").name == "weather"


def test_a_parameter_type_without_a_json_schema_names_the_tool_and_parameter():
    def send(to: str, sock: socket.socket) -> str:
        return "sent"

    with pytest.raises(TypeError) as info:
        tool(send)
    message = str(info.value)
    assert "tool 'send': parameter 'sock' has type socket" in message
    assert "use a JSON-friendly type" in message

    def schedule(when: str, then: Callable[[], None]) -> str:
        return "ok"

    with pytest.raises(TypeError, match="tool 'later': parameter 'then'"):
        tool(schedule, name="later")


def test_a_type_hint_that_cannot_be_resolved_names_the_tool():
    def lookup(item: NotDefinedAnywhere) -> str:  # noqa: F821
        return ""

    with pytest.raises(TypeError, match=r"tool 'lookup': cannot read its type hints .*NotDefinedAnywhere"):
        tool(lookup)


def test_a_lambda_needs_a_name():
    with pytest.raises(ValueError, match=r"tool name '<lambda>' is not allowed; .*pass one, e.g\. tool\("):
        tool(lambda: "today")
    assert tool(lambda: "today", name="today").name == "today"


@pytest.mark.parametrize("bad", ["bad name!", "", "x" * 65, "dots.not.allowed"])
def test_tool_names_follow_the_model_apis_rule(bad):
    with pytest.raises(ValueError, match="is not allowed; pass name= with letters, digits"):
        tool(add.fn, name=bad)


def test_an_agent_name_too_long_for_its_handoff_tool_says_so():
    with pytest.raises(ValueError, match="at most 52 letters"):
        handoff_tool("x" * 60, "a very long name")
    assert handoff_tool("x" * 52, "").name == "transfer_to_" + "x" * 52


def test_something_not_callable_is_not_a_tool():
    with pytest.raises(TypeError, match="expected a function or a callable object, got int"):
        tool(42)


def _run_a_sync_tool(answers) -> None:
    @tool
    def double(x: int) -> int:
        """Double a number."""
        return 2 * x

    agent = Agent("a", tools=[double], model=ScriptedModel({"a": [call("double", x=21), "done"]}))
    result = Team([agent], max_turns=1).run_sync("go")
    answers.put([m.content for m in result.messages if isinstance(m, ToolResult)])


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="fork is POSIX-only")
def test_a_forked_process_runs_sync_tools_on_threads_of_its_own():
    import multiprocessing

    forked = multiprocessing.get_context("fork")
    answers = forked.Queue()
    _run_a_sync_tool(answers)  # the parent's worker thread exists now (idle)
    assert answers.get(timeout=5) == ["42"]
    child = forked.Process(target=_run_a_sync_tool, args=(answers,))
    child.start()
    try:
        child.join(10)
        assert child.exitcode == 0
        assert answers.get(timeout=1) == ["42"]
    finally:
        if child.is_alive():
            child.kill()
