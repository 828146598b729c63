"""OpenAIModel against an in-process fake server (httpx2's MockTransport): no network.

Each test scripts the fake's responses, runs one model call with ``asyncio.run`` and checks
what the model sent and what it made of the answers.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx2
import pytest

from agentnb.core.events import Usage
from agentnb.core.model import ModelError, ModelReply, ModelRequest
from agentnb.models.openai_compat import OpenAIModel, ServerError, ServerFeatureWarning, strict_schema
from tests.models.schemas import ADD

KEY = "sk-test-Very-Secret-Key-1234567890"
BASE = "http://fake.test/v1"
Reply = Callable[[httpx2.Request], Any] | BaseException

MUL = {**ADD, "function": {**ADD["function"], "name": "mul", "description": "Multiply."}}
CITY = {
    "title": "City",
    "type": "object",
    "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["name", "population"],
}


# ----- the fake server -----------------------------------------------------------------------


class FakeServer:
    """Answers with scripted replies in order (the last one repeats) and records every request."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx2.Request] = []
        self.times: list[float] = []
        self.responses: list[httpx2.Response] = []

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    async def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        self.times.append(time.monotonic())
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, BaseException):
            raise reply
        response = reply(request)
        self.responses.append(response)
        return response


def chunk(
    content: str | None = None,
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    finish: str | None = None,
) -> dict[str, Any]:
    delta: dict[str, Any] = {"role": "assistant"}
    if content is not None:
        delta["content"] = content
    if tool_calls is not None:
        delta["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def usage_chunk(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake-model",
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def sse(chunks: list[dict[str, Any]], *, done: bool = True) -> bytes:
    lines = [f"data: {json.dumps(c)}\n\n" for c in chunks]
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def streamed(*chunks: dict[str, Any], done: bool = True) -> Reply:
    """A reply that streams ``chunks`` as server-sent events."""
    body = sse(list(chunks), done=done)
    return lambda request: httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)


def text_reply(*pieces: str) -> Reply:
    return streamed(*(chunk(p) for p in pieces), chunk(finish="stop"))


def error(status: int, message: str = "", headers: dict[str, str] | None = None) -> Reply:
    body = {"error": {"message": message, "type": "error", "param": None, "code": None}}
    return lambda request: httpx2.Response(status, json=body, headers=headers or {})


def make_model(server: FakeServer, **options: Any) -> OpenAIModel:
    options.setdefault("api_key", KEY)
    options.setdefault("backoff", 0.001)
    return OpenAIModel(
        "fake-model",
        base_url=options.pop("base_url", BASE),
        http_client_factory=lambda: httpx2.AsyncClient(transport=httpx2.MockTransport(server.handle)),
        **options,
    )


