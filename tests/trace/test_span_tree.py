"""However a trace is first read, its spans come with their tree: a span's ``children`` and ``walk``."""

from __future__ import annotations

from agentnb.trace import Trace
from tests.trace.test_spans import round_robin_with_tool


def test_spans_read_first_from_trace_spans_know_their_children():
    trace = Trace.from_events(round_robin_with_tool())
    root = trace.spans[0]
    assert [s.name for s in root.children] == ["invoke_agent writer", "invoke_agent checker"]
    assert len(list(root.walk())) == len(trace.spans) == 7


def test_spans_added_after_a_first_read_are_linked_on_the_next_read():
    events = round_robin_with_tool()
    trace = Trace.from_events(events[:3])
    assert [s.name for s in trace.spans[0].walk()] == [
        "invoke_workflow news",
        "invoke_agent writer",
        "chat gpt-4o-mini",
    ]
    for event in events[3:]:
        trace.feed(event)
    assert len(list(trace.spans[0].walk())) == 7


def test_spans_read_first_from_the_summary_know_their_children():
    """Lesson 5 hands a span from ``summary().slowest`` to a grader that walks its whole run."""
    trace = Trace.from_events(round_robin_with_tool())
    span = trace.summary().slowest[0]
    while span.parent is not None:
        assert span in span.parent.children
        span = span.parent
    assert len(list(span.walk())) == 7
