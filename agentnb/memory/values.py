"""What a store accepts from its callers: fact texts, writers, namespaces and times to live."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

TTL = float | timedelta  # seconds, or a timedelta; float("inf") never expires


def check_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"a fact must be non-empty text, got {text!r}")
    return text.strip()


def check_by(by: Any) -> str:
    if not isinstance(by, str) or not by.strip():
        raise ValueError(f"by: name who makes the change (an agent or a person), got {by!r}")
    return by.strip()


def check_namespace(namespace: Any) -> str:
    if not isinstance(namespace, str) or not namespace.strip() or not namespace.isprintable():
        raise ValueError(
            "namespace: expected a name on one line, such as a user, a team or a course section; "
            f"got {namespace!r}"
        )
    return namespace.strip()


def check_ttl(ttl: Any) -> float | None:
    """A time to live in seconds (None: never expires); refuses zero, negative and NaN."""
    if ttl is None:
        return None
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else ttl
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise ValueError(
            "ttl: expected seconds (> 0) or a timedelta, or float('inf') for facts that never expire; "
            f"got {ttl!r}"
        )
    return None if math.isinf(seconds) else float(seconds)
