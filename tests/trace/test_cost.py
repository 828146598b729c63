"""Prices: list prices by model name, free offline models, and 'unknown' (never 0) for the rest."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agentnb.core.events import SpeakerSelected, TextMessage, Usage
from agentnb.trace import PRICES, Trace, price, set_price
from agentnb.trace.cost import lookup

MILLION = Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000)


def run_with(*models: str) -> Trace:
    events = []
    for i, model in enumerate(models):
        events.append(SpeakerSelected(source="t", speaker=f"a{i}", turn=i + 1, at=float(i)))
        events.append(TextMessage(source=f"a{i}", content="x", usage=MILLION, model=model, at=i + 0.5))
    return Trace.from_events(events)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o-mini", "gpt-4o-mini"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("openai:gpt-4o@https://example.test/v1", "gpt-4o"),
        ("scripted:newsroom", "scripted*"),
        ("function:reply", "function:*"),
        ("local:SmolLM2-135M-Instruct", "local*"),
    ],
)
def test_model_names_find_their_price(model, expected):
    assert lookup(model) is PRICES[expected]


def test_an_unpriced_model_costs_unknown_never_zero():
    trace = run_with("my-llama-server")
    (call,) = trace.find("chat")
    assert lookup("my-llama-server") is None and call.cost is None
    assert trace.summary().total.cost is None
    text = trace.view().text()
    assert "cost unknown" in text and "$0" not in text


def test_free_offline_models_cost_zero():
    assert run_with("scripted").summary().total.cost == Decimal(0)


def test_known_and_unknown_costs_together_show_what_is_known_and_that_more_is_unknown():
    trace = run_with("gpt-4o-mini", "my-llama-server")
    total = trace.summary().total
    assert total.cost is None and total.known_cost == Decimal("0.75") and total.unpriced_calls == 1
    assert "≥ $0.75 + unknown" in trace.view().text()


def test_set_price_prices_a_users_own_model_for_new_traces(monkeypatch):
    monkeypatch.setattr("agentnb.trace.cost.PRICES", dict(PRICES))
    set_price("my-llama*", 0.5, "1.5")
    assert run_with("my-llama-server").summary().total.cost == Decimal("2.0")


def test_a_trace_can_carry_its_own_prices():
    trace = Trace.from_events(
        [
            SpeakerSelected(source="t", speaker="a", turn=1, at=0.0),
            TextMessage(source="a", content="x", usage=MILLION, model="gpt-4o-mini", at=1.0),
        ],
        prices={"gpt-4o-mini": (1, 1)},
    )
    assert trace.summary().total.cost == Decimal(2)
    assert lookup("gpt-4o-mini").input_per_million == Decimal("0.15")  # the shared table is untouched


@pytest.mark.parametrize("bad", [-1, "abc", float("nan")])
def test_a_bad_price_is_refused_with_the_reason(bad):
    with pytest.raises(ValueError, match="input_per_million"):
        price(bad, 1)


def test_a_printed_summary_is_a_table_of_agents_and_the_run(monkeypatch):
    monkeypatch.setattr("agentnb.trace.cost.PRICES", dict(PRICES))
    set_price("my-llama-server", 1.0, 1.0)
    text = str(run_with("my-llama-server", "no-price-known").summary())
    title, head, first, second, run = text.splitlines()
    assert title.startswith("t: ") and "spans" in title
    assert head.split()[:3] == ["agent", "turns", "time"] and head.split()[-2:] == ["tokens", "cost"]
    assert first.split()[0] == "a0" and first.split()[-1] == "$2.0000"
    assert second.split()[0] == "a1" and second.split()[-1] == "-"  # no price: not $0
    assert run.split()[0] == "(run)" and run.split()[-1] == "$2.0000+"  # part of the run is unpriced
    assert run.split()[-2] == "4,000,000"
