"""An MCP tool result as an agentnb `ToolOutput`: the text the model reads, rich outputs for people.

MCP results keep their structure: text blocks become the model's text; images (and audio)
go into the chat as mime bundles with a note in the text; structured content is the text
when the server sent no text, and is kept as an ``application/json`` bundle either way;
resource links and embedded resources are named with their URI. Everything is bounded:
text past ``max_text`` characters is cut with a note saying how much there was, and a
binary output past ``max_binary`` characters of base64 is left out with a note, so a
10 MB result cannot flood the model's context or the transcript.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mcp import types as mcp_types

from agentnb.core.tools import ToolOutput

MAX_TEXT = 50_000
MAX_BINARY = 5_000_000  # base64 characters (about 3.7 MB of image data)


def tool_output(
    result: mcp_types.CallToolResult,
    *,
    max_text: int = MAX_TEXT,
    max_binary: int = MAX_BINARY,
    scrub: Callable[[str], str] = str,
) -> ToolOutput:
    """The `ToolOutput` of one MCP tool result (``scrub`` removes secrets from text)."""
    texts: list[str] = []
    display: list[dict[str, str]] = []
    for block in result.content:
        _add_block(block, texts, display, max_binary)
    structured = result.structured_content
    if structured is not None:
        dumped = json.dumps(structured, ensure_ascii=False, default=str)
        if not texts:
            texts.append(dumped)
        display.append({"application/json": scrub(_cut(dumped, max_text)), "text/plain": "structured result"})
    text = scrub(_cut("\n".join(texts), max_text))
    if result.is_error and not text.strip():
        text = "the tool reported an error without a message"
    return ToolOutput(text, display=display, is_error=result.is_error)


def _add_block(block: Any, texts: list[str], display: list[dict[str, str]], max_binary: int) -> None:
    if isinstance(block, mcp_types.TextContent):
        texts.append(block.text)
    elif isinstance(block, mcp_types.ImageContent | mcp_types.AudioContent):
        kind = "image" if isinstance(block, mcp_types.ImageContent) else "audio"
        texts.append(_binary(kind, block.mime_type, block.data, display, max_binary))
    elif isinstance(block, mcp_types.ResourceLink):
        about = f": {block.description}" if block.description else ""
        mime = f", {block.mime_type}" if block.mime_type else ""
        texts.append(f"[resource link: {block.name} <{block.uri}>{mime}{about}]")
    elif isinstance(block, mcp_types.EmbeddedResource):
        resource = block.resource
        if isinstance(resource, mcp_types.TextResourceContents):
            texts.append(f"[resource <{resource.uri}>]\n{resource.text}")
        else:
            mime = resource.mime_type or "application/octet-stream"
            kind = mime.split("/", 1)[0] if mime.startswith(("image/", "audio/")) else "binary resource"
            note = _binary(kind, mime, resource.blob, display, max_binary)
            texts.append(f"{note} <{resource.uri}>")
    else:  # a content type newer than this adapter
        texts.append(f"[{getattr(block, 'type', 'unknown')} content, not shown]")


def _binary(kind: str, mime: str, data: str, display: list[dict[str, str]], max_binary: int) -> str:
    """Put a base64 output in ``display`` if it is small enough; the note for the model's text."""
    size = len(data) * 3 // 4
    if len(data) > max_binary:
        return (
            f"[{kind} ({mime}, {_size(size)}) left out: larger than the {_size(max_binary * 3 // 4)} limit]"
        )
    display.append({mime: data, "text/plain": f"<{kind} {mime}, {_size(size)}>"})
    return f"[{kind} ({mime}, {_size(size)}) shown to the user]"


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return (
        text[:limit] + f"\n[… cut: the result had {len(text):,} characters; the first {limit:,} are shown. "
        "Ask the tool for less (a range, a filter, a page).]"
    )


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} MB"
