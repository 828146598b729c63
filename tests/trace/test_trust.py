"""Traces tell the whole truth and hold no key; a trace file from anyone is data, checked on load."""

from __future__ import annotations

import json
import logging
import socket
from importlib.util import find_spec
from typing import Any

import httpx2
import pytest

from agentnb import Agent, Team
from agentnb.core.events import SpeakerSelected, Stop, TextMessage, Usage
from agentnb.core.policies import Summarize
from agentnb.models import FunctionModel
from agentnb.models.openai_compat import OpenAIModel
from agentnb.trace import Trace
from tests.conftest import require
from tests.trace.test_spans import round_robin_with_tool

ODD_KEY = "tok_" + "live0dd5hapedEchoedKey42"  # no pattern knows this shape: only the model does


def saved_lines() -> list[dict[str, Any]]:
    text = Trace.from_events(round_robin_with_tool()).to_jsonl()
    return [json.loads(line) for line in text.splitlines()]


def crafted(field: str, value: Any, line: int = 2) -> str:
    records = saved_lines()
    records[line - 1][field] = value
    return "\n".join(json.dumps(r) for r in records)


# ----- a trace file is data ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("operation", 'chat" ontoggle="alert(1)', "unknown operation"),
        ("status", 'ok" ontoggle="alert(1)', "unknown status"),
        ("label", {"html": "<b>"}, "label: expected text"),
        ("parent", -1, "parent: expected a whole number"),
    ],
)
def test_a_crafted_span_is_refused_when_the_file_is_read(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=f"trace text, line 3: not a span record .*{message}"):
        Trace.from_jsonl(crafted(field, value, line=3))


def test_the_trace_view_escapes_every_attribute() -> None:
    trace = Trace.from_events(round_robin_with_tool())
    span = trace.spans[1]
    span.operation = 'invoke_agent" data-x="<script>alert(1)</script>'  # as if it had passed a loader
    span.status = 'ok"><img src=x onerror=alert(2)>'
    html = trace.view().html()
    assert "<script>" not in html and "<img" not in html
    assert 'data-x="' not in html and "&quot;" in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cost", "1e999987", "not a cost from 0 to"),
        ("cost", "Infinity", "not a cost from 0 to"),
        ("cost", "-1", "not a cost from 0 to"),
        ("cost", "lots", "is not a number"),
        ("start", float("inf"), "expected a finite number"),
        ("start", 1e300, "out of range"),
        ("first_token", float("nan"), "expected a finite number"),
        ("usage", {"input_tokens": 10**40, "output_tokens": 1}, "input_tokens: expected a whole number"),
        ("seq", True, "seq: expected a whole number"),
    ],
)
def test_numbers_are_checked_finite_and_bounded_before_any_conversion(
    field: str, value: Any, message: str
) -> None:
    text = crafted(field, value, line=4)  # the chat span of the writer
    with pytest.raises(ValueError, match=message):
        Trace.from_jsonl(text)


def test_a_saved_trace_still_loads_with_its_costs() -> None:
    original = Trace.from_events(round_robin_with_tool())
    loaded = Trace.from_jsonl(original.to_jsonl())
    assert [s.cost for s in loaded.spans] == [s.cost for s in original.spans]


# ----- secrets a model holds -------------------------------------------------------------------


def echoing_model() -> OpenAIModel:
    """A live model whose server repeats the key it was sent in every reply."""

    def handle(request: httpx2.Request) -> httpx2.Response:
        key = request.headers["authorization"].removeprefix("Bearer ")
        message = {"role": "assistant", "content": f"your key is {key}"}
        body = {
            "id": "c1",
            "object": "chat.completion",
            "created": 0,
            "model": "echo",
            "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
        }
        return httpx2.Response(200, json=body)

    return OpenAIModel(
        "echo",
        base_url="http://echo.test/v1",
        api_key=ODD_KEY,
        stream=False,
        http_client_factory=lambda: httpx2.AsyncClient(transport=httpx2.MockTransport(handle)),
    )


def test_result_trace_scrubs_a_key_of_any_shape_the_teams_model_holds() -> None:
    result = Team([Agent("a", model=echoing_model())], max_turns=1).run_sync("hello")
    assert ODD_KEY in result.final  # the server did echo it into the run
    trace = result.trace()
    view = trace.view()
    shown = [trace.to_jsonl(capture_content=True), view.html(), view.text(), view.markdown()]
    assert not [text for text in shown if ODD_KEY in text]
    assert "your key is [REDACTED]" in shown[0] and "your key is [REDACTED]" in shown[1]


def test_the_opentelemetry_export_scrubs_a_key_the_teams_model_holds() -> None:
    require(find_spec("opentelemetry.sdk") is not None, "opentelemetry-sdk (pip install 'agentnb[trace]')")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    result = Team([Agent("a", model=echoing_model())], max_turns=1).run_sync("hello")
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    result.trace().to_otel(provider, capture_content=True)
    exported = "".join(s.to_json() for s in memory.get_finished_spans())
    assert "your key is [REDACTED]" in exported and ODD_KEY not in exported
    provider.shutdown()


# ----- the whole truth ---------------------------------------------------------------------------


def test_summaries_a_context_policy_asks_for_are_model_calls_in_the_trace() -> None:
    def reply(request: Any) -> str:
        return "they talked about x" if request.agent.endswith("-summary") else "y" * 200

    team = Team(
        [Agent("a", context=Summarize(keep_last=2, max_tokens=100)), Agent("b")],
        model=FunctionModel(reply),
        max_turns=8,
    )
    result = team.run_sync("task")
    trace = result.trace()
    summaries = [s for s in trace.find("chat") if trace.attributes(s).get("agentnb.context_summary")]
    assert summaries and all(s.parent is not None and s.parent.agent == "a" for s in summaries)
    assert trace.content(summaries[0])["output"] == "they talked about x"
    assert trace.summary().total.tokens == result.usage.total_tokens


