"""Agent(prepare=...): each model request can be narrowed to what the conversation allows."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from pydantic import BaseModel

from agentnb import Agent, RunError, Team, tool
from agentnb.core.events import ToolResult
from agentnb.models import FunctionModel, ModelRequest
from agentnb.models.scripted import call


@tool
def search(query: str) -> list[str]:
    """Search the archive."""
    return [f"an entry about {query}"]


class Verdict(BaseModel):
    verdict: str


def last_words(request: ModelRequest) -> list[str]:
    return request.messages[-1]["content"].rstrip(".").split()


def test_prepare_narrows_the_tool_schema_and_forces_the_tool() -> None:
    seen: list[ModelRequest] = []

    def narrow(request: ModelRequest) -> ModelRequest:
        if not request.tools:
            return request
        fn = request.tools[0]["function"]
        query = {"type": "string", "enum": last_words(request)}
        parameters = {"type": "object", "properties": {"query": query}, "required": ["query"]}
        narrowed = {"type": "function", "function": {**fn, "parameters": parameters}}
        return replace(request, tools=[narrowed], tool_choice="search")

    def model(request: ModelRequest) -> Any:
        seen.append(request)
        return call("search", query="park") if request.tools else "done"

    agent = Agent("checker", tools=[search], max_tool_iterations=1, prepare=narrow)
    result = Team([agent], model=FunctionModel(model), max_turns=1).run_sync("Check the park vote.")
    offered = seen[0].tools[0]["function"]["parameters"]["properties"]["query"]
    assert offered == {"type": "string", "enum": ["Check", "the", "park", "vote"]}
    assert seen[0].tool_choice == "search"
    assert search.schema["function"]["parameters"]["properties"]["query"] == {"type": "string"}  # unchanged
    assert [e.content for e in result.messages if isinstance(e, ToolResult)] == ['["an entry about park"]']


def test_prepare_narrows_the_reply_schema_and_the_reply_is_still_validated() -> None:
    seen: list[dict[str, Any] | None] = []

    schema = {"type": "object", "properties": {"verdict": {"enum": ["REVISE"]}}, "required": ["verdict"]}

    def only_revise(request: ModelRequest) -> ModelRequest:
        return replace(request, output_schema=schema)

    def model(request: ModelRequest) -> Any:
        seen.append(request.output_schema)
        return {"json": {"verdict": "REVISE"}}

    editor = Agent("editor", output_type=Verdict, prepare=only_revise)
    result = Team([editor], model=FunctionModel(model), max_turns=1).run_sync("Judge the draft.")
    assert seen == [schema]
    assert result.output == Verdict(verdict="REVISE")


def test_prepare_sees_every_request_of_a_turn() -> None:
    calls: list[list[str]] = []

    def note(request: ModelRequest) -> ModelRequest:
        calls.append([m["role"] for m in request.messages])
        return request

    def model(request: ModelRequest) -> Any:
        return call("search", query="park") if request.messages[-1]["role"] != "tool" else "found it"

    agent = Agent("checker", tools=[search], prepare=note)
    result = Team([agent], model=FunctionModel(model), max_turns=1).run_sync("Look it up.")
    assert [roles[-1] for roles in calls] == ["user", "tool"]
    assert result.final == "found it"


def test_a_prepare_that_edits_the_request_in_place_changes_only_that_call() -> None:
    """The hook's request is its own: editing a message or a tool schema in place must not rewrite
    the agent's context for later calls, another agent's view of the same message, or the tool."""
    seen: dict[str, list[list[str]]] = {"checker": [], "editor": []}

    def record(name: str) -> Any:
        def reply(request: ModelRequest) -> str:
            seen[name].append([str(m.get("content")) for m in request.messages])
            return "ok"

        return reply

    def shout(request: ModelRequest) -> ModelRequest:
        request.messages[-1]["content"] = "EDITED"
        for schema in request.tools:
            schema["function"]["description"] = "EDITED"
        return request

    checker = Agent("checker", tools=[search], prepare=shout, model=FunctionModel(record("checker")))
    editor = Agent("editor", model=FunctionModel(record("editor")))
    Team([checker, editor], max_turns=3).run_sync("The park opened.")
    assert seen["checker"][0][-1] == "EDITED"  # the edit reached the call it was made for
    assert "The park opened." in seen["editor"][0] and "EDITED" not in seen["editor"][0]
    assert "The park opened." in seen["checker"][1] and seen["checker"][1].count("EDITED") == 1
    assert search.schema["function"]["description"] == "Search the archive."


def test_a_prepare_that_returns_no_request_fails_the_run_with_the_agent_named() -> None:
    agent = Agent("editor", prepare=lambda request: None)  # type: ignore[arg-type,return-value]
    team = Team([agent], model=FunctionModel(lambda request: "ok"), max_turns=1)
    with pytest.raises(RunError, match=r"agent 'editor': prepare must return the ModelRequest to send"):
        team.run_sync("Go.")


def test_prepare_must_be_a_function() -> None:
    with pytest.raises(ValueError, match="prepare: expected a function of a ModelRequest"):
        Agent("editor", prepare="narrow")  # type: ignore[arg-type]
