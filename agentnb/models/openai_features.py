"""Learning what an OpenAI-compatible server supports: try a feature, fall back, remember.

Servers differ in JSON-schema output, forcing a tool choice and usage in streams. Each
request first tries the best of these not known to be missing; a rejection that names a
feature (or an unexplained 400/422) drops it for a retry, and once a request goes
through, the fallbacks it needed are remembered and announced once.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

from agentnb.core.model import ModelRequest
from agentnb.models.openai_request import OUTPUT_MODES, Plan, strict_schema

FEATURE_WORDS = {
    "stream_options": ("stream_options", "include_usage"),
    "output": ("response_format", "json_schema", "json_object", "strict"),
    "tool_choice": ("tool_choice",),
}


class ServerFeatureWarning(UserWarning):
    """A server lacks a feature (JSON-schema output, forcing a tool) and agentnb fell back."""


class ServerFeatures:
    """What one server is known to lack, and the plan each request starts from."""

    def __init__(self) -> None:
        self.lacks: set[str] = set()

    def plan(self, request: ModelRequest, streaming: bool) -> Plan:
        """The optional features to try first, skipping those this server is known to lack."""
        output = None
        if request.output_schema is not None:
            first = 0 if strict_schema(request.output_schema) is not None else 1
            output = next(m for m in OUTPUT_MODES[first:] if m not in self.lacks or m == "prompt")
        forcing = bool(request.tools) and request.tool_choice != "auto"
        return Plan(
            output=output,
            tool_choice=forcing and "tool_choice" not in self.lacks,
            usage=streaming and "stream_options" not in self.lacks,
        )

    def downgrade(self, plan: Plan, exc: Any) -> Plan | None:
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

    def learn(self, plan: Plan, who: str) -> None:
        """The request went through: remember the fallbacks it needed, and say so once."""
        new = [f for f in plan.dropped if f not in self.lacks]
        if not new:
            return
        self.lacks.update(new)
        if "tool_choice" in new:
            _warn(who, "forcing a tool choice (tool_choice)", "offering tools without forcing one")
        if plan.output == "object" and {"schema", "strict"} & set(new):
            _warn(
                who,
                "JSON-schema output (response_format json_schema)",
                "json_object plus the schema in the prompt",
            )
        elif plan.output == "prompt" and "object" in new:
            _warn(who, "JSON output modes (response_format)", "asking for JSON in the system prompt")


def _warn(who: str, feature: str, instead: str) -> None:
    warnings.warn(
        f"{who} does not support {feature}; agentnb falls back to {instead} for this model from now on",
        ServerFeatureWarning,
        stacklevel=3,
    )
