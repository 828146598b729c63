"""ScriptedModel checks its scripts when it is made, so a wrong shape never plays out oddly."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from agentnb.models import FunctionModel, ModelError, ModelRequest, ScriptedModel, call, complete, handoff


def ask(agent: str = "writer") -> ModelRequest:
    return ModelRequest(agent=agent, messages=[{"role": "user", "content": "go"}])


def test_a_bare_string_is_rejected_instead_of_served_a_character_a_reply() -> None:
    with pytest.raises(ValueError, match="one character a reply") as info:
        ScriptedModel("hello")  # type: ignore[arg-type]
    assert "['Hello!']" in str(info.value) and "{'writer': ['Hello!']}" in str(info.value)


def test_a_script_that_is_a_string_says_to_wrap_it_in_a_list() -> None:
    with pytest.raises(ValueError, match=r"script for 'writer' must be a list of replies, got str") as info:
        ScriptedModel({"writer": "The council voted."})  # type: ignore[dict-item]
    assert "wrap it in a list: {'writer': ['The council voted.']}" in str(info.value)


@pytest.mark.parametrize("scripts", [42, None, {"writer": 7}, {3: ["x"]}])
def test_scripts_of_the_wrong_type_are_rejected(scripts: Any) -> None:
    with pytest.raises(ValueError, match="scripts:"):
        ScriptedModel(scripts)


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        (42, "a script item is text or a dict, not int"),
        ({}, "expected text, 'tool', 'calls', 'handoff' or 'json'"),
        ({"tool": "search", "arg": {"q": "x"}}, "unknown key 'arg'"),
        ({"calls": "search"}, "'calls' must be a list of calls"),
        ({"calls": [42]}, "a tool call is call('name', arg=...) or handoff('agent')"),
        ({"tool": 3}, "must be a name"),
        ({"tool": "search", "handoff": "editor"}, "either 'tool' or 'handoff'"),
        ({"tool": "search", "args": ["x"]}, "'args' must be a dict"),
        ({"text": ["x"]}, "'text' must be a string"),
    ],
)
def test_an_item_of_unknown_shape_is_rejected_at_construction_naming_agent_and_step(
    item: Any, problem: str
) -> None:
    with pytest.raises(ValueError) as info:
        ScriptedModel({"writer": ["fine", item]})
    assert "script 'writer' step 2" in str(info.value)
    assert problem in str(info.value)


def test_every_documented_item_shape_is_accepted() -> None:
    items = [
        "text",
        call("search", q="x"),
        call("search", raw="{not json"),
        {"calls": [call("a"), handoff("editor")]},
        handoff("editor"),
        {"json": {"x": 1}},
        {"text": "and", "calls": [call("a")]},
    ]
    assert ScriptedModel({"writer": items}).scripts["writer"] == items


def test_a_script_file_with_a_bad_item_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"writer": ["ok", {"tol": "search"}]}))
    with pytest.raises(
        ModelError, match=rf"script file {path}: scripts: script 'writer' step 2: unknown key"
    ):
        ScriptedModel.from_file(path)


def test_a_function_model_returning_a_bad_item_gets_the_same_message() -> None:
    model = FunctionModel(lambda request: {"calls": "search"}, name="fn")
    with pytest.raises(ModelError, match="fn call 1: 'calls' must be a list of calls"):
        asyncio.run(complete(model, ask()))
