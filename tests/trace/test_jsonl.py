"""JSONL export and import: a saved trace views, sums and exports like the original."""

from __future__ import annotations

import json

import pytest

from agentnb.trace import Trace
from tests.trace.test_spans import round_robin_with_tool


def fields(trace: Trace) -> list[tuple]:
    return [
        (
            s.id,
            s.parent.id if s.parent else None,
            s.name,
            s.start,
            s.end,
            s.seq,
            s.end_seq,
            s.status,
            s.error,
            s.model,
            s.usage,
            s.cost,
            s.agent,
            s.scope,
        )
        for s in trace.spans
    ]


def test_a_trace_round_trips_through_jsonl(tmp_path):
    original = Trace.from_events(round_robin_with_tool(), capture_content=True)
    path = tmp_path / "run.jsonl"
    text = original.to_jsonl(path, capture_content=True)
    assert path.read_text(encoding="utf-8") == text
    lines = text.splitlines()
    assert json.loads(lines[0])["format"] == "agentnb-trace" and len(lines) == len(original.spans) + 1
    loaded = Trace.from_jsonl(path)
    assert fields(loaded) == fields(original)
    assert [loaded.attributes(s) for s in loaded.spans] == [original.attributes(s) for s in original.spans]
    assert [loaded.content(s) for s in loaded.spans] == [original.content(s) for s in original.spans]
    assert loaded.view(times=False).html() == original.view(times=False).html()
    assert Trace.from_jsonl(text).summary().total == original.summary().total


def test_content_is_saved_only_when_asked(monkeypatch):
    trace = Trace.from_events(round_robin_with_tool(), capture_content=True)
    text = trace.to_jsonl()
    assert "park" not in text and '"content"' not in text
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    assert "park" in trace.to_jsonl()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"format": "other"}\n', "the trace text is not a saved agentnb trace .*write one with trace"),
        ('{"format": "agentnb-trace", "version": 99}\n', "version 99; .*newer agentnb: upgrade agentnb"),
        (
            '{"format": "agentnb-trace", "version": 1}\n{"id": 0}\n',
            r"the trace text, line 2: not a span record \(no 'operation' field\)",
        ),
    ],
)
def test_a_file_that_is_not_a_trace_is_refused_with_the_reason(text, message):
    with pytest.raises(ValueError, match=message):
        Trace.from_jsonl(text)
