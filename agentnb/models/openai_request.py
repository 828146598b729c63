"""The chat-completions request body: messages, tools, the tool choice and the output format.

A `Plan` says which optional features one request uses (see `openai_features` for how
they are chosen and dropped); `request_body` turns a `ModelRequest` and a plan into the
keyword arguments of ``client.chat.completions.create``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agentnb.core.model import ChatMessage, ModelError, ModelRequest

OUTPUT_MODES = ("strict", "schema", "object", "prompt")


@dataclass(frozen=True, slots=True)
class Plan:
    """Which optional features one request uses; ``dropped`` lists fallbacks taken on the way."""

    output: str | None = None  # one of OUTPUT_MODES, or None without an output schema
    tool_choice: bool = False
    usage: bool = False
    dropped: tuple[str, ...] = ()


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


def request_body(
    request: ModelRequest,
    plan: Plan,
    *,
    model: str,
    names_in_content: bool,
    params: Mapping[str, Any],
    who: str,
) -> dict[str, Any]:
    """The ``create`` arguments for ``request`` under ``plan``; ``who`` names the model in errors."""
    body: dict[str, Any] = {"model": model, "messages": _messages(request, plan, names_in_content)}
    if request.tools and not (request.tool_choice == "none" and not plan.tool_choice):
        body["tools"] = request.tools
        if plan.tool_choice:
            body["tool_choice"] = _tool_choice(request, who)
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
    if params:
        body["extra_body"] = dict(params)
    return body


def _messages(request: ModelRequest, plan: Plan, fold: bool) -> list[ChatMessage]:
    messages = [outgoing(m, fold) for m in request.messages]
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


def _tool_choice(request: ModelRequest, who: str) -> str | dict[str, Any]:
    choice = request.tool_choice
    names = request.tool_names()
    if choice == "required" and len(names) == 1:
        choice = names[0]  # the same demand, in the form more servers understand
    if choice in ("required", "none"):
        return choice
    if choice not in names:
        raise ModelError(
            f"{who}: agent {request.agent!r} forces tool {choice!r}, but the request "
            f"offers only {', '.join(names)}"
        )
    return {"type": "function", "function": {"name": choice}}


def outgoing(message: ChatMessage, fold_name: bool) -> ChatMessage:
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
