"""Failures of OpenAI-compatible servers, said for people: what failed, where, what to do.

Every message goes through `redact`, so neither the key nor a header secret ever shows,
not even in the masked ``sk-ab***`` form some servers echo back. The messages describe the
model through `Endpoint` (an `agentnb.models.openai_compat.OpenAIModel` is one), so the model
module depends on this one and not the other way round.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from typing import Any, Protocol

from agentnb.core.model import ModelError, ModelRequest
from agentnb.core.secrets import public_url
from agentnb.models.openai_request import Plan
from agentnb.models.openai_retry import transient
from agentnb.models.openai_stream import Assembly, StreamCut

KEY_PATTERN = re.compile(r"\b(sk-[A-Za-z0-9_-]{2})[A-Za-z0-9_*-]+")


class Endpoint(Protocol):
    """What a failure message says about the model that failed."""

    name: str  # the model's spec, e.g. openai:gpt-4o-mini
    model: str  # the model name sent to the server
    base_url: str
    api_key_env: str
    timeout: float

    def secrets(self) -> list[str]: ...

    def withheld_env_key(self) -> bool: ...


class ServerError(ModelError):
    """An OpenAI-compatible server failed a request; ``status`` is the HTTP status if any.

    ``partial`` keeps the text a stream delivered before it was cut off, so nothing is lost.
    """

    def __init__(self, message: str, *, status: int | None = None, partial: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.partial = partial


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` without ``secrets`` (whole, or a key in the masked form servers echo back)."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return KEY_PATTERN.sub(r"\1***", text)


def _server_says(model: Endpoint, exc: Any) -> str:
    message = redact(str(getattr(exc, "message", "") or ""), model.secrets()).strip()
    return f": {message[:300]}" if message else ""


def status_error(
    model: Endpoint, exc: Any, request: ModelRequest, plan: Plan, attempts: int, started: float
) -> ServerError:
    """The error for an HTTP status the model gives up on, with what to do about it."""
    status = exc.status_code
    where = f"{model.name} (HTTP {status})"
    says = _server_says(model, exc)
    if status in (401, 403):
        what = "refused the API key" if status == 401 else "refused access"
        if model.withheld_env_key():
            fix = (
                f"{model.api_key_env} goes only to OpenAI's API or the OPENAI_BASE_URL you set, so "
                f"{public_url(model.base_url)} got a placeholder: pass api_key=..., or api_key_env= "
                "naming the variable that holds this server's key"
            )
        else:
            fix = (
                f"Set the {model.api_key_env} environment variable to a key that may use model "
                f"{model.model!r} (or pass api_key=...)"
            )
        message = f"{where}: the server {what}{says}. {fix}"
    elif status == 404:
        message = (
            f"{where}: model {model.model!r} or its endpoint was not found at "
            f"{public_url(model.base_url)}{says}. Check the model name "
            "(GET <base_url>/models lists the server's models) and that base_url ends where "
            "the server expects, usually /v1"
        )
    elif transient(exc):
        took = time.monotonic() - started
        cause = "still rate limited" if status == 429 else "still failing"
        message = (
            f"{where}: {cause} after {attempts} attempts over {took:.1f} s{says}. "
            "Wait and run again, or raise max_retries"
        )
        if plan.tool_choice and request.tool_choice == "required":
            message += "; the request forced tool_choice='required', which some servers lack"
    else:
        message = f"{where}: the server rejected the request{says}"
        if request.tools:
            message += (
                f". It offered tools ({', '.join(request.tool_names())}); this server or model "
                "may not support tool calling"
            )
    return ServerError(message, status=status)


def connection_error(model: Endpoint, exc: BaseException, attempts: int) -> ServerError:
    """The error when no answer came (timeouts, refused connections, cut streams) after retries."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        message = (
            f"{model.name}: no answer within {model.timeout:g} s, {attempts} attempts. The server "
            "may be busy or still loading the model; try again or raise timeout="
        )
    elif isinstance(exc, StreamCut):
        message = f"{model.name}: the reply stream ended before the server finished it, {attempts} attempts"
    else:
        message = (
            f"{model.name}: cannot connect to {public_url(model.base_url)} ({attempts} attempts). "
            "Is the server running?"
        )
    return ServerError(message)


def cut_error(model: Endpoint, state: Assembly, exc: BaseException) -> ServerError:
    """The error when a stream broke after text was shown (not retried: it would repeat text)."""
    import openai

    partial = "".join(state.text)
    if isinstance(exc, StreamCut):
        why = "ended without a finish_reason"
    elif isinstance(exc, openai.APITimeoutError):
        why = f"stalled for more than {model.timeout:g} s"
    else:
        why = "broke off (connection lost)"
    return ServerError(
        f"{model.name}: the reply stream {why} after {len(partial)} characters; the partial "
        "reply is kept in this error's .partial. Run again",
        partial=partial,
    )
