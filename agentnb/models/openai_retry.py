"""When a failed request to an OpenAI-compatible server is worth retrying, and how long to wait.

Rate limits, overloads, 5xx and timeouts pass; so does what the server's Retry-After says.
agentnb retries itself (the openai client's retries are off), so waits are visible and testable.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


def transient(exc: Any) -> bool:
    """Whether a status error may pass on retrying (llama.cpp reports invalid requests as 500)."""
    return exc.status_code in RETRY_STATUSES and "validation error" not in str(exc.message)


def wait_seconds(
    attempt: int, headers: Mapping[str, str] | None, *, backoff: float, max_wait: float
) -> float:
    """Seconds before the next attempt: the server's Retry-After, else exponential backoff."""
    asked = retry_after(headers) if headers is not None else None
    if asked is None:
        asked = backoff * 2**attempt * random.uniform(1.0, 1.25)
    return min(max(asked, 0.0), max_wait)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds a response's Retry-After (or OpenAI's retry-after-ms) header asks to wait."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError):
        return None
