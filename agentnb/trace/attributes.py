"""A span's OpenTelemetry GenAI attributes and its content, derived from its events.

Attributes follow the GenAI semantic conventions (``gen_ai.operation.name``,
``gen_ai.provider.name``, ``gen_ai.agent.name``, ``gen_ai.request.model`` (the model asked
for) and ``gen_ai.response.model`` (the one that answered), ``server.address``,
``gen_ai.usage.*``, ``gen_ai.tool.*``, ``error.type``); what the conventions do not cover is
under ``agentnb.*``. Content — message
text, tool arguments and results, plans — is kept apart: the conventions make it opt-in.
Every string passes through a `Scrubber`, so no secret reaches a view or an export.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from agentnb.core.events import (
    Approval,
    ContextSummary,
    ErrorEvent,
    Handoff,
    PlanCreated,
    Replanned,
    SpeakerSelected,
    StepFailed,
    StepFinished,
    StepStarted,
    Stop,
    TextMessage,
    ToolCalls,
    ToolResult,
)
from agentnb.core.secrets import Scrubber
from agentnb.trace.spans import AGENT, APPROVAL, CHAT, PLAN, SELECT, STEP, TOOL, WORKFLOW, Span, request_label

ERROR_TYPES = {TOOL: "tool_error", CHAT: "unusable_reply", STEP: "step_failed", APPROVAL: "rejected"}
OFFLINE_PREFIXES = ("scripted", "function:", "auto:", "local", "offline", "replay:")

CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


def capture_from_env() -> bool:
    """Whether the OpenTelemetry GenAI content-capture variable is set to true."""
    return os.environ.get(CAPTURE_ENV, "").strip().lower() in ("1", "true", "yes")


def provider(model: str | None) -> str | None:
    """``gen_ai.provider.name`` when the model name tells it; ``None`` for a model of unknown make.

    ``openai:`` models speak OpenAI's API, whichever server runs them (``server.address``
    says which, as the conventions advise); agentnb's offline and embedded models are ``agentnb``.
    """
    if not model:
        return None
    if model.startswith(OFFLINE_PREFIXES):
        return "agentnb"
    if model.startswith("openai:") or model.startswith(("gpt-", "o1", "o3", "o4", "chatgpt-")):
        return "openai"
    return None


def model_attributes(span: Span) -> dict[str, Any]:
    """Provider, requested and answering model, and server of a model call (or of an agent's turn)."""
    requested = span.request_model
    out: dict[str, Any] = {}
    found = provider(requested) or provider(span.model)
    if found:
        out["gen_ai.provider.name"] = found
    asked = request_label(requested) or span.model
    if asked:
        out["gen_ai.request.model"] = asked
    if span.operation == CHAT and span.model:
        out["gen_ai.response.model"] = span.model
    server = requested.partition("@")[2] if requested and requested.startswith("openai:") else ""
    if server:
        parts = urlsplit(server)
        if parts.hostname:
            out["server.address"] = parts.hostname
        if parts.port:
            out["server.port"] = parts.port
    return out


def attributes(span: Span) -> dict[str, Any]:
    """The span's attributes (no content): what any export may carry, before scrubbing."""
    op = span.operation
    out: dict[str, Any] = {"gen_ai.operation.name": op}
    if span.scope:
        out["agentnb.scope"] = span.scope
    if span.step and op != STEP:
        out["agentnb.step"] = span.step
    opener, event = span.opener, span.event
    if op == WORKFLOW:
        out["gen_ai.workflow.name"] = span.label or ""
        if isinstance(event, Stop):
            out["agentnb.stop_reason"] = event.reason
    elif op in (AGENT, PLAN):
        out["gen_ai.agent.name"] = span.agent
        out.update(model_attributes(span))
        if isinstance(opener, SpeakerSelected):
            out["agentnb.turn"] = opener.turn
            if opener.reason:
                out["agentnb.speaker_reason"] = opener.reason
        if isinstance(event, Handoff):
            out["agentnb.handoff.target"] = event.target
        if isinstance(event, PlanCreated | Replanned):
            out["agentnb.plan.steps"] = len(event.plan.steps)
        if isinstance(event, Replanned):
            out["agentnb.plan.revision"] = event.revision
            out["agentnb.plan.kept"] = list(event.kept)
    elif op == CHAT:
        out["gen_ai.agent.name"] = span.agent
        out.update(model_attributes(span))
        if isinstance(span.event, ContextSummary):
            out["agentnb.context_summary"] = True
        if span.usage is not None:
            out["gen_ai.usage.input_tokens"] = span.usage.prompt_tokens
            out["gen_ai.usage.output_tokens"] = span.usage.completion_tokens
        if span.cost is not None:
            out["agentnb.cost.usd"] = float(span.cost)
        if span.first_token is not None:
            out["agentnb.time_to_first_token"] = round(max(0.0, span.first_token - span.start), 6)
        if isinstance(event, ToolCalls):
            out["gen_ai.response.finish_reasons"] = ["tool_calls"]
        elif isinstance(event, TextMessage | ContextSummary):
            out["gen_ai.response.finish_reasons"] = ["stop"]
    elif op in (TOOL, APPROVAL):
        out["gen_ai.tool.name"] = span.label or ""
        out["gen_ai.tool.type"] = "function"
        call_id = getattr(event, "call_id", None)
        if call_id:
            out["gen_ai.tool.call.id"] = call_id
        if op == TOOL:
            out["gen_ai.agent.name"] = span.agent
        if isinstance(event, Approval):
            out["agentnb.approval.approved"] = event.approved
            out["agentnb.approval.by"] = event.source
            out["agentnb.approval.edited"] = event.arguments is not None
    elif op == SELECT:
        if isinstance(opener, SpeakerSelected):
            out["agentnb.speaker"] = opener.speaker
            out["agentnb.turn"] = opener.turn
            out["agentnb.speaker_reason"] = opener.reason
    elif op == STEP:
        out["agentnb.step.id"] = span.label or ""
        out["agentnb.step.assignee"] = span.agent
        if isinstance(opener, StepStarted):
            out["agentnb.step.attempt"] = opener.attempt
        if isinstance(event, StepFailed):
            out["agentnb.step.retrying"] = event.retrying
    if span.status == "error":
        out["error.type"] = ERROR_TYPES.get(op, "run_error")
        if span.error:
            out["agentnb.error"] = span.error
    return out


def content(span: Span, scrub: Scrubber) -> dict[str, Any]:
    """What was said and passed: message text, tool arguments and results, plans (scrubbed)."""
    op = span.operation
    opener, event = span.opener, span.event
    out: dict[str, Any] = {}
    if op == WORKFLOW and isinstance(opener, TextMessage):
        out["input"] = opener.content
    elif op == CHAT:
        if isinstance(event, TextMessage):
            out["output"] = event.content
            if event.data is not None:
                out["data"] = event.data
        elif isinstance(event, ToolCalls):
            if event.content:
                out["output"] = event.content
            out["tool_calls"] = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in event.calls]
        elif isinstance(event, ErrorEvent):
            out["feedback"] = event.content
        elif isinstance(event, ContextSummary):
            out["output"] = event.content
    elif op == AGENT and isinstance(event, TextMessage):
        out["output"] = event.content
    elif op == TOOL:
        if span.call is not None:
            out["arguments"] = span.call.arguments
        if isinstance(event, ToolResult):
            out["result"] = event.content
    elif op == APPROVAL and isinstance(event, Approval):
        if span.call is not None:
            out["arguments"] = span.call.arguments
        if event.arguments is not None:
            out["edited_arguments"] = event.arguments
        if event.comment:
            out["comment"] = event.comment
    elif op == PLAN and isinstance(event, PlanCreated | Replanned):
        out["plan"] = event.plan.model_dump(mode="json")
        if isinstance(event, Replanned):
            out["reason"] = event.reason
    elif op == STEP and isinstance(event, StepFinished):
        out["output"] = event.output
        if event.data is not None:
            out["data"] = event.data
    return scrub.data(out)


