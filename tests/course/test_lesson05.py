"""Lesson 05's checks: a right answer gets a ✓, each kind of wrong answer the hint that fits it."""

from __future__ import annotations

from importlib.util import find_spec

import pytest

from agentnb import Agent, Team, tool
from agentnb.core.events import SpeakerSelected, Stop, TextMessage, ToolCall, ToolCalls, ToolResult, Usage
from agentnb.course import check
from agentnb.models import ScriptedModel, call
from agentnb.trace import PRICES, Trace, set_price
from tests.conftest import require

KEY = "sk-lesson05-FAKE0123456789abcdef"
U = Usage(prompt_tokens=1000, completion_tokens=200)

# ----- 05.1: find the slow step --------------------------------------------------------------


def timed_run() -> list:
    """A briefing with exact times: a 4 s search inside the researcher's 5 s turn; a 2 s weather chat."""
    return [
        TextMessage(source="user", content="brief", at=0.0),
        SpeakerSelected(source="briefing", speaker="researcher", turn=1, at=0.0),
        ToolCalls(
            source="researcher",
            calls=[ToolCall(id="s", name="search_archive", arguments="{}")],
            usage=U,
            model="acme-small",
            started_at=0.0,
            at=0.5,
        ),
        ToolResult(
            source="researcher", call_id="s", name="search_archive", content="found", duration=4.0, at=4.5
        ),
        TextMessage(
            source="researcher", content="notes", usage=U, model="acme-small", started_at=4.5, at=5.0
        ),
        SpeakerSelected(source="briefing", speaker="weather", turn=2, at=5.0),
        TextMessage(source="weather", content="sunny", usage=U, model="acme-small", started_at=5.0, at=7.0),
        Stop(source="briefing", reason="done", at=7.0),
    ]


def test_the_slowest_model_or_tool_call_is_right():
    trace = Trace.from_events(timed_run())
    verdict = check("05.1", trace.find("execute_tool", "search_archive")[0])
    assert verdict.ok, verdict.message


def test_a_span_read_from_a_fresh_traces_list_is_graded_against_its_whole_run():
    search = next(s for s in Trace.from_events(timed_run()).spans if s.operation == "execute_tool")
    assert check("05.1", search).ok


def test_the_turn_around_the_slowest_call_is_told_it_contains_it():
    trace = Trace.from_events(timed_run())
    verdict = check("05.1", trace.summary().slowest[0])
    assert not verdict.ok
    assert "invoke_agent researcher contains other spans" in verdict.message
    assert "it contains the slowest call" in verdict.message


def test_a_turn_that_does_not_contain_the_slowest_call_is_told_so():
    verdict = check("05.1", Trace.from_events(timed_run()).find("invoke_agent", "weather")[0])
    assert not verdict.ok and "does not even contain it" in verdict.message


def test_the_whole_run_is_told_it_contains_everything():
    verdict = check("05.1", Trace.from_events(timed_run()).roots[0])
    assert not verdict.ok and "the whole run" in verdict.message


def test_a_faster_call_is_told_to_sort_the_calls_by_duration():
    verdict = check("05.1", Trace.from_events(timed_run()).find("chat", "acme-small")[-1])
    assert not verdict.ok
    assert (
        "chat acme-small (weather) is not the slowest" in verdict.message
        and "span.duration" in verdict.message
    )


def test_a_name_instead_of_a_span_or_a_run_without_calls_gets_a_hint():
    assert "pass the span itself" in check("05.1", "execute_tool search_archive").message
    events = [*timed_run()[:2], *timed_run()[-3:]]
    lone = Trace.from_events(events).find("chat")[0]
    assert "fewer than two model or tool calls" in check("05.1", lone).message


# ----- 05.2: price the run -------------------------------------------------------------------


