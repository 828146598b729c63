"""The positional makers the hot path builds events with make the same events as the classes."""

from __future__ import annotations

import dataclasses
import time

from agentnb.core.events import SpeakerSelected, TextMessage, TokenDelta, Usage
from agentnb.core.makers import reply_message, speaker_selected, token_delta


def fields_of(event: object) -> dict[str, object]:
    """Every field, defaults included (a field a maker forgot to set raises AttributeError here)."""
    return {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}  # type: ignore[arg-type]


def test_each_maker_builds_what_the_class_builds_field_for_field():
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
        assert fields_of(event) == {**fields_of(twin), "at": event.at}
        assert twin.at - 1 < event.at <= time.time()  # the time it was made
        assert event.shared_view is None  # the readers' cache is set, so reading it never misses
        assert event == dataclasses.replace(twin, at=event.at)