def otel_content(span: Span, found: dict[str, Any]) -> dict[str, Any]:
    """``content`` as the GenAI conventions' opt-in attributes (JSON text where structured)."""
    op = span.operation
    out: dict[str, Any] = {}
    if op == TOOL:
        if "arguments" in found:
            out["gen_ai.tool.call.arguments"] = found["arguments"]
        if "result" in found:
            out["gen_ai.tool.call.result"] = found["result"]
        return out
    if op == WORKFLOW and "input" in found:
        message = {"role": "user", "parts": [{"type": "text", "content": found["input"]}]}
        out["gen_ai.input.messages"] = json.dumps([message], ensure_ascii=False)
        return out
    if op in (CHAT, AGENT) and ("output" in found or "tool_calls" in found):
        parts: list[dict[str, Any]] = []
        if found.get("output"):
            parts.append({"type": "text", "content": found["output"]})
        for call in found.get("tool_calls", ()):
            try:
                arguments = json.loads(call["arguments"])
            except ValueError:
                arguments = call["arguments"]
            parts.append(
                {"type": "tool_call", "id": call["id"], "name": call["name"], "arguments": arguments}
            )
        finish = "tool_call" if found.get("tool_calls") else "stop"
        message = {"role": "assistant", "parts": parts, "finish_reason": finish}
        out["gen_ai.output.messages"] = json.dumps([message], ensure_ascii=False)
        return out
    for key, value in found.items():
        out[f"agentnb.content.{key}"] = (
            value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        )
    return out


def cost_text(cost: Decimal | None) -> str:
    """A cost for people: ``$0.0012``, ``$0`` for free models, ``unknown`` when not priced."""
    if cost is None:
        return "unknown"
    if cost == 0:
        return "$0"
    if cost >= 1:
        return f"${cost:.2f}"
    return f"${cost:.6f}".rstrip("0").rstrip(".")
