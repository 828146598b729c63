"""What a secret is, decided once, and the scrubber that keeps secrets out of what agentnb writes.

One rule for every place that must hold no key: traces and their exports, cassettes and the
response cache, eval reports and baselines, saved teams, and the sandbox's environment.

- A variable is secret by its name (`is_secret_name`: ``*_KEY``, ``*_TOKEN``, ``*_SECRET``,
  ``*PASSWORD*``, ``*_PASS``, ``*_PWD``, ``*_PAT``, ``*CREDENTIAL*``, ``*WEBHOOK*``,
  ``*_AUTH_*``...) or by its value (`is_secret_value`: it holds a known key shape or a URL
  with credentials, e.g. ``DATABASE_URL=postgres://app:pw@db/app``).
- In text, `PATTERNS` find key shapes (``sk-...``, bearer tokens, GitHub, Slack, AWS, Hugging
  Face), credentials inside URLs (``scheme://user:password@host``) and keys in query strings
  (``?api_key=...``, ``&token=...``).
- Models say which secrets they hold (`model_secrets`), so a key of any shape is known by
  value; `remember` adds those in use to `known` secrets, which every `Scrubber` replaces.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 6  # shorter values ("1", "yes") are settings, and replacing them mangles text
# A name holding one of these anywhere is secret ...
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "APIKEY", "WEBHOOK")
# ... and so is one with one of these as a whole ``_``-separated part (GIT_AUTHOR_NAME is not)
SECRET_PARTS = frozenset({"KEY", "PASS", "PWD", "PAT", "AUTH", "COOKIE"})
SECRET_HEADER = re.compile(r"auth|key|token|secret|cookie", re.IGNORECASE)
SECRET_QUERY = (  # query parameters that carry a key: ?api_key=, &token=, &sig= (signed URLs)...
    r"(?:api[_-]?key|key|token|access[_-]?token|auth|secret|client[_-]?secret|password|sig(?:nature)?)"
)
WRAPPED_ATTRIBUTES = ("inner", "fallback")  # where a model without secrets() keeps wrapped models
SHAPES = (  # (pieces one of which every match contains: a cheap first check, the shape)
    (("sk-",), re.compile(r"\bsk-[A-Za-z0-9_-]{12,}")),
    (("earer",), re.compile(r"\b[Bb]earer\s+[A-Za-z0-9._~+/=-]{8,}")),
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}")),
    (("github_pat_",), re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}")),
    (("xox",), re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    (("AKIA",), re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    (("hf_",), re.compile(r"\bhf_[A-Za-z0-9]{20,}")),
    (("hooks.slack.com",), re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+")),
)
PATTERNS = tuple(pattern for _, pattern in SHAPES)
# Secrets inside a longer text where only a part is the secret: (pattern, what replaces it).
URL_CREDENTIALS = re.compile(r"\b([a-z][a-z0-9+.-]*://)([^\s/@:\"'<>]*:[^\s/@\"'<>]+)@", re.IGNORECASE)
QUERY_SECRET = re.compile(rf"([?&]{SECRET_QUERY}=)([A-Za-z0-9._~%+/=-]+)", re.IGNORECASE)
PARTIAL = ((URL_CREDENTIALS, rf"\1{REDACTED}@"), (QUERY_SECRET, rf"\1{REDACTED}"))
# A scrubber runs on every string of a trace: the shapes go in one pass, and only when a
# piece they need is there at all (a substring test is far cheaper than a regex search).
_MARKERS = tuple(marker for markers, _ in SHAPES for marker in markers)
_WHOLE = re.compile("|".join(f"(?:{p.pattern})" for p in PATTERNS))


def _url_credentials_possible(text: str) -> bool:
    return "://" in text and "@" in text


_known: set[str] = set()
_known_lock = threading.Lock()
_environment: tuple[frozenset[tuple[str, str]], list[str]] = (frozenset(), [])  # the last one read


def is_secret_name(name: str) -> bool:
    """Whether a variable called ``name`` holds a credential, judging by its name alone."""
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS) or not SECRET_PARTS.isdisjoint(upper.split("_"))


def is_secret_value(value: str) -> bool:
    """Whether ``value`` holds a key shape, a URL with credentials or a key in a query string."""
    return (
        (any(m in value for m in _MARKERS) and _WHOLE.search(value) is not None)
        or (_url_credentials_possible(value) and URL_CREDENTIALS.search(value) is not None)
        or ("=" in value and QUERY_SECRET.search(value) is not None)
    )


def is_secret(name: str, value: str) -> bool:
    """Whether the variable ``name=value`` holds a credential (by its name or by its value)."""
    return is_secret_name(name) or is_secret_value(value)


def environment_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """The values of the secret variables of ``environ`` (default ``os.environ``), long enough to scrub."""
    global _environment
    if environ is not None:
        return [v for k, v in environ.items() if len(v) >= MIN_SECRET_LENGTH and is_secret(k, v)]
    current = frozenset(os.environ.items())
    if current != _environment[0]:  # read again only when a variable changed
        _environment = (current, environment_secrets(dict(current)))
    return _environment[1]


def url_secrets(url: str) -> list[str]:
    """The secrets written into a URL: its password and the values of key-like query parameters."""
    found = [m.group(2).partition(":")[2] for m in URL_CREDENTIALS.finditer(url)]
    found += [m.group(2) for m in QUERY_SECRET.finditer(url)]
    return [s for s in found if s]


def public_url(url: str) -> str:
    """``url`` fit for names, reprs and messages: no password, no key in its query string."""
    for pattern, replacement in PARTIAL:
        url = pattern.sub(replacement, url)
    return url


def remember(secrets: Iterable[str | None]) -> None:
    """Add secrets in use (a model's key) to `known`: every scrubber made from now on replaces them."""
    fresh = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET_LENGTH}
    if not fresh <= _known:
        with _known_lock:
            _known.update(fresh)


