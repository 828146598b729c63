"""Pass rates with confidence intervals, and agreement between two raters.

A stochastic team that passed 4 runs out of 5 has a pass rate somewhere between about 38%
and 96%: `Rate` carries that interval (Wilson's score interval, which behaves at 0/n and
n/n where the textbook normal interval collapses). `agreement` and `cohens_kappa` say how
well a judge agrees with hand labels beyond what chance would give.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

CONFIDENCE = 0.95


def wilson(passed: int, runs: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval for ``passed`` successes out of ``runs`` trials (``(0, 1)`` for none)."""
    if runs < 0 or not 0 <= passed <= runs:
        raise ValueError(f"wilson: need 0 <= passed <= runs, got passed={passed}, runs={runs}")
    if not 0 < confidence < 1:
        raise ValueError(f"wilson: confidence must be between 0 and 1, got {confidence!r}")
    if runs == 0:
        return (0.0, 1.0)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = passed / runs
    z2 = z * z / runs
    centre = (p + z2 / 2) / (1 + z2)
    half = z * math.sqrt(p * (1 - p) / runs + z2 / (4 * runs)) / (1 + z2)
    low = 0.0 if passed == 0 else max(0.0, centre - half)  # exact at the ends, not 1e-17 off
    high = 1.0 if passed == runs else min(1.0, centre + half)
    return (low, high)


@dataclass(frozen=True, repr=False)
class Rate:
    """``passed`` of ``runs``, with its confidence interval (``low``, ``high``)."""

    passed: int
    runs: int
    confidence: float = CONFIDENCE

    @property
    def value(self) -> float:
        """The observed pass rate (0 when there were no runs)."""
        return self.passed / self.runs if self.runs else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.passed, self.runs, self.confidence)

    @property
    def low(self) -> float:
        return self.interval[0]

    @property
    def high(self) -> float:
        return self.interval[1]

    def overlaps(self, other: Rate) -> bool:
        """Whether the two intervals overlap: if not, the difference is unlikely to be noise."""
        return self.low <= other.high and other.low <= self.high

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.passed + other.passed, self.runs + other.runs, self.confidence)

    def text(self) -> str:
        """``4/5 = 80% [38%–96%]``."""
        return f"{self.passed}/{self.runs} = {percent(self.value)} {self.interval_text()}"

    def interval_text(self) -> str:
        low, high = self.interval
        return f"[{percent(low)}–{percent(high)}]"

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"Rate({self.text()})"


def percent(value: float) -> str:
    """A rate as a whole percentage (``0.8`` -> ``80%``)."""
    return f"{round(value * 100):.0f}%"


def agreement(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """The share of items two raters labelled the same."""
    _check_pair(a, b)
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def cohens_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Cohen's kappa: agreement beyond chance (1 perfect, 0 chance level, below 0 worse than chance).

    When both raters give one and the same label to everything, chance already explains
    the agreement; kappa is then 1.0 by convention (they never disagreed).
    """
    _check_pair(a, b)
    n = len(a)
    observed = agreement(a, b)
    labels = set(a) | set(b)
    expected = sum((list(a).count(label) / n) * (list(b).count(label) / n) for label in labels)
    if expected == 1:
        return 1.0
    return (observed - expected) / (1 - expected)


def _check_pair(a: Sequence[Hashable], b: Sequence[Hashable]) -> None:
    if len(a) != len(b):
        raise ValueError(f"the two raters labelled different numbers of items ({len(a)} and {len(b)})")
    if not a:
        raise ValueError("no labelled items: agreement needs at least one")