def billed_run() -> list:
    """The briefing's model calls: the editor on a free offline model, the desks on the acme models."""
    events: list = [TextMessage(source="user", content="brief", at=0.0)]
    for turn, (agent, model) in enumerate(
        [("editor", "function:newsroom"), ("researcher", "acme-small"), ("writer", "acme-large")], start=1
    ):
        events.append(SpeakerSelected(source="briefing", speaker=agent, turn=turn, at=float(turn)))
        events.append(TextMessage(source=agent, content="x", usage=U, model=model, at=turn + 0.5))
    return [*events, Stop(source="briefing", reason="done", at=4.0)]


@pytest.fixture
def prices(monkeypatch):
    """A private copy of the price table, so set_price in one test leaves the others alone."""
    table = dict(PRICES)
    monkeypatch.setattr("agentnb.trace.cost.PRICES", table)
    return table


def test_both_models_priced_from_the_sheet_for_every_trace_is_right(prices):
    set_price("acme-small", 0.50, 1.50)
    set_price("acme-large", 3.00, 15.00)
    verdict = check("05.2", Trace.from_events(billed_run()))
    assert verdict.ok, verdict.message


def test_prices_given_to_one_trace_only_are_told_to_go_into_the_price_table(prices):
    set_price("acme-small", 0.50, 1.50)
    sheet = {"acme-large": ("3", "15")}
    verdict = check("05.2", Trace.from_events(billed_run(), prices=sheet))
    assert not verdict.ok
    assert "only this trace: acme-large has no price" in verdict.message and "set_price" in verdict.message
    set_price("acme-large", "3.00", "15.0")  # the same price, written differently
    assert check("05.2", Trace.from_events(billed_run(), prices=sheet)).ok


def test_an_unpriced_model_is_named_with_its_agent(prices):
    verdict = check("05.2", Trace.from_events(billed_run(), prices={"acme-small": (0.5, 1.5)}))
    assert not verdict.ok
    assert "no price for acme-large (writer)" in verdict.message and "set_price" in verdict.message


def test_a_trace_built_before_the_prices_were_set_is_told_to_build_it_again(prices):
    early = Trace.from_events(billed_run())
    early.summary()  # costs are fixed when the trace is first read
    set_price("acme-*", 3.00, 15.00)
    verdict = check("05.2", early)
    assert not verdict.ok and "build the trace again" in verdict.message


def test_swapped_prices_are_told_that_input_comes_first(prices):
    set_price("acme-small", 1.50, 0.50)
    set_price("acme-large", 15.00, 3.00)
    verdict = check("05.2", Trace.from_events(billed_run()))
    assert not verdict.ok
    assert "acme-small (researcher) costs $0.0016" in verdict.message
    assert "it costs $0.0008 (input comes first, then output)" in verdict.message


def test_prices_per_thousand_tokens_are_told_they_are_per_million(prices):
    set_price("acme-small", 0.50, 1.50)
    set_price("acme-large", 3000, 15000)
    verdict = check("05.2", Trace.from_events(billed_run()))
    assert not verdict.ok and "dollars per million tokens" in verdict.message


def test_pricing_another_model_so_the_writer_is_not_the_most_expensive_is_caught(prices):
    set_price("acme-small", 0.50, 1.50)
    set_price("acme-large", 3.00, 15.00)
    set_price("function:*", 100, 100)
    verdict = check("05.2", Trace.from_events(billed_run()))
    assert not verdict.ok and "editor is the most expensive agent, not the writer" in verdict.message


def test_a_trace_of_another_run_or_not_a_trace_gets_a_hint(prices):
    other = Trace.from_events([SpeakerSelected(source="t", speaker="a", turn=1, at=0.0)])
    assert "no call of the acme models" in check("05.2", other).message
    assert "not a Trace" in check("05.2", billed_run()).message


# ----- 05.3: a failure you can see ------------------------------------------------------------


def weather_service(city: str) -> str:
    raise ConnectionError("the weather service is not answering")


@tool(name="forecast")
def loud_forecast(city: str) -> str:
    """Tomorrow's weather."""
    return weather_service(city)


@tool(name="forecast")
def quiet_forecast(city: str) -> str:
    """Tomorrow's weather."""
    try:
        return weather_service(city)
    except ConnectionError:
        return "No forecast available."