def requested_events() -> list:
    usage = Usage(prompt_tokens=10, completion_tokens=5)
    return [
        TextMessage(source="user", content="task", at=0.0),
        SpeakerSelected(source="desk", speaker="writer", turn=1, at=0.0),
        TextMessage(
            source="writer",
            content="draft",
            usage=usage,
            model="gpt-4o-mini-2024-07-18",
            request_model="openai:gpt-4o-mini",
            at=1.0,
        ),
        SpeakerSelected(source="desk", speaker="editor", turn=2, at=1.0),
        TextMessage(
            source="editor",
            content="ok",
            usage=usage,
            model="llama3.2:latest",
            request_model="openai:llama3.2@http://gpu-box:11434/v1",
            at=2.0,
        ),
        Stop(source="desk", reason="done", at=2.0),
    ]


def test_model_calls_name_the_model_requested_and_the_one_that_answered() -> None:
    trace = Trace.from_events(requested_events())
    writer_chat, editor_chat = trace.find("chat")
    assert writer_chat.name == "chat gpt-4o-mini" and editor_chat.name == "chat llama3.2"
    writer = trace.attributes(writer_chat)
    assert writer["gen_ai.request.model"] == "gpt-4o-mini"
    assert writer["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert writer["gen_ai.provider.name"] == "openai"
    editor = trace.attributes(editor_chat)
    assert editor["gen_ai.request.model"] == "llama3.2"
    assert editor["gen_ai.response.model"] == "llama3.2:latest"
    assert (editor["server.address"], editor["server.port"]) == ("gpu-box", 11434)
    assert writer_chat.cost is not None  # priced by the model that answered


def test_agent_spans_carry_the_provider_the_conventions_require() -> None:
    trace = Trace.from_events(requested_events())
    for span in trace.find("invoke_agent"):
        attributes = trace.attributes(span)
        assert attributes["gen_ai.provider.name"] == "openai"
        assert attributes["gen_ai.request.model"] in ("gpt-4o-mini", "llama3.2")
    offline = Team([Agent("a")], model=FunctionModel(lambda r: "hi"), max_turns=1).run_sync("go").trace()
    [agent] = offline.find("invoke_agent")
    assert offline.attributes(agent)["gen_ai.provider.name"] == "agentnb"


def test_the_requested_model_survives_a_jsonl_round_trip() -> None:
    original = Trace.from_events(requested_events())
    loaded = Trace.from_jsonl(original.to_jsonl())
    assert [loaded.attributes(s) for s in loaded.spans] == [original.attributes(s) for s in original.spans]
    assert [s.name for s in loaded.spans] == [s.name for s in original.spans]


# ----- exports that fail say so at once ----------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_otlp_endpoint_fails_with_one_line_and_no_retries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    require(find_spec("opentelemetry.exporter.otlp") is not None, "the OTLP exporter (agentnb[trace])")
    from agentnb.trace.otel import export_otlp

    endpoint = f"http://127.0.0.1:{closed_port()}/v1/traces"
    with caplog.at_level(logging.INFO), pytest.raises(ConnectionError) as info:
        export_otlp(Trace.from_events(round_robin_with_tool()), endpoint)
    message = str(info.value)
    assert "\n" not in message and endpoint in message and "nothing is listening" in message
    assert [r for r in caplog.records if r.name.startswith("opentelemetry")] == []


def test_a_team_and_an_agent_used_as_tools_run_in_the_callers_trace_and_cost() -> None:
    """``as_tool()`` ran a copy of the team unseen: none of its spans, tokens or cost reached
    the caller's trace or usage. Its events are now recorded in the calling run, scoped under
    the tool's name, and its spans hang under the turn of the agent that called it."""
    from agentnb.models import call

    def reply(request: Any) -> Any:
        if request.agent == "editor":
            if request.messages[-1]["role"] == "tool":
                return "Edited: " + request.messages[-1]["content"]
            return call("desk", task="write about the park")
        if request.agent == "helper":
            return call("checker", task="check 14 acres") if request.messages[-1]["role"] != "tool" else "ok"
        return f"{request.agent} did it"

    model = FunctionModel(reply)
    desk = Team([Agent("writer"), Agent("reviewer")], name="desk", model=model, max_turns=2)
    checker = Agent("checker", model=model)
    editor = Agent("editor", tools=[desk.as_tool(), checker.as_tool()], model=model)
    helper = Agent("helper", tools=[checker.as_tool()], model=model)
    result = Team([editor, helper], model=model, max_turns=2).run_sync("go")

    inner = [e for e in result.messages if e.scope]
    assert {e.scope for e in inner} == {"desk", "checker"}
    assert [e.source for e in inner if isinstance(e, TextMessage) and e.source != "user"] == [
        "writer",
        "reviewer",
        "checker",
    ]
    trace = result.trace()
    assert trace.summary().total.tokens == result.usage.total_tokens
    tools_run = {s.label: s for s in trace.find("invoke_workflow") if s.parent is not None}
    assert tools_run["desk"].parent.agent == "editor" and tools_run["checker"].parent.agent == "helper"
    # the caller's model reads the tool's answer, not the copy's conversation
    final = next(e for e in result.messages if isinstance(e, TextMessage) and e.source == "editor")
    assert final.content == "Edited: reviewer did it"
