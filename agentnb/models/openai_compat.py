"""OpenAI-compatible chat models: OpenAI itself, or any server that speaks its chat API.

`OpenAIModel` streams chat completions through the ``openai`` package's async client and
turns them into agentnb's model protocol: text deltas, then one `ModelReply`. It learns
what a server supports by trying (JSON-schema output, forcing a tool, usage in streams),
remembers it, and says once what it fell back to. Retries (429, 5xx, timeouts) are its own,
so they are visible and testable; the openai client's are switched off.

The parts live beside it, one concept each: `openai_request` builds the request body,
`openai_stream` assembles the reply, `openai_features` learns what a server lacks,
`openai_retry` decides retries and waits, `openai_errors` words the failures.
``openai`` is imported on first use, so importing agentnb stays light.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import aclosing
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from agentnb.core.model import ModelError, ModelReply, ModelRequest
from agentnb.core.secrets import public_url, remember, sensitive_headers, url_secrets
from agentnb.models.openai_errors import (
    KEY_PATTERN,
    ServerError,
    connection_error,
    cut_error,
    redact,
    status_error,
)
from agentnb.models.openai_features import FEATURE_WORDS, ServerFeatures, ServerFeatureWarning
from agentnb.models.openai_request import OUTPUT_MODES, Plan, request_body, schema_instruction, strict_schema
from agentnb.models.openai_retry import RETRY_STATUSES, transient, wait_seconds
from agentnb.models.openai_stream import Assembly, StreamCut

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = [
    "FEATURE_WORDS",
    "KEY_PATTERN",
    "OPENAI_URL",
    "OUTPUT_MODES",
    "PLACEHOLDER_KEY",
    "RETRY_STATUSES",
    "OpenAIModel",
    "ServerError",
    "ServerFeatureWarning",
    "schema_instruction",
    "strict_schema",
]

OPENAI_URL = "https://api.openai.com/v1"
OPENAI_KEY_ENV = "OPENAI_API_KEY"
BASE_URL_ENV = "OPENAI_BASE_URL"
PLACEHOLDER_KEY = "agentnb-local"  # local servers want some key and accept any


def own_service(base_url: str) -> bool:
    """Whether ``base_url`` is where ``OPENAI_API_KEY`` belongs: OpenAI's API, or the
    ``OPENAI_BASE_URL`` the user set (the variables come as a pair)."""
    if urlsplit(base_url).hostname == "api.openai.com":
        return True
    chosen = os.environ.get(BASE_URL_ENV, "").strip().rstrip("/")
    return bool(chosen) and chosen == base_url.rstrip("/")


class OpenAIModel:
    """A model behind an OpenAI-compatible chat-completions API (OpenAI, llama.cpp, vLLM, Ollama...).

    ``model`` is sent as-is: any name the server knows works. ``base_url`` defaults to
    ``OPENAI_BASE_URL`` or OpenAI's API. The key is ``api_key``, or the variable named by
    ``api_key_env``. Without either, ``OPENAI_API_KEY`` goes only to its own service (OpenAI's
    API, or the ``OPENAI_BASE_URL`` you set): any other server gets a placeholder (local
    servers accept any key), so a URL from elsewhere never receives your key. ``headers``
    go with every request, ``params`` (temperature, max_tokens, seed, ...) are merged into
    every request body.

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
        api_key_env: str | None = None,
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
        self.base_url = (base_url or os.environ.get(BASE_URL_ENV) or OPENAI_URL).rstrip("/")
        self.is_openai = urlsplit(self.base_url).hostname == "api.openai.com"
        self.api_key_env = api_key_env or OPENAI_KEY_ENV
        self.chosen_key_env = api_key_env is not None  # a variable named on purpose goes anywhere
        self._api_key = api_key
        self.headers = dict(headers or {})
        remember(self.secrets())  # every scrubber replaces them from now on, whatever their shape
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.streaming = stream
        self.names_in_content = not self.is_openai if names_in_content is None else names_in_content
        self.params = dict(params or {})
        self.backoff = float(backoff)
        self.max_wait = float(max_wait)
        self._http_client_factory = http_client_factory
        where = "" if self.is_openai else f"@{public_url(self.base_url)}"
        self.name = f"openai:{self.model}{where}"
        self._clients: dict[asyncio.AbstractEventLoop, tuple[AsyncOpenAI, AsyncGenerator[None]]] = {}
        self._lock = threading.Lock()
        self._features = ServerFeatures()

    def __repr__(self) -> str:
        return f"OpenAIModel({self.model!r}, base_url={public_url(self.base_url)!r})"

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
        key = self._api_key or (os.environ.get(self.api_key_env, "") if self.sends_env_key() else "")
        if key:
            remember([key])
            return key
        if not self.is_openai:
            return PLACEHOLDER_KEY
        raise ModelError(
            f"{self.name}: no API key; set the {self.api_key_env} environment variable "
            "(or pass api_key=...), or use an offline model such as 'scripted:newsroom'"
        )

    def sends_env_key(self) -> bool:
        """Whether the ``api_key_env`` variable may go to ``base_url``: always when you named the
        variable, else (``OPENAI_API_KEY``) only to its own service (see `own_service`)."""
        return self.chosen_key_env or own_service(self.base_url)

    def withheld_env_key(self) -> bool:
        """Whether the environment has a key this server did not get (it is not its service)."""
        return not self._api_key and not self.sends_env_key() and bool(os.environ.get(self.api_key_env))

    def secrets(self) -> list[str]:
        """What must never reach a file or a message: the key (given or from its variable),
        credential headers, and a password or a key written into ``base_url``."""
        found = [
            self._api_key,
            os.environ.get(self.api_key_env),
            *sensitive_headers(self.headers),
            *url_secrets(self.base_url),
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

        plan = self._features.plan(request, self.streaming)
        attempt = 0
        started = time.monotonic()
        while True:
            state = Assembly()
            try:
                async with aclosing(self._attempt(request, plan, state)) as pieces:
                    async for piece in pieces:
                        yield piece
                break
            except openai.APIStatusError as exc:
                lower = self._features.downgrade(plan, exc)
                if lower is not None:
                    plan = lower
                    continue
                if exc.status_code in (401, 403):
                    await self.aclose()  # the next call reads the key again, once the user fixes it
                if not transient(exc) or attempt >= self.max_retries:
                    raise status_error(self, exc, request, plan, attempt + 1, started) from None
                wait = self._wait(attempt, exc.response.headers)
            except (openai.APIConnectionError, StreamCut) as exc:
                if state.yielded:
                    raise cut_error(self, state, exc) from None
                if attempt >= self.max_retries:
                    raise connection_error(self, exc, attempt + 1) from None
                wait = self._wait(attempt, None)
            except openai.APIError as exc:
                raise ServerError(
                    f"{self.name}: the server reported an error mid-reply: "
                    f"{redact(exc.message, self.secrets())}",
                    partial="".join(state.text),
                ) from None
            attempt += 1
            await asyncio.sleep(wait)
        yield state.reply(request, self.model)

    async def _attempt(self, request: ModelRequest, plan: Plan, state: Assembly) -> AsyncIterator[str]:
        """One HTTP request; fills ``state`` and yields text deltas as they arrive."""
        client = await self._client()
        body = request_body(
            request,
            plan,
            model=self.model,
            names_in_content=self.names_in_content,
            params=self.params,
            who=self.name,
        )
        if not self.streaming:
            completion = await client.chat.completions.create(**body)
            self._features.learn(plan, self.name)
            text = state.absorb_completion(completion)
            if text is None:
                raise ServerError(f"{self.name}: the server sent a completion with no choices")
            if text:
                state.yielded = True
                yield text
            return
        stream = await client.chat.completions.create(**body, stream=True)
        self._features.learn(plan, self.name)
        try:
            async for chunk in stream:
                text = state.absorb(chunk)
                if text:
                    state.yielded = True
                    yield text
        finally:
            await stream.close()
        if state.finish is None:
            raise StreamCut("the stream ended without a finish_reason")

    def _wait(self, attempt: int, headers: Mapping[str, str] | None) -> float:
        """Seconds before retry ``attempt + 1`` (see `openai_retry.wait_seconds`)."""
        return wait_seconds(attempt, headers, backoff=self.backoff, max_wait=self.max_wait)


async def _close_with_loop(client: AsyncOpenAI) -> AsyncGenerator[None]:
    """Closes ``client`` when its event loop shuts down (started once, then parked).

    ``asyncio.run`` finalizes the async generators of its loop before closing it, so the
    client's connections close on the loop that opened them, not noisily on a later one.
    """
    try:
        yield
    finally:
        await client.close()
