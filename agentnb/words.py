"""Wording for messages people read: numbers with their nouns."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 step``, ``2 steps`` (``many`` for irregular plurals)."""
    return f"{n} {word if n == 1 else many or word + 's'}"
