"""One tool of an MCP server as an agentnb `Tool`: the server's schema, validated arguments, MCP results.

The JSON schema the model sees is the server's own ``inputSchema``; arguments are checked
against it with ``jsonschema`` (the SDK's dependency) before anything is sent, so a bad call
comes back to the model with what was wrong, like any agentnb tool. The call itself, its
progress and its failures are the `MCPServer`'s business (see `agentnb.protocols.mcp.toolset`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from jsonschema import SchemaError
from jsonschema.validators import validator_for
from mcp import types as mcp_types
from pydantic import ConfigDict, create_model

from agentnb.core.tools import Tool, ToolOutcome, ToolOutput
from agentnb.core.toolsets import progress_reporter

Caller = Callable[[str, dict[str, Any], Callable[[float, "float | None", str], None]], Awaitable[ToolOutput]]
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_ANY_ARGUMENTS = create_model("mcp_arguments", __config__=ConfigDict(extra="allow"))


def local_name(remote: str, prefix: str) -> str:
    """The name a model calls an MCP tool by: ``prefix`` + the server's name made API-safe."""
    return (prefix + _UNSAFE.sub("_", remote))[:64]


class SchemaProblem(ValueError):
    """A tool's input schema is not a JSON schema a model API and a validator can use."""


class MCPTool(Tool):
    """A tool of an MCP server; calls go to the server through ``caller`` (the server's link)."""

    reports_progress: ClassVar[bool] = True

    def __init__(
        self,
        definition: mcp_types.Tool,
        caller: Caller,
        *,
        name: str,
        origin: str,
        requires_approval: bool = False,
    ) -> None:
        schema = dict(definition.input_schema)
        schema.setdefault("type", "object")
        if schema.get("type") != "object":
            raise SchemaProblem(f"its input schema has type {schema.get('type')!r}; a tool takes an object")
        try:
            validator_type = validator_for(schema)
            validator_type.check_schema(schema)
        except SchemaError as exc:
            raise SchemaProblem(f"its input schema is not valid JSON Schema: {exc.message}") from None
        self.validator = validator_type(schema)
        self.remote_name = definition.name
        self.definition = definition
        self._caller = caller
        description = definition.description or definition.title or f"The {definition.name} tool of {origin}."
        super().__init__(
            name=name,
            description=description,
            fn=self._call,
            arguments_model=_ANY_ARGUMENTS,
            requires_approval=requires_approval,
            origin=origin,
        )
        self.schema = {
            "type": "function",
            "function": {"name": name, "description": description, "parameters": schema},
        }

    def __repr__(self) -> str:
        return f"MCPTool({self.name!r}, {self.origin})"

    async def _call(self, **arguments: Any) -> ToolOutput:
        """Direct use (``await tool(path="x")``): validated like a model's call."""
        outcome = await self.run(json.dumps(arguments))
        return ToolOutput(outcome.content, display=outcome.display or [], is_error=outcome.is_error)

    async def run(self, arguments: str) -> ToolOutcome:
        """Validate ``arguments`` against the server's schema and call the tool; never raises."""
        started = time.perf_counter()
        parsed, problem = self._parse(arguments)
        if problem is not None:
            return ToolOutcome(problem, True, time.perf_counter() - started)
        output = await self._caller(self.remote_name, parsed, progress_reporter())
        display = list(output.display) or None
        return ToolOutcome(output.text, output.is_error, time.perf_counter() - started, display)

    def _parse(self, arguments: str) -> tuple[dict[str, Any], str | None]:
        try:
            parsed = json.loads(arguments.strip() or "{}")
        except ValueError as exc:
            return {}, (
                f"Error: the arguments for {self.name!r} are not valid JSON ({exc}): {arguments[:200]!r}. "
                "Send a JSON object."
            )
        if not isinstance(parsed, dict):
            return (
                {},
                f"Error: the arguments for {self.name!r} must be a JSON object, got {arguments[:200]!r}.",
            )
        errors = sorted(self.validator.iter_errors(parsed), key=lambda e: list(e.absolute_path))
        if not errors:
            return parsed, None
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.absolute_path) or 'arguments'}: {e.message}" for e in errors[:5]
        )
        expected = json.dumps(self.schema["function"]["parameters"].get("properties", {}))[:2000]
        return parsed, f"Error: invalid arguments for {self.name!r}: {problems}. Expected: {expected}"
