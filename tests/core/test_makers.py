"""The positional makers the hot path builds events with make the same events as the classes."""

from __future__ import annotations

import dataclasses
import time

import pytest

from agentnb.core.events import SpeakerSelected, TextMessage, TokenDelta, ToolCall, ToolCalls, Usage
from agentnb.core.makers import maker, reply_message, speaker_selected, token_delta


def fields_of(event: object) -> dict[str, object]:
    return {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}  # type: ignore[arg-type]


def test_each_maker_the_core_uses_builds_what_the_class_builds() -> None:
    usage = Usage(prompt_tokens=3, completion_tokens=1)
    made = [
        speaker_selected("team", "a", 3, "round robin", usage, "m", "spec", 1.5),
        reply_message("a", "hello", "s1", usage, "m", "spec", 1.0, 1.2),
        token_delta("a", "hel", "s1"),
    ]
    expected = [
        SpeakerSelected(
            source="team", speaker="a", turn=3, reason="round robin", usage=usage, model="m",
            request_model="spec", started_at=1.5,
        ),
        TextMessage(
            source="a", content="hello", step="s1", usage=usage, model="m", request_model="spec",
            started_at=1.0, first_token_at=1.2,
        ),
        TokenDelta(source="a", text="hel", step="s1"),
    ]  # fmt: skip
    for event, twin in zip(made, expected, strict=True):
        assert type(event) is type(twin)
        assert fields_of(event) == {**fields_of(twin), "at": event.at}  # every field, defaults included
        assert twin.at - 1 < event.at <= time.time()  # a default factory is called per event
        assert event.shared_view is None  # the readers' cache is set, so reading it never misses


def test_a_maker_runs_the_classes_post_init() -> None:
    make = maker(ToolCalls, "source", "calls")
    event = make("a", [ToolCall(id="1", name="f")])
    assert event.calls == (ToolCall(id="1", name="f"),)  # the list became a tuple, as in the class


def test_a_maker_refuses_unknown_fields_and_missing_required_ones() -> None:
    with pytest.raises(TypeError, match="no field 'text'"):
        maker(TextMessage, "source", "text")
    with pytest.raises(TypeError, match="required field 'content'"):
        maker(TextMessage, "source")
