"""OpenAI-compatible chat models: OpenAI itself, or any server that speaks its chat API.

`OpenAIModel` streams chat completions through the ``openai`` package's async client and
turns them into agentnb's model protocol: text deltas, then one `ModelReply`. It learns
what a server supports by trying (JSON-schema output, forcing a tool, usage in streams),
remembers it, and says once what it fell back to. Retries (429, 5xx, timeouts) are its own,
so they are visible and testable; the openai client's are switched off.

``openai`` is imported on first use, so importing agentnb stays light.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import threading
import time
import uuid
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from agentnb.messages import ToolCall, Usage
from agentnb.models.base import (
    ChatMessage,
    ModelError,
    ModelReply,
    ModelRequest,
    estimate_tokens,
    message_tokens,
)
from agentnb.models.secrets import sensitive_headers

if TYPE_CHECKING:
    from openai import AsyncOpenAI

OPENAI_URL = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "agentnb-local"  # local servers want some key and accept any
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
OUTPUT_MODES = ("strict", "schema", "object", "prompt")
FEATURE_WORDS = {
    "stream_options": ("stream_options", "include_usage"),
    "output": ("response_format", "json_schema", "json_object", "strict"),
    "tool_choice": ("tool_choice",),
}
KEY_PATTERN = re.compile(r"\b(sk-[A-Za-z0-9_-]{2})[A-Za-z0-9_*-]+")


class ServerError(ModelError):
    """An OpenAI-compatible server failed a request; ``status`` is the HTTP status if any.

    ``partial`` keeps the text a stream delivered before it was cut off, so nothing is lost.
    """

    def __init__(self, message: str, *, status: int | None = None, partial: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.partial = partial


class ServerFeatureWarning(UserWarning):
    """A server lacks a feature (JSON-schema output, forcing a tool) and agentnb fell back."""


class _StreamCut(Exception):
    """The response stream ended before the server said it had finished."""


@dataclass(frozen=True, slots=True)
class _Plan:
    """Which optional features one request uses; ``dropped`` lists fallbacks taken on the way."""

    output: str | None = None  # one of OUTPUT_MODES, or None without an output schema
    tool_choice: bool = False
    usage: bool = False
    dropped: tuple[str, ...] = ()


@dataclass(slots=True)
class _PartialCall:
    """One tool call while its deltas arrive."""

    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Assembly:
    """A reply put together from stream chunks (or from one non-streamed completion)."""

    text: list[str] = field(default_factory=list)
    calls: dict[int, _PartialCall] = field(default_factory=dict)
    finish: str | None = None
    usage: Usage | None = None
    model: str = ""
    yielded: bool = False

    def absorb(self, chunk: Any) -> str:
        """Take one chunk in; return its text delta ("" when it has none)."""
        if chunk.usage is not None:
            self.usage = _usage(chunk.usage)
        if chunk.model:
            self.model = chunk.model
        if not chunk.choices:
            return ""
        choice = chunk.choices[0]
        if choice.finish_reason:
            self.finish = choice.finish_reason
        delta = choice.delta
        if delta is None:
            return ""
        for part in delta.tool_calls or ():
            self._add_call(part)
        if delta.content:
            self.text.append(delta.content)
            return delta.content
        return ""

    def _add_call(self, part: Any) -> None:
        index = part.index if part.index is not None else len(self.calls)
        call = self.calls.setdefault(index, _PartialCall())
        call.id = call.id or (part.id or "")
        fn = part.function
        if fn is None:
            return
        if fn.name and fn.name != call.name:  # some servers repeat the whole name in every chunk
            call.name += fn.name
        if fn.arguments:
            call.arguments.append(fn.arguments)

    def reply(self, request: ModelRequest, fallback_model: str) -> ModelReply:
        text = "".join(self.text)
        calls = [
            ToolCall(
                id=c.id or f"call_{uuid.uuid4().hex[:12]}",
                name=c.name,
                arguments="".join(c.arguments) or "{}",
            )
            for _, c in sorted(self.calls.items())
        ]
        usage = self.usage or Usage(
            prompt_tokens=request.prompt_tokens or sum(message_tokens(m) for m in request.messages),
            completion_tokens=estimate_tokens(text)
            + sum(estimate_tokens(c.name) + estimate_tokens(c.arguments) for c in calls),
        )
        return ModelReply(text=text, tool_calls=calls, usage=usage, model=self.model or fallback_model)


def _usage(raw: Any) -> Usage:
    return Usage(prompt_tokens=raw.prompt_tokens or 0, completion_tokens=raw.completion_tokens or 0)


def _public_url(url: str) -> str:
    """The URL without any user:password part, fit for names and messages."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def strict_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    """A copy of ``schema`` fit for OpenAI's strict mode, or None when it cannot be.

    Strict mode needs every object to list all its properties as required and to forbid
    others; schemas with optional fields are sent non-strict instead of being rewritten.
    """

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: walk(value) for key, value in node.items()}
        if "properties" in node:
            if set(node.get("required", ())) != set(node["properties"]):
                raise ValueError("optional properties")
            if out.setdefault("additionalProperties", False) is not False:
                raise ValueError("open object")
        return out

    try:
        return walk(schema)
    except ValueError:
        return None


def schema_instruction(request: ModelRequest) -> str:
    """The prompt text that asks for JSON output when the server cannot enforce a schema."""
    return (
        f"Reply with only a JSON object (no prose, no code fence) that is a valid "
        f"{request.output_name} and matches this JSON schema: {json.dumps(request.output_schema)}"
    )


class OpenAIModel:
    """A model behind an OpenAI-compatible chat-completions API (OpenAI, llama.cpp, vLLM, Ollama...).

    ``model`` is sent as-is: any name the server knows works. ``base_url`` defaults to
    ``OPENAI_BASE_URL`` or OpenAI's API. The key is ``api_key`` or the ``api_key_env``
    variable; servers other than OpenAI get a placeholder when neither is set (local
    servers accept any key). ``headers`` go with every request, ``params`` (temperature,
    max_tokens, seed, ...) are merged into every request body.

    ``timeout`` is seconds per request (and per silent gap in a stream). 429, 5xx,
    timeouts and dropped connections are retried up to ``max_retries`` times, waiting
    ``backoff`` seconds, then twice that, and so on, or what the server's Retry-After
    asks, never more than ``max_wait`` at a time. ``stream=False`` asks for whole replies.

    ``names_in_content`` writes each speaker's name into the message text ("writer: ...")
    because many chat templates (llama.cpp's chatml ones among them) drop the ``name``
    field, which leaves a model unable to tell agents apart. ``None`` (the default) turns
    it on for every server except OpenAI's own API, which reads ``name``.

    ``http_client_factory`` makes the HTTP client (an ``httpx2``/``httpx`` AsyncClient) for
    each event loop the model is used from; tests pass one with a mock transport.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        headers: dict[str, str] | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        stream: bool = True,
        names_in_content: bool | None = None,
        params: Mapping[str, Any] | None = None,
        backoff: float = 0.5,
        max_wait: float = 30.0,
        http_client_factory: Callable[[], Any] | None = None,
    ) -> None:
        if not isinstance(model, str) or not model.strip():
            raise ValueError(f"model: expected a model name, got {model!r}")
        if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
            raise ValueError(f"max_retries: expected an integer >= 0, got {max_retries!r}")
        for label, value in (("timeout", timeout), ("backoff", backoff), ("max_wait", max_wait)):
            if not isinstance(value, int | float) or value < 0 or (label == "timeout" and value == 0):
                raise ValueError(f"{label}: expected a positive number of seconds, got {value!r}")
        self.model = model.strip()
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_URL).rstrip("/")
        self.is_openai = urlsplit(self.base_url).hostname == "api.openai.com"
        self.api_key_env = api_key_env
        self._api_key = api_key
        self.headers = dict(headers or {})
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.streaming = stream
        self.names_in_content = not self.is_openai if names_in_content is None else names_in_content
        self.params = dict(params or {})
        self.backoff = float(backoff)
        self.max_wait = float(max_wait)
        self._http_client_factory = http_client_factory
        where = "" if self.is_openai else f"@{_public_url(self.base_url)}"
        self.name = f"openai:{self.model}{where}"
        self._clients: dict[asyncio.AbstractEventLoop, tuple[AsyncOpenAI, AsyncGenerator[None]]] = {}
        self._lock = threading.Lock()
        self._lacks: set[str] = set()

    def __repr__(self) -> str:
        return f"OpenAIModel({self.model!r}, base_url={_public_url(self.base_url)!r})"

    # ----- clients, one per event loop -----------------------------------------------------

    async def _client(self) -> AsyncOpenAI:
        """The client for the running loop; httpx clients cannot be shared across loops."""
        loop = asyncio.get_running_loop()
        entry = self._clients.get(loop)
        if entry is not None:
            return entry[0]
        client = self._new_client()
        keeper = _close_with_loop(client)
        await keeper.__anext__()
        with self._lock:
            for old in [old for old in self._clients if old.is_closed()]:
                del self._clients[old]
            self._clients[loop] = (client, keeper)
        return client

    def _new_client(self) -> AsyncOpenAI:
        from openai import AsyncOpenAI

        return AsyncOpenAI(
            api_key=self._key(),
            base_url=self.base_url,
            default_headers=self.headers or None,
            timeout=self.timeout,
            max_retries=0,
            http_client=self._http_client_factory() if self._http_client_factory else None,
        )

    def _key(self) -> str:
        key = self._api_key or os.environ.get(self.api_key_env, "")
        if key:
            return key
        if not self.is_openai:
            return PLACEHOLDER_KEY
        raise ModelError(
            f"{self.name}: no API key; set the {self.api_key_env} environment variable "
            "(or pass api_key=...), or use an offline model such as 'scripted:newsroom'"
        )

    def secrets(self) -> list[str]:
        """What must never reach a file or a message: the key (given or from its variable),
        credential headers, and a password written into ``base_url``."""
        found = [
            self._api_key,
            os.environ.get(self.api_key_env),
            *sensitive_headers(self.headers),
            urlsplit(self.base_url).password,
        ]
        return [s for s in found if s]

    async def aclose(self) -> None:
        """Close the HTTP client of the running event loop (others close with their loops)."""
        with self._lock:
            entry = self._clients.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[1].aclose()

    # ----- one call ------------------------------------------------------------------------

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ModelReply]:
        """Yield text deltas, then the reply; retry and fall back as the server requires."""
        import openai

        plan = self._plan(request)
        attempt = 0
        started = time.monotonic()
        while True:
            state = _Assembly()
            try:
                async with aclosing(self._attempt(request, plan, state)) as pieces:
                    async for piece in pieces:
                        yield piece
                break
            except openai.APIStatusError as exc:
                lower = self._downgrade(plan, exc)
                if lower is not None:
                    plan = lower
                    continue
                if exc.status_code in (401, 403):
                    await self.aclose()  # the next call reads the key again, once the user fixes it
                if not _transient(exc) or attempt >= self.max_retries:
                    raise self._status_error(exc, request, plan, attempt + 1, started) from None
                wait = self._wait(attempt, exc.response.headers)
            except (openai.APIConnectionError, _StreamCut) as exc:
                if state.yielded:
                    raise self._cut_error(state, exc) from None
                if attempt >= self.max_retries:
                    raise self._connection_error(exc, attempt + 1) from None
                wait = self._wait(attempt, None)
            except openai.APIError as exc:
                raise ServerError(
                    f"{self.name}: the server reported an error mid-reply: {self._redact(exc.message)}",
                    partial="".join(state.text),
                ) from None
            attempt += 1
            await asyncio.sleep(wait)
        yield state.reply(request, self.model)

    async def _attempt(self, request: ModelRequest, plan: _Plan, state: _Assembly) -> AsyncIterator[str]:
        """One HTTP request; fills ``state`` and yields text deltas as they arrive."""
        client = await self._client()
        body = self._body(request, plan)
        if not self.streaming:
            completion = await client.chat.completions.create(**body)
            self._learn(plan)
            text = self._absorb_completion(completion, state)
            if text:
                state.yielded = True
                yield text
            return
        stream = await client.chat.completions.create(**body, stream=True)
        self._learn(plan)
        try:
            async for chunk in stream:
                text = state.absorb(chunk)
                if text:
                    state.yielded = True
                    yield text
        finally:
            await stream.close()
        if state.finish is None:
            raise _StreamCut("the stream ended without a finish_reason")

    def _absorb_completion(self, completion: Any, state: _Assembly) -> str:
        if completion.usage is not None:
            state.usage = _usage(completion.usage)
        state.model = completion.model or ""
        if not completion.choices:
            raise ServerError(f"{self.name}: the server sent a completion with no choices")
        choice = completion.choices[0]
        state.finish = choice.finish_reason
        message = choice.message
        for i, call in enumerate(message.tool_calls or ()):
            state.calls[i] = _PartialCall(call.id, call.function.name, [call.function.arguments or ""])
        if message.content:
            state.text.append(message.content)
        return message.content or ""

    # ----- the request body ----------------------------------------------------------------

    def _plan(self, request: ModelRequest) -> _Plan:
        """The optional features to try first, skipping those this server is known to lack."""
        output = None
        if request.output_schema is not None:
            first = 0 if strict_schema(request.output_schema) is not None else 1
            output = next(m for m in OUTPUT_MODES[first:] if m not in self._lacks or m == "prompt")
        forcing = bool(request.tools) and request.tool_choice != "auto"
        return _Plan(
            output=output,
            tool_choice=forcing and "tool_choice" not in self._lacks,
            usage=self.streaming and "stream_options" not in self._lacks,
        )

    def _body(self, request: ModelRequest, plan: _Plan) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": self._messages(request, plan)}
        if request.tools and not (request.tool_choice == "none" and not plan.tool_choice):
            body["tools"] = request.tools
            if plan.tool_choice:
                body["tool_choice"] = self._tool_choice(request)
        if plan.output in ("strict", "schema"):
            schema = request.output_schema or {}
            spec: dict[str, Any] = {"name": re.sub(r"[^A-Za-z0-9_-]", "_", request.output_name)[:64]}
            if plan.output == "strict":
                spec.update(schema=strict_schema(schema), strict=True)
            else:
                spec["schema"] = schema
            body["response_format"] = {"type": "json_schema", "json_schema": spec}
        elif plan.output == "object":
            # "schema" is llama.cpp's extension: it constrains json_object output to the schema
            body["response_format"] = {"type": "json_object", "schema": request.output_schema}
        if plan.usage:
            body["stream_options"] = {"include_usage": True}
        if self.params:
            body["extra_body"] = self.params
        return body

    def _messages(self, request: ModelRequest, plan: _Plan) -> list[ChatMessage]:
        fold = self.names_in_content
        messages = [_outgoing(m, fold) for m in request.messages]
        if plan.output in ("object", "prompt"):
            instruction = schema_instruction(request)
            if messages and messages[0].get("role") == "system":
                first = messages[0]
                messages = [
                    {**first, "content": f"{first.get('content') or ''}\n\n{instruction}"},
                    *messages[1:],
                ]
            else:
                messages = [{"role": "system", "content": instruction}, *messages]
        return messages

    def _tool_choice(self, request: ModelRequest) -> str | dict[str, Any]:
        choice = request.tool_choice
        names = request.tool_names()
        if choice == "required" and len(names) == 1:
            choice = names[0]  # the same demand, in the form more servers understand
        if choice in ("required", "none"):
            return choice
        if choice not in names:
            raise ModelError(
                f"{self.name}: agent {request.agent!r} forces tool {choice!r}, but the request "
                f"offers only {', '.join(names)}"
            )
        return {"type": "function", "function": {"name": choice}}

    # ----- learning what the server supports -----------------------------------------------

    def _downgrade(self, plan: _Plan, exc: Any) -> _Plan | None:
        """A plan without the feature the server just rejected, or None if none applies.

        An error that names a feature in use drops it (llama.cpp answers such requests with
        500); an unexplained 400/422 drops the output format or the forced tool choice.
        """
        text = str(getattr(exc, "message", exc)).lower()
        used = [
            f
            for f, on in (
                ("stream_options", plan.usage),
                ("output", plan.output),
                ("tool_choice", plan.tool_choice),
            )
            if on and on != "prompt"
        ]
        named = [f for f in used if any(word in text for word in FEATURE_WORDS[f])]
        guessable = [f for f in used if f != "stream_options"]  # servers that lack it say so
        if named:
            feature = named[0]
        elif guessable and exc.status_code in (400, 422):
            feature = guessable[0]
        else:
            return None
        if feature == "stream_options":
            return replace(plan, usage=False, dropped=(*plan.dropped, "stream_options"))
        if feature == "tool_choice":
            return replace(plan, tool_choice=False, dropped=(*plan.dropped, "tool_choice"))
        current = OUTPUT_MODES.index(str(plan.output))
        # a strict-mode complaint may still allow plain json_schema; a json_schema one does not
        skip = plan.output == "strict" and "json_schema" in text and "strict" not in text
        lower = OUTPUT_MODES[current + (2 if skip else 1)]
        skipped = OUTPUT_MODES[current : OUTPUT_MODES.index(lower)]
        return replace(plan, output=lower, dropped=(*plan.dropped, *skipped))

    def _learn(self, plan: _Plan) -> None:
        """The request went through: remember the fallbacks it needed, and say so once."""
        new = [f for f in plan.dropped if f not in self._lacks]
        if not new:
            return
        self._lacks.update(new)
        if "tool_choice" in new:
            self._warn("forcing a tool choice (tool_choice)", "offering tools without forcing one")
        if plan.output == "object" and {"schema", "strict"} & set(new):
            self._warn(
                "JSON-schema output (response_format json_schema)",
                "json_object plus the schema in the prompt",
            )
        elif plan.output == "prompt" and "object" in new:
            self._warn("JSON output modes (response_format)", "asking for JSON in the system prompt")

    def _warn(self, feature: str, instead: str) -> None:
        warnings.warn(
            f"{self.name} does not support {feature}; agentnb falls back to {instead} "
            "for this model from now on",
            ServerFeatureWarning,
            stacklevel=2,
        )

    # ----- waiting and errors --------------------------------------------------------------

    def _wait(self, attempt: int, headers: Mapping[str, str] | None) -> float:
        """Seconds before the next attempt: the server's Retry-After, else exponential backoff."""
        asked = _retry_after(headers) if headers is not None else None
        if asked is None:
            asked = self.backoff * 2**attempt * random.uniform(1.0, 1.25)
        return min(max(asked, 0.0), self.max_wait)

    def _redact(self, text: str) -> str:
        """``text`` without the model's secrets (whole, or a key in the masked form servers echo)."""
        for secret in self.secrets():
            text = text.replace(secret, "***")
        return KEY_PATTERN.sub(r"\1***", text)

    def _server_says(self, exc: Any) -> str:
        message = self._redact(str(getattr(exc, "message", "") or "")).strip()
        return f": {message[:300]}" if message else ""

    def _status_error(
        self, exc: Any, request: ModelRequest, plan: _Plan, attempts: int, started: float
    ) -> ServerError:
        status = exc.status_code
        where = f"{self.name} (HTTP {status})"
        if status in (401, 403):
            what = "refused the API key" if status == 401 else "refused access"
            message = (
                f"{where}: the server {what}{self._server_says(exc)}. Set the {self.api_key_env} "
                f"environment variable to a key that may use model {self.model!r} (or pass api_key=...)"
            )
        elif status == 404:
            message = (
                f"{where}: model {self.model!r} or its endpoint was not found at "
                f"{_public_url(self.base_url)}{self._server_says(exc)}. Check the model name "
                "(GET <base_url>/models lists the server's models) and that base_url ends where "
                "the server expects, usually /v1"
            )
        elif _transient(exc):
            took = time.monotonic() - started
            cause = "still rate limited" if status == 429 else "still failing"
            message = (
                f"{where}: {cause} after {attempts} attempts over {took:.1f} s{self._server_says(exc)}. "
                "Wait and run again, or raise max_retries"
            )
            if plan.tool_choice and request.tool_choice == "required":
                message += "; the request forced tool_choice='required', which some servers lack"
        else:
            message = f"{where}: the server rejected the request{self._server_says(exc)}"
            if request.tools:
                message += (
                    f". It offered tools ({', '.join(request.tool_names())}); this server or model "
                    "may not support tool calling"
                )
        return ServerError(message, status=status)

    def _connection_error(self, exc: BaseException, attempts: int) -> ServerError:
        import openai

        url = _public_url(self.base_url)
        if isinstance(exc, openai.APITimeoutError):
            message = (
                f"{self.name}: no answer within {self.timeout:g} s, {attempts} attempts. The server "
                "may be busy or still loading the model; try again or raise timeout="
            )
        elif isinstance(exc, _StreamCut):
            message = (
                f"{self.name}: the reply stream ended before the server finished it, {attempts} attempts"
            )
        else:
            message = f"{self.name}: cannot connect to {url} ({attempts} attempts). Is the server running?"
        return ServerError(message)

    def _cut_error(self, state: _Assembly, exc: BaseException) -> ServerError:
        import openai

        partial = "".join(state.text)
        if isinstance(exc, _StreamCut):
            why = "ended without a finish_reason"
        elif isinstance(exc, openai.APITimeoutError):
            why = f"stalled for more than {self.timeout:g} s"
        else:
            why = "broke off (connection lost)"
        return ServerError(
            f"{self.name}: the reply stream {why} after {len(partial)} characters; the partial "
            "reply is kept in this error's .partial. Run again",
            partial=partial,
        )


async def _close_with_loop(client: AsyncOpenAI) -> AsyncGenerator[None]:
    """Closes ``client`` when its event loop shuts down (started once, then parked).

    ``asyncio.run`` finalizes the async generators of its loop before closing it, so the
    client's connections close on the loop that opened them, not noisily on a later one.
    """
    try:
        yield
    finally:
        await client.close()


def _outgoing(message: ChatMessage, fold_name: bool) -> ChatMessage:
    """``message`` as servers accept it: a tool-calling assistant's missing content as ""
    (llama.cpp rejects null), and with ``fold_name`` the speaker's name in the content."""
    content = message.get("content")
    if content is None and message.get("tool_calls"):
        return {**message, "content": ""}
    name = message.get("name")
    if not fold_name or not name or not isinstance(content, str):
        return message
    folded = {k: v for k, v in message.items() if k != "name"}
    folded["content"] = f"{name}: {content}"
    return folded


def _transient(exc: Any) -> bool:
    """Whether a status error may pass on retrying (llama.cpp reports invalid requests as 500)."""
    return exc.status_code in RETRY_STATUSES and "validation error" not in str(exc.message)


def _retry_after(headers: Mapping[str, str]) -> float | None:
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
