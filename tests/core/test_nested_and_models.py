"""Nested teams, and the offline models: scripted, function, auto; latency and faults."""

from __future__ import annotations

import asyncio
import json

import pytest
from pydantic import BaseModel, Field

from agentnb import Agent, Team, tool
from agentnb.core.events import TextMessage, ToolResult
from agentnb.models import AutoModel, FunctionModel, ModelError, ModelRequest, ScriptedModel, complete


def request(agent="a", **kw):
    return ModelRequest(agent=agent, messages=[{"role": "user", "content": "hi"}], **kw)


def test_a_nested_team_takes_a_turn_and_its_events_are_scoped():
    model = ScriptedModel({"researcher": ["fact A"], "summarizer": ["summary of A"], "lead": ["thanks"]})
    inner = Team(
        [Agent("researcher"), Agent("summarizer")],
        name="research",
        max_turns=2,
        description="Researches a question.",
    )
    outer = Team([inner, Agent("lead")], model=model, max_turns=2)
    result = outer.run_sync("What about A?")
    top = [(m.source, m.content) for m in result.chat()]
    assert top == [("user", "What about A?"), ("research", "summary of A"), ("lead", "thanks")]
    scoped = [m for m in result.messages if isinstance(m, TextMessage) and m.scope == "research"]
    assert [m.source for m in scoped] == ["user", "researcher", "summarizer"]
    # the outer transcript keeps the inner events (scoped), so checkpoints cover them too
    assert [e.source for e in outer.transcript if e.scope == "research" and isinstance(e, TextMessage)] == [
        "user",
        "researcher",
        "summarizer",
    ]
    assert len(inner.transcript) == sum(1 for e in outer.transcript if e.scope == "research")
    assert result.usage.completion_tokens > 0


def test_scripted_model_error_names_the_agent_and_step_when_it_runs_out():
    model = ScriptedModel({"writer": ["one"]})
    asyncio.run(complete(model, request("writer")))
    with pytest.raises(
        ModelError, match=r"script for 'writer' has 1 replies and agent 'writer' asked for reply 2"
    ):
        asyncio.run(complete(model, request("writer")))


def test_scripted_model_rejects_a_reply_that_does_not_fit_the_request():
    model = ScriptedModel({"a": [{"tool": "search", "args": {}}]})
    with pytest.raises(ModelError, match=r"step 1: the script calls 'search'.*no tools"):
        asyncio.run(complete(model, request()))
    with pytest.raises(ModelError, match="asked for none"):
        asyncio.run(complete(ScriptedModel([{"json": {"x": 1}}]), request()))
    with pytest.raises(ModelError, match="no script for agent 'b'"):
        asyncio.run(complete(ScriptedModel({"a": ["x"]}), request("b")))


def test_scripted_model_loads_json_files(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"a": ["from file"]}))
    assert asyncio.run(complete(ScriptedModel.from_file(path), request())).text == "from file"
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(ModelError, match="cannot read script file"):
        ScriptedModel.from_file(bad)


def test_offline_models_stream_deltas_that_rebuild_the_text_and_count_tokens():
    async def collect():
        return [c async for c in ScriptedModel(["the quick brown fox"]).stream(request(prompt_tokens=7))]

    chunks = asyncio.run(collect())
    assert "".join(chunks[:-1]) == "the quick brown fox" and len(chunks) == 5
    reply = chunks[-1]
    assert reply.usage.prompt_tokens == 7 and reply.usage.completion_tokens == 5


def test_function_model_accepts_sync_and_async_functions():
    async def async_reply(req):
        return f"async {req.agent}"

    assert asyncio.run(complete(FunctionModel(lambda r: "sync"), request())).text == "sync"
    assert asyncio.run(complete(FunctionModel(async_reply), request("z"))).text == "async z"


def test_faults_and_latency_are_injected_per_call():
    model = ScriptedModel({"*": ["ok"]}, loop=True, faults={1: ConnectionError("cable unplugged")})
    assert asyncio.run(complete(model, request())).text == "ok"
    with pytest.raises(ConnectionError, match="cable unplugged"):
        asyncio.run(complete(model, request()))
    assert asyncio.run(complete(model, request())).text == "ok"


class Address(BaseModel):
    street: str = Field(min_length=12)
    number: int = Field(ge=1, le=9)
    tags: list[str]


class Person(BaseModel):
    name: str
    age: int | None
    home: Address
    role: str = Field(json_schema_extra={"enum": ["writer", "editor"]})


def test_auto_model_calls_offered_tools_with_schema_valid_arguments():
    received = []

    @tool(blocking=False)
    def register(person: Person, urgent: bool = False) -> str:
        """Register a person."""
        received.append(person)
        return "registered"

    agent = Agent("clerk", tools=[register], model=AutoModel(seed=3))
    result = Team([agent], max_turns=1).run_sync("register someone")
    outcome = [m for m in result.messages if isinstance(m, ToolResult)]
    assert [o.content for o in outcome] == ["registered"]
    assert len(received[0].home.street) >= 12 and 1 <= received[0].home.number <= 9
    assert result.final and "clerk" in result.final


def test_auto_model_returns_schema_valid_structured_output_deterministically():
    def run(seed):
        agent = Agent("maker", output_type=Person, model=AutoModel(seed=seed))
        return Team([agent], max_turns=1).run_sync("make a person").output

    first, again = run(1), run(1)
    assert isinstance(first, Person)
    assert first == again
    assert first.role in ("writer", "editor")


def test_auto_model_hands_off_by_default_and_not_with_handoffs_false():
    team = Team([Agent("a"), Agent("b")], mode="handoff", model=AutoModel(), max_turns=1)
    result = team.run_sync("hi")
    assert [(m.source, m.target) for m in result.messages if m.type == "handoff"] == [("a", "b")]
    quiet = Team([Agent("a"), Agent("b")], mode="handoff", model=AutoModel(handoffs=False), max_turns=1)
    result = quiet.run_sync("hi")
    assert not [m for m in result.messages if m.type == "handoff"] and result.final
