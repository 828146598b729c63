"""Cassettes: a recorded run replays offline to the same events; secrets never reach the file."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentnb import Agent, RunError, Team, tool
from agentnb.core.events import TIMING_FIELDS, Event
from agentnb.models import FunctionModel, ModelError, ModelRequest, ScriptedModel, call, complete
from agentnb.models.cassette import RecordingModel, ReplayModel, load, replay
from agentnb.models.openai_compat import OpenAIModel
from agentnb.models.spec import record


@tool
def lookup(topic: str) -> str:
    """Look a topic up in the archive."""
    return f"archive: {topic} passed 5-2"


def newsroom_script() -> ScriptedModel:
    return ScriptedModel(
        {
            "writer": ["The council voted on the park.", "Revised: the park vote passed 5-2."],
            "checker": [call("lookup", topic="park vote"), "Confirmed by the archive: 5-2."],
        }
    )


def make_team(model: Any) -> Team:
    writer = Agent("writer", "You write short news.")
    checker = Agent("checker", "You check facts.", tools=[lookup])
    return Team([writer, checker], model=model, max_turns=3)


def run_events(model: Any, task: str = "Write about the park vote") -> list[dict[str, Any]]:
    """A team's whole event stream (token deltas included), without timestamps or durations."""

    async def go() -> list[Event]:
        return [event async for event in make_team(model).stream(task)]

    return [event.model_dump(exclude=TIMING_FIELDS | {"request_model"}) for event in asyncio.run(go())]


def ask(text: str, agent: str = "writer") -> ModelRequest:
    return ModelRequest(agent=agent, messages=[{"role": "user", "content": text}])


