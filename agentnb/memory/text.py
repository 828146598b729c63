"""Text as the memory shows it in errors, notes and tables: on one line, and clipped.

Kept here, below every rendering package, so the store's own messages need nothing above it.
"""

from __future__ import annotations


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) as one space."""
    return " ".join(text.split())


def short(text: str, limit: int = 300) -> str:
    """``text``, cut to ``limit`` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