def ask(**fields: Any) -> ModelRequest:
    fields.setdefault(
        "messages", [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    )
    return ModelRequest(agent="writer", **fields)


async def collect(model: OpenAIModel, request: ModelRequest) -> tuple[list[str], ModelReply]:
    pieces: list[str | ModelReply] = [chunk async for chunk in model.stream(request)]
    *texts, reply = pieces
    assert all(isinstance(t, str) for t in texts)
    assert isinstance(reply, ModelReply)
    return texts, reply  # type: ignore[return-value]


def call(model: OpenAIModel, request: ModelRequest | None = None) -> tuple[list[str], ModelReply]:
    return asyncio.run(collect(model, request or ask()))


def fails(model: OpenAIModel, request: ModelRequest | None = None) -> ModelError:
    with pytest.raises(ModelError) as info:
        call(model, request)
    return info.value


# ----- streaming and assembly ----------------------------------------------------------------


def test_text_streams_as_deltas_then_one_reply_with_server_usage() -> None:
    server = FakeServer(
        streamed(chunk("Hel"), chunk("lo"), chunk(" world"), chunk(finish="stop"), usage_chunk(12, 3))
    )
    pieces, reply = call(make_model(server))
    assert pieces == ["Hel", "lo", " world"]
    assert reply.text == "Hello world"
    assert reply.tool_calls == []
    assert reply.usage == Usage(prompt_tokens=12, completion_tokens=3)
    assert reply.model == "fake-model"
    body = server.bodies[0]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["model"] == "fake-model"


def test_usage_is_estimated_when_the_server_reports_none() -> None:
    server = FakeServer(text_reply("twelve chars"))
    _, reply = call(make_model(server), ask(prompt_tokens=40))
    assert reply.usage == Usage(prompt_tokens=40, completion_tokens=3)


def test_parallel_tool_call_deltas_assemble_into_complete_calls() -> None:
    def part(index: int, args: str, *, first: bool = False, name: str = "") -> dict[str, Any]:
        fn: dict[str, Any] = {"arguments": args}
        if first:
            fn["name"] = name
        out: dict[str, Any] = {"index": index, "function": fn}
        if first:
            out.update(id=f"call_{name}", type="function")
        return out

    server = FakeServer(
        streamed(
            chunk(tool_calls=[part(0, "", first=True, name="add")]),
            chunk(tool_calls=[part(0, '{"a": 1')]),
            chunk(tool_calls=[part(1, '{"a"', first=True, name="mul")]),
            chunk(tool_calls=[part(0, ', "b": 2}')]),
            chunk(tool_calls=[part(1, ': 3, "b": 4}')]),
            chunk(finish="tool_calls"),
        )
    )
    pieces, reply = call(make_model(server), ask(tools=[ADD, MUL]))
    assert pieces == []
    assert [(c.id, c.name) for c in reply.tool_calls] == [("call_add", "add"), ("call_mul", "mul")]
    assert [c.parsed_arguments() for c in reply.tool_calls] == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]


def test_a_name_repeated_in_every_delta_is_not_doubled() -> None:
    """llama.cpp's server repeats the id and the whole function name in each tool-call chunk."""
    repeat = [
        {"index": 0, "id": "call_0", "type": "function", "function": {"name": "add", "arguments": "{}"}}
    ]
    server = FakeServer(
        streamed(chunk(tool_calls=repeat), chunk(tool_calls=repeat), chunk(finish="tool_calls"))
    )
    _, reply = call(make_model(server), ask(tools=[ADD]))
    assert [(c.id, c.name, c.arguments) for c in reply.tool_calls] == [("call_0", "add", "{}{}")]


def test_non_streaming_mode_returns_the_whole_reply() -> None:
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "fake-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": "Adding.",
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "add", "arguments": '{"a":1,"b":2}'},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }
    server = FakeServer(lambda request: httpx2.Response(200, json=completion))
    pieces, reply = call(make_model(server, stream=False), ask(tools=[ADD]))
    assert pieces == ["Adding."]
    assert reply.text == "Adding."
    assert [(c.id, c.name, c.parsed_arguments()) for c in reply.tool_calls] == [
        ("c1", "add", {"a": 1, "b": 2})
    ]
    assert reply.usage == Usage(prompt_tokens=5, completion_tokens=7)
    assert "stream" not in server.bodies[0] or server.bodies[0]["stream"] is False
    assert "stream_options" not in server.bodies[0]


# ----- what the request carries --------------------------------------------------------------


@pytest.mark.parametrize(
    ("tools", "choice", "sent"),
    [
        ([ADD, MUL], "auto", None),
        ([ADD, MUL], "required", "required"),
        ([ADD], "required", {"type": "function", "function": {"name": "add"}}),
        ([ADD, MUL], "none", "none"),
        ([ADD, MUL], "mul", {"type": "function", "function": {"name": "mul"}}),
    ],
)
def test_tool_choice_maps_to_the_openai_form(tools: list[dict[str, Any]], choice: str, sent: Any) -> None:
    server = FakeServer(text_reply("ok"))
    call(make_model(server), ask(tools=tools, tool_choice=choice))
    body = server.bodies[0]
    assert [t["function"]["name"] for t in body["tools"]] == [t["function"]["name"] for t in tools]
    assert body.get("tool_choice") == sent


