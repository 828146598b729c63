"""What model calls cost: a price table per model, in US dollars per million tokens.

`PRICES` holds a few well-known list prices and the offline models (free, so priced at 0
explicitly). Add your own with `set_price` (a local server's model, a negotiated rate), or
give a `Trace` its own table. A model the table does not know costs ``None`` — shown as
"unknown", never as 0.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from agentnb.core.events import Usage

MILLION = Decimal(1_000_000)
PICO = 10**12  # costs are summed as integer picodollars: exact, and fast enough for every model call
DATED = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{4})$")  # gpt-4o-mini-2024-07-18, gpt-4-0613


@dataclass(frozen=True, slots=True)
class Price:
    """US dollars per million input (prompt) and output (completion) tokens."""

    input_per_million: Decimal
    output_per_million: Decimal
    input_pico: int = field(init=False, repr=False, compare=False)  # picodollars per token
    output_pico: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_pico", int(Decimal(self.input_per_million) * 1_000_000))
        object.__setattr__(self, "output_pico", int(Decimal(self.output_per_million) * 1_000_000))

    def cost(self, usage: Usage) -> Decimal:
        """The cost of one call, in dollars."""
        return dollars(self.cost_pico(usage))

    def cost_pico(self, usage: Usage) -> int:
        return usage.prompt_tokens * self.input_pico + usage.completion_tokens * self.output_pico


def dollars(pico: int) -> Decimal:
    """Integer picodollars as a `Decimal` amount of dollars."""
    return Decimal(pico) / PICO


def price(input_per_million: float | str | Decimal, output_per_million: float | str | Decimal) -> Price:
    """A `Price` from numbers or strings (``price(0.15, 0.60)``); negative prices are refused."""
    values = []
    for label, value in (
        ("input_per_million", input_per_million),
        ("output_per_million", output_per_million),
    ):
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            raise ValueError(f"{label}: expected a number of dollars, got {value!r}") from None
        if not number.is_finite() or number < 0:
            raise ValueError(f"{label}: expected a number of dollars >= 0, got {value!r}")
        values.append(number)
    return Price(*values)


# OpenAI list prices, standard tier, USD per 1M tokens, as published in 2025-08.
# Prices change: check the provider's page before relying on a total, or set_price() your own.
PRICES: dict[str, Price] = {
    "gpt-4o": price("2.50", "10.00"),
    "gpt-4o-mini": price("0.15", "0.60"),
    "gpt-4.1": price("2.00", "8.00"),
    "gpt-4.1-mini": price("0.40", "1.60"),
    "gpt-4.1-nano": price("0.10", "0.40"),
    "gpt-5": price("1.25", "10.00"),
    "gpt-5-mini": price("0.25", "2.00"),
    "gpt-5-nano": price("0.05", "0.40"),
    "o3-mini": price("1.10", "4.40"),
    "o4-mini": price("1.10", "4.40"),
    # agentnb's offline models run on this machine: free, not unknown.
    "scripted*": price(0, 0),
    "function:*": price(0, 0),
    "auto:*": price(0, 0),
    "local*": price(0, 0),
    "offline": price(0, 0),
}


def set_price(
    model: str, input_per_million: float | str | Decimal, output_per_million: float | str | Decimal
) -> None:
    """Price ``model`` (a name, or a pattern like ``"llama3*"``) for every trace from now on."""
    if not isinstance(model, str) or not model.strip():
        raise ValueError(f"model: expected a model name or pattern, got {model!r}")
    PRICES[model] = price(input_per_million, output_per_million)


def price_table(
    overrides: Mapping[str, Price | tuple[float | str, float | str]] | None = None,
) -> dict[str, Price]:
    """`PRICES` with ``overrides`` on top (a `Price` or an ``(input, output)`` pair per model)."""
    table = dict(PRICES)
    for model, value in (overrides or {}).items():
        table[model] = value if isinstance(value, Price) else price(*value)
    return table


def lookup(model: str | None, table: Mapping[str, Price] | None = None) -> Price | None:
    """The price of ``model``: exact name, then without ``provider:`` / ``@url`` / a date, then patterns."""
    if not model:
        return None
    table = PRICES if table is None else table
    names = [model]
    bare = model.split("@", 1)[0]
    if bare.startswith("openai:"):
        bare = bare.removeprefix("openai:")
    names.append(bare)
    undated = DATED.sub("", bare)
    names.append(undated)
    for name in names:
        found = table.get(name)
        if found is not None:
            return found
    for pattern, found in table.items():
        if any(c in pattern for c in "*?[") and any(fnmatch.fnmatchcase(n, pattern) for n in names):
            return found
    return None


class Pricer:
    """Looks up prices for one trace, remembering each model's answer (a run names few models)."""

    def __init__(
        self, overrides: Mapping[str, Price | tuple[float | str, float | str]] | None = None
    ) -> None:
        self.overrides = overrides
        self._cache: dict[str | None, Price | None] = {}

    def cost_pico(self, model: str | None, usage: Usage | None) -> int | None:
        """The cost of one call in picodollars; ``None`` when the model has no known price or no usage."""
        if usage is None:
            return None
        try:
            found = self._cache[model]
        except KeyError:
            table = price_table(self.overrides) if self.overrides else PRICES
            found = self._cache[model] = lookup(model, table)
        return None if found is None else found.cost_pico(usage)
