"""AutoModel: exercises a team with no script, deterministically, from a seed.

On an agent's first call in a turn it calls the offered tools with arguments generated from
their JSON schemas; once tool results are back (or when there are no tools) it answers with
text, or with JSON that satisfies the requested output schema, or, when handoff tools
(``transfer_to_<name>``) are offered, hands off instead. Useful to smoke-test tool wiring,
schemas and handoff routing without writing replies.
"""

from __future__ import annotations

import json
import random
from typing import Any

from agentnb.core.events import ToolCall
from agentnb.core.model import ModelReply, ModelRequest
from agentnb.core.tools import HANDOFF_PREFIX
from agentnb.models.base import OfflineModel

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
    """Calls offered tools with schema-valid arguments, then replies; same seed, same run.

    In a handoff team (``transfer_to_<name>`` tools offered) it hands off where it would
    otherwise reply: once its other tools have run, or at once when it has none, it calls
    one transfer tool, picked from the seed. ``handoffs=False`` makes it reply with text
    and leave transfer tools alone. The default is on so that a handoff team run on
    ``auto`` visibly passes control (its ``max_turns`` ends the run).
    """

    def __init__(self, seed: int = 0, *, handoffs: bool = True, **options: Any) -> None:
        super().__init__(**options)
        self.seed = seed
        self.handoffs = handoffs
        self.name = f"auto:{seed}"

    async def reply(self, request: ModelRequest) -> ModelReply:
        rng = random.Random(f"{self.seed}:{request.agent}:{self.calls}")
        last = request.messages[-1] if request.messages else {}
        functions = self._functions_to_call(request, last, rng)
        if functions:
            return ModelReply(tool_calls=self._calls(functions, rng))
        if request.output_schema is not None:
            generator = SchemaValueGenerator(rng, request.output_schema)
            return ModelReply(text=json.dumps(generator.value(request.output_schema)))
        return ModelReply(text=self._text(request, last))

    def _functions_to_call(
        self, request: ModelRequest, last: dict[str, Any], rng: random.Random
    ) -> list[dict[str, Any]]:
        """The offered functions to call now; none means reply."""
        if not request.tools or request.tool_choice == "none":
            return []
        functions = [t["function"] for t in request.tools]
        first = last.get("role") != "tool"  # no tool results back yet in this turn
        if request.tool_choice not in ("auto", "required"):
            return [fn for fn in functions if fn["name"] == request.tool_choice] if first else []
        own = [fn for fn in functions if not fn["name"].startswith(HANDOFF_PREFIX)]
        transfers = [fn for fn in functions if fn["name"].startswith(HANDOFF_PREFIX)]
        if own and first:
            return own
        if transfers and self.handoffs:
            return [rng.choice(transfers)]
        return []

    def _calls(self, functions: list[dict[str, Any]], rng: random.Random) -> list[ToolCall]:
        """One call of each function, with arguments generated from its parameter schema."""
        calls = []
        for fn in functions:
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
