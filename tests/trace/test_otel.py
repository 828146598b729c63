"""OpenTelemetry export, read back through the SDK's in-memory exporter."""

from __future__ import annotations

import json
from importlib.util import find_spec

import pytest

from agentnb import Agent, Team, tool
from agentnb.models import ScriptedModel
from agentnb.trace import Trace
from tests.conftest import require
from tests.trace.test_spans import round_robin_with_tool


@pytest.fixture
def exporter():
    require(find_spec("opentelemetry.sdk") is not None, "opentelemetry-sdk (pip install 'agentnb[trace]')")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    memory.provider = provider
    yield memory
    provider.shutdown()


def by_name(spans):
    return {s.name: s for s in spans}


def test_spans_are_exported_with_their_names_parents_times_and_gen_ai_attributes(exporter):
    trace = Trace.from_events(round_robin_with_tool())
    count = trace.to_otel(exporter.provider)
    spans = exporter.get_finished_spans()
    assert count == len(spans) == len(trace.spans)
    assert [s.name for s in spans] == [s.name for s in trace.spans]
    run = spans[0]
    writer, chat = spans[1], spans[2]
    assert run.parent is None
    assert writer.parent.span_id == run.context.span_id
    assert chat.parent.span_id == writer.context.span_id
    assert {s.context.trace_id for s in spans} == {run.context.trace_id}
    assert (chat.start_time, chat.end_time) == (10_100_000_000, 11_000_000_000)
    assert chat.attributes["gen_ai.operation.name"] == "chat"
    assert chat.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert chat.attributes["gen_ai.usage.input_tokens"] == 100
    assert chat.attributes["gen_ai.usage.output_tokens"] == 20
    assert chat.attributes["agentnb.cost.usd"] == pytest.approx((100 * 0.15 + 20 * 0.60) / 1e6)
    assert writer.attributes["gen_ai.agent.name"] == "writer"
    tool_span = by_name(spans)["execute_tool search"]
    assert tool_span.attributes["gen_ai.tool.name"] == "search"
    assert tool_span.attributes["gen_ai.tool.call.id"] == "c1"
    assert "gen_ai.tool.call.arguments" not in tool_span.attributes
    from opentelemetry.trace import SpanKind

    assert chat.kind == SpanKind.CLIENT and writer.kind == SpanKind.INTERNAL


def test_content_is_exported_only_when_asked(exporter, monkeypatch):
    trace = Trace.from_events(round_robin_with_tool())
    trace.to_otel(exporter.provider, capture_content=True)
    tool_span = by_name(exporter.get_finished_spans())["execute_tool search"]
    assert tool_span.attributes["gen_ai.tool.call.arguments"] == '{"q": "park"}'
    assert tool_span.attributes["gen_ai.tool.call.result"] == "found"
    run = exporter.get_finished_spans()[0]
    assert json.loads(run.attributes["gen_ai.input.messages"])[0]["parts"][0]["content"] == "task"
    chat = exporter.get_finished_spans()[2]
    output = json.loads(chat.attributes["gen_ai.output.messages"])[0]
    assert output["role"] == "assistant" and output["parts"] == [{"type": "text", "content": "draft"}]

    exporter.clear()
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    trace.to_otel(exporter.provider)
    assert (
        "gen_ai.tool.call.arguments"
        in by_name(exporter.get_finished_spans())["execute_tool search"].attributes
    )


def test_failed_spans_have_error_status_and_type(exporter):
    from opentelemetry.trace import StatusCode

    from agentnb.core.events import SpeakerSelected, Stop

    events = [
        SpeakerSelected(source="t", speaker="a", turn=1, at=1.0),
        Stop(source="t", reason="error: server down", failed=True, at=2.0),
    ]
    Trace.from_events(events).to_otel(exporter.provider)
    run, turn = exporter.get_finished_spans()
    assert run.status.status_code == StatusCode.ERROR
    assert run.status.description == "error: server down"
    assert turn.attributes["error.type"] == "run_error"


def test_emit_puts_a_runs_spans_under_the_current_span(exporter, monkeypatch):
    """What an eval needs: the task's span is the parent of the run it started."""
    from opentelemetry import trace as otel_trace

    from agentnb.trace.otel import emit

    # emit uses the global provider, which OpenTelemetry lets a process set only once
    monkeypatch.setattr(otel_trace, "_TRACER_PROVIDER", exporter.provider)
    tracer = exporter.provider.get_tracer("eval")
    with tracer.start_as_current_span("eval task") as task:
        emit(round_robin_with_tool())
    spans = by_name(exporter.get_finished_spans())
    run = spans["invoke_workflow news"]
    assert run.parent.span_id == task.get_span_context().span_id
    assert run.context.trace_id == task.get_span_context().trace_id


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def test_a_real_team_runs_trace_exports_turns_model_and_tool_calls(exporter):
    model = ScriptedModel({"calc": [{"tool": "add", "args": {"a": 2, "b": 3}}, "5"], "judge": ["right"]})
    team = Team([Agent("calc", tools=[add]), Agent("judge")], model=model, max_turns=2, name="maths")
    result = team.run_sync("2 + 3?")
    Trace.from_events(result.messages).to_otel(exporter.provider)
    names = [s.name for s in exporter.get_finished_spans()]
    assert names == [
        "invoke_workflow maths",
        "invoke_agent calc",
        "chat scripted",
        "execute_tool add",
        "chat scripted",
        "invoke_agent judge",
        "chat scripted",
    ]