def test_a_recorded_run_replays_offline_to_the_same_events(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    live = run_events(record(newsroom_script(), path))
    replayed = run_events(replay(path))
    assert replayed == live
    assert any(e["type"] == "token" for e in live)  # the same deltas streamed, not only the replies
    assert any(e["type"] == "tool_calls" for e in live)


def test_the_cassette_is_readable_json_one_interaction_per_call(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    run_events(record(newsroom_script(), path))
    text = path.read_text()
    assert text.startswith('{\n  "format": "agentnb-cassette"')  # indented, readable
    interactions = load(path)
    assert [i["request"]["agent"] for i in interactions] == ["writer", "checker", "checker", "writer"]
    first = interactions[0]
    assert set(first) == {"key", "request", "response", "chunks"}
    assert len(first["key"]) == 64
    assert "prompt_tokens" not in first["request"]
    assert first["response"]["text"] == "The council voted on the park."
    assert "".join(first["chunks"]) == first["response"]["text"] and len(first["chunks"]) > 1
    assert first["response"]["usage"]["completion_tokens"] > 0
    assert first["response"]["model"] == "scripted"
    assert interactions[1]["response"]["tool_calls"][0]["name"] == "lookup"


def test_strict_replay_shows_what_differs(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    run_events(record(newsroom_script(), path))
    with pytest.raises(RunError) as info:
        run_events(replay(path), task="Write about the library budget")
    assert isinstance(info.value.__cause__, ModelError)
    lines = str(info.value.__cause__).splitlines()
    assert "no recorded interaction matches call 1 (agent 'writer')" in lines[0]
    assert "strict=False" in lines[0]
    changed = [line for line in lines if line[:1] in "+-" and "content" in line]
    assert changed == [
        '-   "content": "Write about the park vote",',
        '+   "content": "Write about the library budget",',
    ]


def test_lenient_replay_serves_interactions_in_order(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    model = record(FunctionModel(lambda r: f"reply to {r.messages[-1]['content']}"), path)

    async def go(m: Any, texts: list[str]) -> list[str]:
        return [(await complete(m, ask(t))).text for t in texts]

    asyncio.run(go(model, ["one", "two"]))
    lenient = replay(path, strict=False)
    assert asyncio.run(go(lenient, ["different", "requests"])) == ["reply to one", "reply to two"]
    with pytest.raises(ModelError, match="has 2 interactions and the run asked for call 3"):
        asyncio.run(go(lenient, ["three"]))
    strict = replay(path)
    assert asyncio.run(go(strict, ["two", "one"])) == ["reply to two", "reply to one"]


def test_a_request_recorded_twice_gets_its_replies_in_order(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    answers = iter(["first", "second"])
    model = record(FunctionModel(lambda r: next(answers)), path)

    async def go(m: Any, n: int) -> list[str]:
        return [(await complete(m, ask("same"))).text for _ in range(n)]

    asyncio.run(go(model, 2))
    assert asyncio.run(go(replay(path), 3)) == ["first", "second", "second"]


def test_an_interrupted_recording_leaves_a_valid_cassette(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    RecordingModel(ScriptedModel(["x"]), path)
    assert load(path) == []  # valid from the start, before any call

    def reply(request: ModelRequest) -> str:
        if request.messages[-1]["content"] == "boom":
            raise KeyboardInterrupt
        return "ok"

    model = record(FunctionModel(reply), path)

    async def go() -> None:
        await complete(model, ask("fine"))
        await complete(model, ask("boom"))

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(go())
    interactions = json.loads(path.read_text())["interactions"]
    assert [i["response"]["text"] for i in interactions] == ["ok"]
    assert not list(tmp_path.glob(".*.tmp"))  # no half-written temp files left behind


def test_replaying_a_file_that_is_not_a_cassette_says_so(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text("[1, 2]")
    with pytest.raises(ModelError, match=r"not a saved agentnb cassette .*; record one with models\.record"):
        replay(path)
    with pytest.raises(ModelError, match=r"cannot read .*missing\.json"):
        replay(tmp_path / "missing.json")


ENV_KEY = "sk-planted" + "EnvKey0123456789abcdef"
HEADER_KEY = "planted-header-secret-9f8e7d6c5b4a"
MESSAGE_KEY = "sk-planted" + "MessageKey9876543210zyx"


def test_no_secret_reaches_a_cassette(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTNB_TEST_API_KEY", ENV_KEY)
    seen: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = json.loads(request.content)
        echoed = body["messages"][-1]["content"]
        return httpx.Response(
            200,
            json={
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": "echo",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": f"You said: {echoed} {ENV_KEY}"},
                    }
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
            },
        )

    live = OpenAIModel(
        "echo",
        base_url="http://127.0.0.1:9/v1",
        api_key_env="AGENTNB_TEST_API_KEY",
        headers={"X-Custom-Auth": HEADER_KEY},
        stream=False,
        http_client_factory=lambda: httpx.AsyncClient(transport=httpx.MockTransport(server)),
    )
    path = tmp_path / "run.json"
    model = record(live, path)
    task = f"my key is {MESSAGE_KEY} and my header is {HEADER_KEY}"
    reply = asyncio.run(complete(model, ask(task)))
    assert MESSAGE_KEY in reply.text  # the live call really carried the planted secrets
    assert seen[0].headers["authorization"] == f"Bearer {ENV_KEY}"
    assert seen[0].headers["x-custom-auth"] == HEADER_KEY

    text = path.read_text()
    for secret in (ENV_KEY, HEADER_KEY, MESSAGE_KEY, "sk-planted"):
        assert secret not in text
    assert "[REDACTED]" in text
    assert "You said: my key is [REDACTED]" in text
    assert os.environ["AGENTNB_TEST_API_KEY"] == ENV_KEY
    # the scrubbed cassette still replays the same request (keys hash the request as made)
    assert asyncio.run(complete(replay(path), ask(task))).text.startswith("You said: my key is [REDACTED]")


def test_replay_model_is_named_after_its_file(tmp_path: Path) -> None:
    path = tmp_path / "debate.json"
    record(ScriptedModel(["x"]), path)
    model = ReplayModel(path)
    assert model.name == "replay:debate.json"
    asyncio.run(complete(record(ScriptedModel(["hi"]), path), ask("a")))
    model = replay(path)
    reply = asyncio.run(complete(model, ask("a")))
    assert (reply.text, reply.model) == ("hi", "scripted")
    model.reset()
    assert asyncio.run(complete(model, ask("a"))).text == "hi"


def write_cassette(path: Path, interactions: Any) -> Path:
    path.write_text(json.dumps({"format": "agentnb-cassette", "version": 1, "interactions": interactions}))
    return path


GOOD = {"key": "k", "request": {}, "response": {"text": "hi"}, "chunks": ["hi"]}


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("just text", "a string, not an object"),
        ([GOOD], "a list, not an object"),
        ({"key": "k"}, "response: Field required"),
        ({**GOOD, "response": ["hi"]}, "response:"),
        ({**GOOD, "response": {"text": 7}}, "response.text:"),
        ({**GOOD, "chunks": "hi"}, "chunks:"),
        ({**GOOD, "key": ["k"]}, "key:"),
        ({**GOOD, "response": {"tool_calls": [{"name": "x"}]}}, "response.tool_calls.0.id:"),
    ],
)
def test_a_corrupt_interaction_is_named_by_file_and_number(tmp_path: Path, bad: Any, problem: str) -> None:
    path = write_cassette(tmp_path / "run.json", [GOOD, bad])
    with pytest.raises(ModelError) as info:
        replay(path)
    message = str(info.value)
    assert f"cassette {path} interaction 2: not a stored model interaction" in message
    assert problem in message


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
INTERACTION = st.fixed_dictionaries(
    {},
    optional={
        "key": JSON | st.text(max_size=5),
        "request": JSON,
        "response": JSON
        | st.fixed_dictionaries(
            {},
            optional={"text": JSON, "tool_calls": JSON, "usage": JSON, "model": JSON},
        ),
        "chunks": JSON | st.lists(st.text(max_size=3), max_size=3),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(interactions=st.lists(INTERACTION | JSON, max_size=3))
def test_any_cassette_content_replays_or_fails_with_a_model_error(tmp_path: Path, interactions: Any) -> None:
    path = write_cassette(tmp_path / "fuzz.json", interactions)
    try:
        model = replay(path, strict=False)
    except ModelError as exc:
        assert str(path) in str(exc)
        return
    for _ in interactions:  # every interaction the loader accepted replays
        reply = asyncio.run(complete(model, ask("anything")))
        assert isinstance(reply.text, str) and isinstance(reply.model, str)
