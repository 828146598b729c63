"""No secret reaches a span, an export or a view: planted in a tool argument, a message, the environment."""

from __future__ import annotations

from importlib.util import find_spec

from agentnb import Agent, Team, tool
from agentnb.models import ScriptedModel
from agentnb.trace import Trace
from tests.conftest import require

KEY = "sk-planted0123456789abcdefXYZ"
ENV_VALUE = "planted-env-value-7c1e9f"


def planted_trace(monkeypatch) -> Trace:
    monkeypatch.setenv("AGENTNB_PLANTED_TOKEN", ENV_VALUE)

    @tool
    def lookup(query: str) -> str:
        """Look something up."""
        raise PermissionError(f"the archive refused token {ENV_VALUE} for {query}")

    model = ScriptedModel(
        {
            "reporter": [
                {"tool": "lookup", "args": {"query": f"key {KEY}"}},
                f"I used {KEY} and {ENV_VALUE} to look it up.",
            ]
        }
    )
    team = Team([Agent("reporter", tools=[lookup])], model=model, max_turns=1)
    result = team.run_sync(f"Find the story; my key is {KEY}")
    assert any(KEY in str(m) for m in result.messages)  # the secret really is in the events
    return Trace.from_events(result.messages, capture_content=True)


def assert_clean(text: str) -> None:
    assert KEY not in text and ENV_VALUE not in text
    assert "[REDACTED]" in text


def test_spans_views_and_jsonl_carry_no_secret(monkeypatch):
    trace = planted_trace(monkeypatch)
    everything = [str(trace.attributes(s)) + str(trace.content(s)) + s.error for s in trace.spans]
    assert_clean("".join(everything))
    view = trace.view()
    for text in (view.html(), view.markdown(), view.text(), trace.to_jsonl(capture_content=True)):
        assert_clean(text)


def test_opentelemetry_export_carries_no_secret(monkeypatch):
    require(find_spec("opentelemetry.sdk") is not None, "opentelemetry-sdk (pip install 'agentnb[trace]')")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    trace = planted_trace(monkeypatch)
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    trace.to_otel(provider, capture_content=True)
    exported = memory.get_finished_spans()
    assert any("gen_ai.tool.call.arguments" in s.attributes for s in exported)
    assert_clean("".join(s.to_json() for s in exported))


def test_secrets_given_to_the_trace_are_scrubbed_too():
    from agentnb.core.events import SpeakerSelected, TextMessage

    events = [
        SpeakerSelected(source="t", speaker="a", turn=1, at=0.0),
        TextMessage(source="a", content="the password is hunter2hunter2", at=1.0),
    ]
    trace = Trace.from_events(events, capture_content=True, secrets=["hunter2hunter2"])
    assert "hunter2hunter2" not in trace.view().html()
