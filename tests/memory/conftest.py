"""Fixtures for the memory tests: a file store in a temp dir, and a tiny deterministic embedding."""

from __future__ import annotations

import hashlib
import math
import re
import time
from pathlib import Path

import pytest

from agentnb.memory import MemoryStore

# Words that mean the same thing share a dimension, so the fake embedding finds paraphrases
# (what semantic recall is for) without a model.
SYNONYMS = {"automobile": "car", "vehicle": "car", "canine": "dog", "puppy": "dog", "feline": "cat"}


def fake_embed(text: str, dims: int = 64) -> list[float]:
    """Feature hashing of words (after synonyms): deterministic, cheap, no download."""
    vector = [0.0] * dims
    for word in re.findall(r"\w+", text.casefold()):
        word = SYNONYMS.get(word, word)
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        vector[int.from_bytes(digest[:4], "little") % dims] += 1.0 if digest[4] % 2 else -1.0
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else vector


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "memory" / "team.db"


@pytest.fixture
def store(store_path: Path):
    with MemoryStore(store_path) as opened:
        yield opened


class Clock:
    """The time the store reads (``time.time``), moved by hand: expiry without sleeping."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(1_800_000_000.0)
    monkeypatch.setattr(time, "time", fake)
    return fake