def search_archive(query: str) -> str:
    """Search the archive."""
    return f"stories about {query} (from https://archive.example/?key={KEY})"


def briefing(forecast=loud_forecast, name: str = "briefing") -> Trace:
    """A small briefing run: the researcher searches the archive, the weather desk asks for a forecast."""
    script = {
        "researcher": [call("search_archive", query="Harmon"), "notes"],
        "weather": [call("forecast", city="Riverside"), "no forecast"],
    }
    agents = [Agent("researcher", tools=[search_archive]), Agent("weather", tools=[forecast])]
    team = Team(agents, model=ScriptedModel(script), max_turns=2, name=name)
    return team.run_sync("Write the briefing.").trace()


def test_the_span_of_a_forecast_tool_that_raises_is_right():
    span = briefing().find("execute_tool", "forecast")[0]
    verdict = check("05.3", span)
    assert verdict.ok, verdict.message


def test_a_tool_that_hides_its_error_is_told_to_let_the_exception_out():
    verdict = check("05.3", briefing(quiet_forecast).find("execute_tool", "forecast")[0])
    assert not verdict.ok and "says ok" in verdict.message and "Let the exception out" in verdict.message


def test_another_tool_or_a_model_call_is_told_which_span_to_pass():
    trace = briefing()
    assert (
        "the search_archive tool's span"
        in check("05.3", trace.find("execute_tool", "search_archive")[0]).message
    )
    assert "that is chat scripted" in check("05.3", trace.find("chat")[0]).message


# ----- 05.4: export with content --------------------------------------------------------------


@pytest.fixture
def memory():
    require(find_spec("opentelemetry.sdk") is not None, "opentelemetry-sdk (pip install 'agentnb[trace]')")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    exporter.provider = provider
    yield exporter
    provider.shutdown()


def test_the_briefing_exported_once_with_content_is_right(memory):
    briefing().to_otel(memory.provider, capture_content=True)
    verdict = check("05.4", memory)
    assert verdict.ok, verdict.message
    exported = " ".join(str(s.attributes) for s in memory.get_finished_spans())
    assert "Harmon" in exported and KEY not in exported


def test_an_export_without_content_is_told_to_capture_it(memory):
    briefing().to_otel(memory.provider)
    verdict = check("05.4", memory)
    assert not verdict.ok and "capture_content=True" in verdict.message


def test_an_exporter_with_nothing_or_with_two_runs_gets_a_hint(memory):
    assert "has no spans" in check("05.4", memory).message
    trace = briefing()
    trace.to_otel(memory.provider, capture_content=True)
    trace.to_otel(memory.provider, capture_content=True)
    verdict = check("05.4", memory)
    assert not verdict.ok and "holds 2 runs" in verdict.message and "exporter.clear()" in verdict.message


def test_another_run_or_a_run_without_tools_is_told_to_export_the_briefing(memory):
    briefing(name="desk").to_otel(memory.provider, capture_content=True)
    assert "export the briefing run" in check("05.4", memory).message
    memory.clear()
    chat = Team([Agent("a")], model=ScriptedModel({"a": ["hi"]}), max_turns=1, name="briefing").run_sync("x")
    chat.trace().to_otel(memory.provider, capture_content=True)
    assert "no execute_tool spans" in check("05.4", memory).message


def test_spans_that_carry_a_secret_are_caught(memory):
    tracer = memory.provider.get_tracer("by hand")
    with tracer.start_as_current_span("invoke_workflow briefing"):
        attributes = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.call.arguments": f'{{"key": "{KEY}"}}',
        }
        with tracer.start_as_current_span("execute_tool search_archive", attributes=attributes):
            pass
    verdict = check("05.4", memory)
    assert not verdict.ok and "carries a secret" in verdict.message


def test_something_that_is_not_an_exporter_gets_a_hint():
    verdict = check("05.4", [])
    assert not verdict.ok and "not an InMemorySpanExporter" in verdict.message