def known() -> frozenset[str]:
    """The secrets models of this process said they hold (see `remember`); kept in memory only."""
    return frozenset(_known)


def model_secrets(model: Any) -> list[str]:
    """Every secret ``model`` holds, those of the models it wraps included.

    A model that holds secrets lists them in a ``secrets()`` method, and a wrapper (cache,
    recorder, fallback) reports its inner models' there too. A model without that method,
    such as a user's own, is read the usual way: ``api_key``, the ``api_key_env`` variable,
    sensitive ``headers``, and the models it keeps as ``inner`` or ``fallback``.
    """
    return _collect(model, set())


def sensitive_headers(headers: Mapping[str, Any] | None) -> list[str]:
    """The values of headers whose names suggest a credential (Authorization, X-Api-Key...).

    A value written ``scheme credential`` (``Bearer abc...``, ``Basic dXNl...``) gives its
    credential too: that is the part a server or a proxy quotes back on its own.
    """
    found: list[str] = []
    for name, value in (headers or {}).items():
        if SECRET_HEADER.search(str(name)):
            text = str(value)
            found.append(text)
            scheme, _, credential = text.strip().partition(" ")
            if scheme.isalpha() and credential.strip():
                found.append(credential.strip())
    return found


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
    """Replaces secrets in text and in JSON-like data with ``[REDACTED]``.

    What it replaces: the values of the environment's secret variables (read when it is
    made), the `known` secrets of models in use, the ``secrets`` it is given, and every
    shape `PATTERNS` and `PARTIAL` describe.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = set(environment_secrets())
        values.update(_known)
        values.update(s for s in secrets if isinstance(s, str))
        # longest first, so a secret that contains another is replaced whole
        self.values = sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)

    def text(self, text: str) -> str:
        for value in self.values:
            if value in text:
                text = text.replace(value, REDACTED)
        if any(m in text for m in _MARKERS):
            text = _WHOLE.sub(REDACTED, text)
        if _url_credentials_possible(text):
            text = URL_CREDENTIALS.sub(PARTIAL[0][1], text)
        if "=" in text:
            text = QUERY_SECRET.sub(PARTIAL[1][1], text)
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


def scrub_state(state: dict[str, Any], secrets: Iterable[str] = ()) -> dict[str, Any]:
    """A JSON-ready state (a saved team's, a report's) with every secret replaced: write this one."""
    return Scrubber(secrets).data(state)
