"""Model calls as JSON: the canonical request form and key, and stored replies.

Cassettes and the response cache share this format, so a stored interaction reads the
same in both: the request, the reply (text, tool calls, usage, model) and the streamed
chunks, which let a stored reply stream exactly as it did live.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from agentnb.core.events import ToolCall, Usage
from agentnb.core.model import ModelError, ModelReply, ModelRequest
from agentnb.core.saved import json_kind
from agentnb.core.secrets import Scrubber


def normalize(request: ModelRequest) -> dict[str, Any]:
    """The request as plain JSON data (``prompt_tokens``, an estimate, is left out)."""
    return json.loads(canonical(request.to_dict()))


def canonical(data: Any) -> str:
    """Canonical JSON text: sorted keys, no spaces, so equal data gives equal text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_key(request: ModelRequest, salt: str = "") -> str:
    """sha256 of the canonical request (and ``salt``, e.g. a model name)."""
    return hashlib.sha256((salt + canonical(request.to_dict())).encode("utf-8")).hexdigest()


def encode(
    request: ModelRequest, key: str, reply: ModelReply, chunks: list[str], scrubber: Scrubber
) -> dict[str, Any]:
    """One interaction as JSON data, with secrets scrubbed from everything in it."""
    streamed = "".join(chunks)
    clean = scrubber.text(streamed)
    return {
        "key": key,
        "request": scrubber.data(normalize(request)),
        "response": {
            "text": scrubber.text(reply.text),
            "tool_calls": scrubber.data([c.model_dump() for c in reply.tool_calls]),
            "usage": reply.usage.model_dump(),
            "model": scrubber.text(reply.model),
        },
        # a secret split across two deltas is only visible in the joined text
        "chunks": [clean] if clean != streamed else chunks,
    }


class StoredResponse(BaseModel):
    """The reply part of a stored interaction."""

    model_config = ConfigDict(extra="ignore")

    text: str = ""
    tool_calls: list[ToolCall] = []
    usage: Usage = Usage()
    model: str = ""


class StoredInteraction(BaseModel):
    """The shape `decode` accepts: what `encode` writes (the request is not needed to replay)."""

    model_config = ConfigDict(extra="ignore")

    key: str = ""
    response: StoredResponse
    chunks: list[str] = []


def decode(entry: Any, where: str) -> tuple[list[str], ModelReply]:
    """The chunks and reply of a stored interaction; ``where`` names it in errors."""
    if not isinstance(entry, dict):
        raise ModelError(f"{where}: not a stored model interaction (a {json_kind(entry)}, not an object)")
    try:
        stored = StoredInteraction.model_validate(entry)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'interaction'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise ModelError(f"{where}: not a stored model interaction ({problems})") from None
    response = stored.response
    reply = ModelReply(
        text=response.text, tool_calls=response.tool_calls, usage=response.usage, model=response.model
    )
    return stored.chunks, reply


async def replay_chunks(chunks: list[str], reply: ModelReply) -> AsyncIterator[str | ModelReply]:
    """Stream a stored reply: its recorded deltas, then a fresh copy of the reply."""
    for chunk in chunks:
        yield chunk
    yield ModelReply(text=reply.text, tool_calls=list(reply.tool_calls), usage=reply.usage, model=reply.model)