def test_forcing_a_tool_that_is_not_offered_fails_before_any_request() -> None:
    server = FakeServer(text_reply("ok"))
    err = fails(make_model(server), ask(tools=[ADD], tool_choice="search"))
    assert "'search'" in str(err) and "add" in str(err)
    assert server.requests == []


def test_a_request_without_tools_sends_neither_tools_nor_tool_choice() -> None:
    server = FakeServer(text_reply("ok"))
    call(make_model(server), ask(tool_choice="none"))
    assert "tools" not in server.bodies[0]
    assert "tool_choice" not in server.bodies[0]


def test_headers_params_and_key_reach_the_server() -> None:
    server = FakeServer(text_reply("ok"))
    model = make_model(server, headers={"X-Team": "newsroom"}, params={"temperature": 0.2, "max_tokens": 9})
    call(model)
    sent = server.requests[0]
    assert sent.headers["x-team"] == "newsroom"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.url == httpx2.URL(f"{BASE}/chat/completions")
    assert server.bodies[0]["temperature"] == 0.2 and server.bodies[0]["max_tokens"] == 9


def test_a_local_server_without_a_key_gets_a_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server = FakeServer(text_reply("ok"))
    call(make_model(server, api_key=None))
    assert server.requests[0].headers["authorization"] == "Bearer agentnb-local"


def test_openai_without_a_key_names_the_variable_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("TEAM_KEY", raising=False)
    model = OpenAIModel("gpt-4o-mini", api_key_env="TEAM_KEY")
    with pytest.raises(ModelError, match="set the TEAM_KEY environment variable"):
        call(model)


def test_names_fold_into_content_by_default_except_on_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    messages = [
        {"role": "system", "content": "Edit."},
        {"role": "user", "name": "writer", "content": "Draft."},
    ]
    server = FakeServer(text_reply("ok"))
    call(make_model(server), ask(messages=messages))
    assert server.bodies[0]["messages"][1] == {"role": "user", "content": "writer: Draft."}
    assert messages[1]["name"] == "writer"  # the agent's own context is untouched

    openai = make_model(server, base_url="https://api.openai.com/v1")
    assert openai.names_in_content is False
    call(openai, ask(messages=messages))
    assert server.bodies[1]["messages"][1] == {"role": "user", "name": "writer", "content": "Draft."}
    assert make_model(server, names_in_content=False).names_in_content is False


def test_a_tool_calling_assistant_message_without_text_is_sent_with_empty_content() -> None:
    """llama.cpp's server rejects ``content: null``, which agentnb's contexts carry."""
    calls = [{"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{}"}}]
    messages = [
        {"role": "user", "content": "Add."},
        {"role": "assistant", "content": None, "tool_calls": calls},
        {"role": "tool", "tool_call_id": "c1", "content": "3"},
    ]
    server = FakeServer(text_reply("3"))
    call(make_model(server), ask(messages=messages))
    assert server.bodies[0]["messages"][1] == {"role": "assistant", "content": "", "tool_calls": calls}
    assert messages[1]["content"] is None


def test_name_reads_like_a_spec_and_never_shows_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert OpenAIModel("gpt-4o-mini", api_key=KEY).name == "openai:gpt-4o-mini"
    local = OpenAIModel("llama3.2", base_url="http://localhost:11434/v1/", api_key=KEY)
    assert local.name == "openai:llama3.2@http://localhost:11434/v1"
    in_url = OpenAIModel("m", base_url=f"http://user:{KEY}@host:8000/v1")
    for text in (local.name, repr(local), in_url.name, repr(in_url)):
        assert KEY not in text


# ----- structured output and learned fallbacks ------------------------------------------------


