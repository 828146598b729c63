"""Spans are built with the cyclic collector paused, and it is left as it was."""

from __future__ import annotations

import gc

import pytest

from agentnb.core.events import SpeakerSelected, TextMessage
from agentnb.trace import Trace
from agentnb.trace.batch import paused_collector


def test_the_collector_runs_again_after_a_trace_is_built() -> None:
    assert gc.isenabled()
    trace = Trace.from_events(
        [TextMessage(source="user", content="go"), SpeakerSelected(source="team", speaker="a", turn=1)]
    )
    assert len(trace.spans) == 2
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused() -> None:
    gc.disable()
    try:
        with paused_collector():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_runs_again_when_the_block_fails() -> None:
    with pytest.raises(RuntimeError), paused_collector():
        assert not gc.isenabled()
        raise RuntimeError("a handler failed")
    assert gc.isenabled()
