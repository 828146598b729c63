"""Keep secrets out of files agentnb writes (cassettes, the response cache).

A `Scrubber` replaces known secret shapes (``sk-...`` keys, bearer tokens, GitHub, Slack,
AWS and Hugging Face tokens), the values of environment variables whose names end in
``_KEY``, ``_TOKEN`` or ``_SECRET``, and any secrets it is given, with ``[REDACTED]``.
Models say which secrets they hold with a ``secrets()`` method, and `model_secrets` gathers
them through any wrappers, so a key of any shape is known to the scrubber by value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[REDACTED]"
SECRET_ENV_SUFFIXES = ("_KEY", "_TOKEN", "_SECRET")
SECRET_HEADER = re.compile(r"auth|key|token|secret|cookie", re.IGNORECASE)
WRAPPED_ATTRIBUTES = ("inner", "fallback")  # where a model without secrets() keeps wrapped models
MIN_SECRET_LENGTH = 6  # shorter values ("1", "yes") are settings, and replacing them mangles text
PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9_-]{12,}"),
    re.compile(r"\b[Bb]earer\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\bhf_[A-Za-z0-9]{20,}"),
)


def model_secrets(model: Any) -> list[str]:
    """Every secret ``model`` holds, those of the models it wraps included.

    A model that holds secrets lists them in a ``secrets()`` method, and a wrapper (cache,
    recorder, fallback) reports its inner models' there too. A model without that method,
    such as a user's own, is read the usual way: ``api_key``, the ``api_key_env`` variable,
    sensitive ``headers``, and the models it keeps as ``inner`` or ``fallback``.
    """
    return _collect(model, set())


def sensitive_headers(headers: Mapping[str, Any] | None) -> list[str]:
    """The values of headers whose names suggest a credential (Authorization, X-Api-Key...)."""
    return [str(value) for name, value in (headers or {}).items() if SECRET_HEADER.search(str(name))]


def _collect(model: Any, seen: set[int]) -> list[str]:
    if model is None or id(model) in seen:
        return []
    seen.add(id(model))
    declared = getattr(model, "secrets", None)
    if callable(declared):
        found = list(declared())
    else:
        found = [getattr(model, "api_key", None), getattr(model, "_api_key", None)]
        env_name = getattr(model, "api_key_env", None)
        if isinstance(env_name, str):
            found.append(os.environ.get(env_name))
        headers = getattr(model, "headers", None)
        if isinstance(headers, Mapping):
            found.extend(sensitive_headers(headers))
        for attribute in WRAPPED_ATTRIBUTES:
            found.extend(_collect(getattr(model, attribute, None), seen))
    return list(dict.fromkeys(s for s in found if isinstance(s, str) and s))


class Scrubber:
    """Replaces secrets in text and in JSON-like data (read from the environment when made)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = {v for name, v in os.environ.items() if name.upper().endswith(SECRET_ENV_SUFFIXES)}
        values.update(secrets)
        # longest first, so a secret that contains another is replaced whole
        self.values = sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)

    def text(self, text: str) -> str:
        for value in self.values:
            if value in text:
                text = text.replace(value, REDACTED)
        for pattern in PATTERNS:
            text = pattern.sub(REDACTED, text)
        return text

    def data(self, value: Any) -> Any:
        """A copy of ``value`` with every string (keys included) scrubbed."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value