def test_structured_output_sends_a_strict_json_schema_when_the_schema_allows() -> None:
    server = FakeServer(text_reply('{"name": "Oslo", "population": 700000}'))
    call(make_model(server), ask(output_schema=CITY, output_name="City"))
    fmt = server.bodies[0]["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "City"
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False
    assert "additionalProperties" not in CITY  # the request's schema is not modified


def test_a_schema_with_optional_fields_is_sent_non_strict() -> None:
    loose = {**CITY, "required": ["name"]}
    assert strict_schema(loose) is None
    server = FakeServer(text_reply("{}"))
    call(make_model(server), ask(output_schema=loose))
    spec = server.bodies[0]["response_format"]["json_schema"]
    assert "strict" not in spec
    assert spec["schema"] == loose


def test_server_without_json_schema_falls_back_to_json_object_and_remembers() -> None:
    # llama.cpp's server answers 500 and names the rejected type
    rejected = error(500, "Input should be 'text' or 'json_object' ... 'input': 'json_schema'")
    server = FakeServer(rejected, text_reply('{"name": "Oslo", "population": 1}'))
    model = make_model(server, max_retries=0)
    with pytest.warns(ServerFeatureWarning, match=r"openai:fake-model@http://fake.test/v1 .*json_schema"):
        _, reply = call(model, ask(output_schema=CITY, output_name="City"))
    assert json.loads(reply.text) == {"name": "Oslo", "population": 1}
    fallback = server.bodies[1]
    assert fallback["response_format"]["type"] == "json_object"
    assert '"population"' in fallback["messages"][0]["content"]  # the schema is in the system prompt
    assert fallback["messages"][0]["content"].startswith("Be brief.")

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        call(model, ask(output_schema=CITY, output_name="City"))
    assert len(server.requests) == 3  # the next call goes straight to json_object
    assert server.bodies[2]["response_format"]["type"] == "json_object"
    assert [w for w in seen if w.category is ServerFeatureWarning] == []  # and does not warn again


def test_server_without_any_json_mode_gets_the_schema_as_prompt_instructions() -> None:
    unsupported = error(400, "response_format is not supported")
    server = FakeServer(unsupported, unsupported, unsupported, text_reply("{}"))
    model = make_model(server)
    with pytest.warns(ServerFeatureWarning, match="system prompt"):
        call(model, ask(output_schema=CITY, output_name="City", messages=[{"role": "user", "content": "Hi"}]))
    formats = [b.get("response_format", {}).get("type") for b in server.bodies]
    assert formats == ["json_schema", "json_schema", "json_object", None]  # strict, plain, object, prompt
    first = server.bodies[3]["messages"][0]
    assert first["role"] == "system" and "JSON schema" in first["content"]


def test_a_bad_request_unrelated_to_optional_features_is_not_remembered() -> None:
    server = FakeServer(error(400, "context length exceeded"))
    model = make_model(server)
    err = fails(model, ask(output_schema=CITY))
    assert "context length exceeded" in str(err)
    assert len(server.requests) == 4  # json_schema strict, non-strict, json_object, prompt
    server.replies = [text_reply("{}")]
    call(model, ask(output_schema=CITY))
    assert server.bodies[-1]["response_format"]["json_schema"]["strict"] is True


def test_server_rejecting_tool_choice_falls_back_to_offering_tools_with_a_warning() -> None:
    server = FakeServer(error(400, "tool_choice 'required' is not supported"), text_reply("ok"))
    model = make_model(server)
    with pytest.warns(ServerFeatureWarning, match="tool_choice"):
        call(model, ask(tools=[ADD, MUL], tool_choice="required"))
    assert server.bodies[0]["tool_choice"] == "required"
    assert "tool_choice" not in server.bodies[1] and len(server.bodies[1]["tools"]) == 2


def test_a_rejected_request_with_tools_says_the_server_may_lack_tool_calling() -> None:
    server = FakeServer(error(400, "unknown field: tools"))
    err = fails(make_model(server), ask(tools=[ADD]))
    assert "HTTP 400" in str(err) and "tool calling" in str(err) and "add" in str(err)
    assert len(server.requests) == 1


# ----- errors for people ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_name_the_key_variable_and_never_show_the_key(
    status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAM_KEY", KEY)
    echoed = f"Incorrect API key provided: {KEY}. Also sk-test-********7890."
    server = FakeServer(error(status, echoed))
    err = fails(make_model(server, api_key=None, api_key_env="TEAM_KEY"))
    message = str(err)
    assert f"HTTP {status}" in message and "TEAM_KEY" in message
    assert KEY not in message and "7890" not in message
    assert isinstance(err, ServerError) and err.status == status
    assert len(server.requests) == 1  # not retried


def test_after_a_refused_key_the_next_call_reads_the_key_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a notebook the loop lives on: fixing the variable must be enough, no restart."""
    monkeypatch.setenv("TEAM_KEY", "sk-old-key")
    server = FakeServer(error(401, "bad key"), text_reply("ok"))
    model = make_model(server, api_key=None, api_key_env="TEAM_KEY")

    async def notebook() -> str:
        with pytest.raises(ServerError):
            await collect(model, ask())
        monkeypatch.setenv("TEAM_KEY", "sk-new-key")
        return (await collect(model, ask()))[1].text

    assert asyncio.run(notebook()) == "ok"
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer sk-old-key", "Bearer sk-new-key"]


def test_404_names_the_model_and_the_base_url() -> None:
    server = FakeServer(error(404, "model 'fake-model' not found"))
    err = fails(make_model(server))
    assert "'fake-model'" in str(err) and BASE in str(err) and "HTTP 404" in str(err)
    assert len(server.requests) == 1


def test_429_waits_for_retry_after_then_succeeds() -> None:
    server = FakeServer(error(429, "slow down", {"retry-after": "0.3"}), text_reply("done"))
    _, reply = call(make_model(server, backoff=0.0))
    assert reply.text == "done"
    assert len(server.requests) == 2
    assert 0.3 <= server.times[1] - server.times[0] < 2.0


def test_retry_after_is_capped_by_max_wait() -> None:
    server = FakeServer(error(503, "busy", {"retry-after": "120"}), text_reply("done"))
    started = time.monotonic()
    _, reply = call(make_model(server, max_wait=0.05))
    assert reply.text == "done"
    assert time.monotonic() - started < 5


def test_500_then_success_is_retried_with_backoff() -> None:
    server = FakeServer(error(500, "oops"), error(502), text_reply("fine"))
    _, reply = call(make_model(server, backoff=0.05))
    assert reply.text == "fine"
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    assert len(gaps) == 2
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # exponential: 0.05 s, then 0.1 s


def test_a_500_reporting_an_invalid_request_is_not_retried() -> None:
    server = FakeServer(error(500, "1 validation error: messages.1.content should be a valid string"))
    err = fails(make_model(server))
    assert len(server.requests) == 1
    assert "rejected the request" in str(err) and "messages.1.content" in str(err)


def test_persistent_rate_limit_fails_after_max_retries_with_a_clear_message() -> None:
    server = FakeServer(error(429, f"quota for {KEY} exceeded"))
    err = fails(make_model(server, max_retries=2))
    assert len(server.requests) == 3  # the openai client's own retries are off
    message = str(err)
    assert "HTTP 429" in message and "still rate limited after 3 attempts" in message
    assert KEY not in message


def test_timeouts_are_retried_then_fail_clearly() -> None:
    server = FakeServer(httpx2.ReadTimeout("slow"))
    err = fails(make_model(server, max_retries=1, timeout=7))
    assert len(server.requests) == 2
    assert "no answer within 7 s" in str(err)


def test_a_timeout_then_an_answer_succeeds() -> None:
    server = FakeServer(httpx2.ReadTimeout("slow"), text_reply("late"))
    _, reply = call(make_model(server))
    assert reply.text == "late"


def test_an_unreachable_server_says_so() -> None:
    server = FakeServer(httpx2.ConnectError("refused"))
    err = fails(make_model(server, max_retries=1))
    assert f"cannot connect to {BASE}" in str(err) and "Is the server running?" in str(err)


def test_a_stream_cut_off_midway_is_an_error_not_a_short_answer() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield sse([chunk("The vote was ")], done=False)
        raise httpx2.RemoteProtocolError("peer closed connection")

    server = FakeServer(lambda request: httpx2.Response(200, content=body()))
    err = fails(make_model(server))
    assert isinstance(err, ServerError)
    assert "broke off" in str(err)
    assert err.partial == "The vote was "
    assert len(server.requests) == 1  # text already went out: no silent retry


def test_a_stream_that_ends_without_a_finish_reason_is_an_error() -> None:
    server = FakeServer(streamed(chunk("Half a "), chunk("sentence")))
    err = fails(make_model(server))
    assert "without a finish_reason" in str(err)
    assert isinstance(err, ServerError) and err.partial == "Half a sentence"


def test_a_cut_before_any_text_is_retried() -> None:
    server = FakeServer(streamed(chunk(tool_calls=[{"index": 0, "id": "c"}]), done=True), text_reply("whole"))
    _, reply = call(make_model(server))
    assert reply.text == "whole" and len(server.requests) == 2


async def endless_body() -> AsyncIterator[bytes]:
    """A response body that sends one delta, then hangs."""
    yield sse([chunk("Once")], done=False)
    await asyncio.sleep(60)


def test_cancelling_the_task_closes_the_response_in_flight() -> None:
    async def scenario() -> None:
        first = asyncio.Event()
        server = FakeServer(lambda request: httpx2.Response(200, content=endless_body()))
        model = make_model(server)

        async def consume() -> None:
            async for piece in model.stream(ask()):
                if piece == "Once":
                    first.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert server.responses[0].is_closed  # closed as the task ends, not later by garbage collection

    started = time.monotonic()
    asyncio.run(scenario())
    assert time.monotonic() - started < 5


def test_a_consumer_that_stops_reading_closes_the_response() -> None:
    async def scenario() -> None:
        server = FakeServer(lambda request: httpx2.Response(200, content=endless_body()))
        stream = make_model(server).stream(ask())
        assert await anext(stream) == "Once"
        await stream.aclose()  # what `async with aclosing(...)` and a team's stop do
        assert server.responses[0].is_closed

    asyncio.run(scenario())


# ----- event loops -----------------------------------------------------------------------------


def test_one_model_gets_a_client_per_event_loop_and_closes_it_with_the_loop() -> None:
    server = FakeServer(text_reply("ok"))
    made: list[httpx2.AsyncClient] = []

    def factory() -> httpx2.AsyncClient:
        made.append(httpx2.AsyncClient(transport=httpx2.MockTransport(server.handle)))
        return made[-1]

    model = OpenAIModel("m", base_url=BASE, http_client_factory=factory)

    async def twice() -> None:
        await collect(model, ask())
        await collect(model, ask())

    asyncio.run(twice())
    assert len(made) == 1 and made[0].is_closed  # reused within a loop, closed at its end

    results: list[str] = []
    worker = threading.Thread(target=lambda: results.append(call(model)[1].text))
    worker.start()
    worker.join()
    assert results == ["ok"]
    assert len(made) == 2 and made[1].is_closed
    assert len(server.requests) == 3


def test_importing_agentnb_models_does_not_import_openai() -> None:
    code = (
        "import sys, agentnb, agentnb.models, agentnb.models.openai_compat\n"
        "from agentnb.models import OpenAIModel\n"
        "OpenAIModel('m', base_url='http://localhost:1/v1')\n"
        "print('openai' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
