"""Every event round-trips through JSON, whatever its content."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from agentnb.core.events import (
    Approval,
    ErrorEvent,
    Handoff,
    SpeakerSelected,
    Stop,
    TextMessage,
    TokenDelta,
    ToolCall,
    ToolCalls,
    ToolResult,
    Usage,
    event_from_json,
    event_to_json,
    events_from_json,
)

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,10}", fullmatch=True)
text = st.text(max_size=200)
times = st.floats(min_value=0, max_value=4e9, allow_nan=False)
usages = st.builds(Usage, prompt_tokens=st.integers(0, 10**6), completion_tokens=st.integers(0, 10**6))
calls = st.builds(ToolCall, id=names, name=names, arguments=text)
common = {"source": names, "scope": st.sampled_from(["", "inner", "outer/inner"]), "at": times}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**9), 10**9) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)

events = st.one_of(
    st.builds(
        TextMessage,
        content=text,
        data=st.none() | st.dictionaries(st.text(max_size=5), json_values, max_size=3),
        usage=st.none() | usages,
        model=st.none() | names,
        **common,
    ),
    st.builds(ToolCalls, calls=st.lists(calls, max_size=3), content=text, usage=st.none() | usages, **common),
    st.builds(
        ToolResult,
        call_id=names,
        name=names,
        content=text,
        is_error=st.booleans(),
        duration=st.floats(0, 1e4, allow_nan=False),
        **common,
    ),
    st.builds(Handoff, target=names, **common),
    st.builds(Approval, call_id=names, tool=names, approved=st.booleans(), comment=text, **common),
    st.builds(TokenDelta, text=text, **common),
    st.builds(
        SpeakerSelected,
        speaker=names,
        turn=st.integers(0, 10**6),
        reason=text,
        usage=st.none() | usages,
        **common,
    ),
    st.builds(ErrorEvent, content=text, **common),
    st.builds(Stop, reason=text, **common),
)


@given(events)
def test_every_event_round_trips_through_json(event):
    restored = event_from_json(event_to_json(event))
    assert type(restored) is type(event)
    assert restored == event


@given(st.lists(events, max_size=6))
def test_a_transcript_round_trips_as_a_json_array(transcript):
    text = json.dumps([json.loads(event_to_json(e)) for e in transcript])
    assert events_from_json(text) == transcript


def test_usage_adds_up():
    total = Usage(prompt_tokens=3, completion_tokens=4) + Usage(prompt_tokens=10, completion_tokens=1)
    assert (total.prompt_tokens, total.completion_tokens, total.total_tokens) == (13, 5, 18)


def test_tool_call_keeps_malformed_arguments_as_text():
    assert ToolCall(id="1", name="f", arguments='{"a": 1}').parsed_arguments() == {"a": 1}
    assert ToolCall(id="1", name="f", arguments="{oops").parsed_arguments() == "{oops"
