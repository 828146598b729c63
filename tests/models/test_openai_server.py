"""OpenAIModel against a real OpenAI-compatible server: llama.cpp's, running SmolLM2-135M.

The model is tiny, so these tests check structure (text arrives, tools are named with JSON
arguments, JSON matches its schema, a team completes its turns), not the quality of answers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from agentnb import Agent, Team, tool
from agentnb.core.events import TextMessage, ToolCalls, ToolResult
from agentnb.core.model import Model, ModelReply, ModelRequest, complete
from agentnb.models.openai_compat import OpenAIModel, ServerFeatureWarning
from tests.conftest import require
from tests.models.llama_server import llama_server, missing_packages
from tests.models.schemas import ADD

pytestmark = pytest.mark.server


class City(BaseModel):
    name: str
    population: int


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    missing = missing_packages()
    require(not missing, f"llama.cpp's server ({', '.join(missing)}; pip install 'agentnb[server]')")
    with llama_server() as url:
        yield url


def smol(url: str, **options: Any) -> OpenAIModel:
    """The served model, kept short and repeatable."""
    return OpenAIModel("smollm2", base_url=url, params={"max_tokens": 48, "temperature": 0}, **options)


def ask(text: str, **fields: Any) -> ModelRequest:
    messages = [{"role": "system", "content": "You are brief."}, {"role": "user", "content": text}]
    return ModelRequest(agent="tester", messages=messages, **fields)


async def pieces_of(model: Model, request: ModelRequest) -> list[str | ModelReply]:
    return [piece async for piece in model.stream(request)]


class ForceTool:
    """Forces ``tool`` whenever tools are offered: SmolLM2 calls tools only when forced."""

    def __init__(self, model: Model, tool: str) -> None:
        self.model, self.tool, self.name = model, tool, model.name

    def stream(self, request: ModelRequest) -> AsyncIterator[str | ModelReply]:
        if request.tools:
            request = dataclasses.replace(request, tool_choice=self.tool)
        return self.model.stream(request)


def test_chat_returns_text_and_the_servers_usage(server_url: str) -> None:
    reply = asyncio.run(complete(smol(server_url, stream=False), ask("Name a colour.")))
    assert reply.text.strip()
    assert reply.tool_calls == []
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0


def test_streamed_chat_arrives_in_several_deltas(server_url: str) -> None:
    *deltas, reply = asyncio.run(pieces_of(smol(server_url), ask("Describe a park in two sentences.")))
    assert isinstance(reply, ModelReply)
    assert len(deltas) >= 3 and all(isinstance(d, str) for d in deltas)
    assert "".join(deltas) == reply.text and reply.text.strip()
    assert reply.usage.completion_tokens > 0  # estimated: llama.cpp reports no usage in streams


def test_forced_tool_call_names_the_tool_with_json_arguments(server_url: str) -> None:
    reply = asyncio.run(
        complete(smol(server_url), ask("What is 17 plus 25?", tools=[ADD], tool_choice="add"))
    )
    assert [c.name for c in reply.tool_calls] == ["add"]
    arguments = json.loads(reply.tool_calls[0].arguments)
    assert isinstance(arguments, dict)
    assert reply.tool_calls[0].id


def test_structured_output_matches_the_schema_after_learning_the_fallback(server_url: str) -> None:
    model = smol(server_url)
    request = ask(
        "Give one city and its population.", output_schema=City.model_json_schema(), output_name="City"
    )
    # llama.cpp's server has no response_format json_schema; json_object with a schema works
    with pytest.warns(ServerFeatureWarning, match="json_schema"):
        first = asyncio.run(complete(model, request))
    City.model_validate_json(first.text)
    second = asyncio.run(complete(model, request))
    City.model_validate_json(second.text)


def test_a_team_of_two_takes_turns_over_http(server_url: str) -> None:
    writer = Agent("writer", "You write one short sentence about the topic.")
    editor = Agent("editor", "You improve the writer's sentence and reply with it.")
    team = Team([writer, editor], mode="round_robin", max_turns=2, model=smol(server_url))
    result = team.run_sync("A new park opened downtown.")
    replies = [m for m in result.chat() if m.source != "user"]
    assert [m.source for m in replies] == ["writer", "editor"]
    assert all(m.content.strip() for m in replies)
    assert result.usage.total_tokens > 0


def test_an_agent_calls_a_tool_over_http_and_then_answers(server_url: str) -> None:
    @tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    calculator = Agent(
        "calculator",
        "You add numbers with the add tool, then state the sum.",
        tools=[add],
        max_tool_iterations=1,
        model=ForceTool(smol(server_url), "add"),
    )
    result = Team([calculator], max_turns=1).run_sync("What is 17 plus 25?")
    calls = [e for e in result.messages if isinstance(e, ToolCalls)]
    outcomes = [e for e in result.messages if isinstance(e, ToolResult)]
    assert [c.name for c in calls[0].calls] == ["add"]
    assert len(outcomes) == 1 and not outcomes[0].is_error  # the arguments were valid JSON for add
    answers = [e for e in result.messages if isinstance(e, TextMessage) and e.source == "calculator"]
    assert answers and answers[-1].content.strip()  # the tool result went back over HTTP


def test_one_model_serves_a_running_loop_and_run_sync_worker_threads(server_url: str) -> None:
    """In Jupyter run_sync runs each team on a fresh loop in a thread; one model serves them all."""
    model = smol(server_url)
    agent = Agent("writer", "You write one short sentence.", model=model)

    async def notebook_cell() -> list[str]:
        direct = await complete(model, ask("Say hello."))
        first = Team([agent], max_turns=1).run_sync("Write about rain.")  # a loop is running here
        second = Team([agent], max_turns=1).run_sync("Write about snow.")
        return [direct.text, first.chat()[-1].content, second.chat()[-1].content]

    texts = asyncio.run(notebook_cell())
    assert len(texts) == 3 and all(text.strip() for text in texts)
