"""AutoModel: exercises a team with no script, deterministically, from a seed.

On an agent's first call in a turn it calls the offered tools with arguments generated from
their JSON schemas; once tool results are back (or when there are no tools) it answers with
text, or with JSON that satisfies the requested output schema. Handoff tools are left alone
unless ``handoffs=True``. Useful to smoke-test tool wiring and schemas without writing replies.
"""

from __future__ import annotations

import json
import random
from typing import Any

from agentnb.messages import ToolCall
from agentnb.models.base import ModelReply, ModelRequest, OfflineModel
from agentnb.models.scripted import HANDOFF_PREFIX

_WORDS = ("alpha", "brook", "cedar", "delta", "ember", "fjord", "grove", "harbor", "iris")


class SchemaValueGenerator:
    """Generates values that satisfy a JSON schema (the subset pydantic emits)."""

    def __init__(self, rng: random.Random, root: dict[str, Any]) -> None:
        self.rng = rng
        self.defs = root.get("$defs", {})

    def value(self, schema: dict[str, Any], depth: int = 0) -> Any:
        if "$ref" in schema:
            return self.value(self.defs[schema["$ref"].rsplit("/", 1)[-1]], depth)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self.rng.choice(schema["enum"])
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
                return self.value(options[0], depth)
        if "allOf" in schema:
            return self.value(schema["allOf"][0], depth)
        kind = schema.get("type", "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object":
            props = schema.get("properties", {})
            return {name: self.value(sub, depth + 1) for name, sub in props.items()}
        if kind == "array":
            count = max(schema.get("minItems", 1), 1 if depth < 3 else 0)
            return [self.value(schema.get("items", {}), depth + 1) for _ in range(count)]
        if kind == "integer":
            low = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
            high = schema.get("maximum", schema.get("exclusiveMaximum", low + 101) - 1)
            return self.rng.randint(int(low), max(int(low), int(high)))
        if kind == "number":
            low = schema.get("minimum", 0.0)
            high = schema.get("maximum", low + 100.0)
            return round(self.rng.uniform(low, high), 2)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        text = self.rng.choice(_WORDS)
        min_length = schema.get("minLength", 0)
        return (text * (min_length // len(text) + 1))[: max(min_length, len(text))]


class AutoModel(OfflineModel):
    """Calls offered tools with schema-valid arguments, then replies; same seed, same run."""

    def __init__(self, seed: int = 0, *, handoffs: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.seed = seed
        self.handoffs = handoffs
        self.name = f"auto:{seed}"

    async def reply(self, request: ModelRequest) -> ModelReply:
        rng = random.Random(f"{self.seed}:{request.agent}:{self.calls}")
        last = request.messages[-1] if request.messages else {}
        if request.tools and request.tool_choice != "none" and last.get("role") != "tool":
            calls = self._tool_calls(request, rng)
            if calls:
                return ModelReply(tool_calls=calls)
        if request.output_schema is not None:
            generator = SchemaValueGenerator(rng, request.output_schema)
            return ModelReply(text=json.dumps(generator.value(request.output_schema)))
        return ModelReply(text=self._text(request, last))

    def _tool_calls(self, request: ModelRequest, rng: random.Random) -> list[ToolCall]:
        forced = request.tool_choice not in ("auto", "required", "none")
        calls = []
        for tool in request.tools:
            fn = tool["function"]
            if forced and fn["name"] != request.tool_choice:
                continue
            if not forced and not self.handoffs and fn["name"].startswith(HANDOFF_PREFIX):
                continue
            params = fn.get("parameters", {})
            args = SchemaValueGenerator(rng, params).value(params)
            calls.append(
                ToolCall(id=f"call_{self.calls}_{len(calls)}", name=fn["name"], arguments=json.dumps(args))
            )
        return calls

    def _text(self, request: ModelRequest, last: dict[str, Any]) -> str:
        content = last.get("content") or ""
        snippet = content if len(content) <= 60 else content[:57] + "..."
        who = last.get("name") or last.get("role", "nobody")
        return f'{request.agent} (auto reply {self.calls}): noted {who}\'s message "{snippet}".'
