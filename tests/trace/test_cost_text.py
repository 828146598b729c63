"""A partly priced total says how many calls have no price, in words that read right."""

from __future__ import annotations

from agentnb.core.events import SpeakerSelected, TextMessage, Usage
from agentnb.trace import Trace

USAGE = Usage(prompt_tokens=1_000_000, completion_tokens=0)


def partly_priced(unpriced: int) -> str:
    models = ["gpt-4o-mini"] + ["my-own-model"] * unpriced
    events = []
    for turn, model in enumerate(models, start=1):
        events.append(SpeakerSelected(source="t", speaker="a", turn=turn, at=float(turn)))
        events.append(TextMessage(source="a", content="x", usage=USAGE, model=model, at=turn + 0.5))
    return Trace.from_events(events).view(times=False).text()


def test_one_unpriced_call_is_one_call():
    assert "cost ≥ $0.15 + unknown (1 call unpriced)" in partly_priced(1)


def test_several_unpriced_calls_are_counted():
    assert "cost ≥ $0.15 + unknown (2 calls unpriced)" in partly_priced(2)
