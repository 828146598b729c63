"""A custom model that sends something other than a `ModelReply` with a text and a list of calls
ends the run with an error that names the model and what it sent, never an internal
AttributeError or TypeError; the transcript up to it is kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from agentnb import Agent, RunError, Team
from agentnb.core.events import Stop, ToolCall
from agentnb.core.model import ModelError, ModelReply, ModelRequest


class HomeMadeModel:
    """A user's own model: streams ``pieces``, then ``last`` (unless it is ``...``)."""

    name = "home-made"

    def __init__(self, last: Any, *pieces: str) -> None:
        self.last, self.pieces = last, pieces

    async def stream(self, request: ModelRequest) -> AsyncIterator[Any]:
        for piece in self.pieces:
            yield piece
        if self.last is not ...:
            yield self.last


class NotAReply:
    def __repr__(self) -> str:
        return "NotAReply(text='hi')"


def reply(**fields: Any) -> ModelReply:
    """A `ModelReply` as a careless model makes one (its fields are not checked when made)."""
    return ModelReply(**fields)


CASES = [
    (reply(text=None), "returned a ModelReply with text=None (expected a string, '' for none)"),
    (
        reply(text=None, tool_calls=None),
        "returned a ModelReply with text=None (expected a string, '' for none); "
        "tool_calls=None (expected a list of ToolCall)",
    ),
    (reply(text=42), "returned a ModelReply with text=42 (expected a string"),
    (
        reply(text="", tool_calls=[{"name": "search"}]),
        "returned a ModelReply with tool_calls=[{'name': 'search'}] (expected a list of ToolCall)",
    ),
    (reply(text="hi", tool_calls=[None]), "returned a ModelReply with tool_calls=[None] (expected a list"),
    (reply(text="hi", usage=None), "returned a ModelReply with usage=None (expected a Usage)"),
    (..., "ended its stream without a reply (a ModelReply must come last)"),
    (None, "ended its stream without a reply (a ModelReply must come last)"),
    (
        {"text": "hi"},
        "streamed dict {'text': 'hi'}; a model yields text pieces (str) and then one ModelReply",
    ),
    (NotAReply(), "streamed NotAReply NotAReply(text='hi'); a model yields text pieces (str)"),
]


@pytest.mark.parametrize(("last", "said"), CASES, ids=[repr(last)[:40] for last, _ in CASES])
def test_a_model_that_sends_a_broken_reply_ends_the_run_naming_the_model_and_what_it_sent(
    last: Any, said: str
) -> None:
    team = Team([Agent("writer")], model=HomeMadeModel(last, "Hel", "lo"), max_turns=2)
    with pytest.raises(RunError) as info:
        team.run_sync("Write a headline.")
    message = str(info.value)
    assert f"team 'team' stopped with an error: model 'home-made' {said}" in message
    cause = info.value.__cause__
    assert isinstance(cause, ModelError) and not isinstance(cause, AttributeError | TypeError)
    kept = info.value.result
    assert kept.task == "Write a headline." and isinstance(kept.messages[-1], Stop)
    assert kept.messages[-1].failed and "model 'home-made'" in kept.stop_reason


def test_a_broken_reply_after_a_tool_round_is_named_too() -> None:
    def lookup(term: str) -> str:
        """Look a term up."""
        return f"{term}: found"

    class CallsThenBreaks(HomeMadeModel):
        async def stream(self, request: ModelRequest) -> AsyncIterator[Any]:
            if any(m.get("role") == "tool" for m in request.messages):
                yield reply(text=None)
            else:
                yield ModelReply(tool_calls=[ToolCall(id="c1", name="lookup", arguments='{"term": "park"}')])

    team = Team([Agent("writer", tools=[lookup])], model=CallsThenBreaks(...), max_turns=1)
    with pytest.raises(RunError, match=r"model 'home-made' returned a ModelReply with text=None") as info:
        team.run_sync("Look it up.")
    assert [e.content for e in info.value.result.messages if type(e).__name__ == "ToolResult"] == [
        "park: found"
    ]


def test_no_tool_calls_given_as_none_is_read_as_none() -> None:
    """``tool_calls=None`` next to a text is unambiguous: the text is the reply."""
    given = reply(text="Park opens in June.", tool_calls=None)
    result = Team([Agent("writer")], model=HomeMadeModel(given), max_turns=1).run_sync("Write.")
    assert result.final == "Park opens in June." and result.stop_reason == "max turns reached (1)"
