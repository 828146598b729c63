"""Tools: typed Python functions a model can call, with schemas and validated arguments.

``@tool`` reads a function's signature: type hints become a JSON schema (through a pydantic
model), ``Annotated[str, "what it is"]`` or a docstring ``Args:`` section describe each
parameter, and the docstring's first paragraph describes the tool. Arguments are validated
before the call; every failure becomes an error result the model can read and act on.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from agentnb.messages import ToolCall


@dataclass(slots=True)
class ToolOutcome:
    """What running one tool call produced: the text the model sees, and whether it failed."""

    content: str
    is_error: bool
    duration: float


@dataclass(eq=False)
class Tool:
    """A callable the model can use; build one with `tool`, not by hand."""

    name: str
    description: str
    fn: Callable[..., Any]
    arguments_model: type[BaseModel]
    timeout: float | None = None
    requires_approval: bool = False
    blocking: bool = True
    handoff_target: str | None = None
    schema: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        parameters = self.arguments_model.model_json_schema()
        parameters.pop("title", None)
        for prop in parameters.get("properties", {}).values():
            prop.pop("title", None)
        self.schema = {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": parameters},
        }
        self._is_async = inspect.iscoroutinefunction(self.fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly (handy in notebooks and tests)."""
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Tool({self.name!r})"

    async def run(self, arguments: str) -> ToolOutcome:
        """Validate ``arguments`` (raw JSON text) and call the function; never raises."""
        started = time.perf_counter()
        content, is_error = await self._run(arguments)
        return ToolOutcome(content, is_error, time.perf_counter() - started)

    async def _run(self, arguments: str) -> tuple[str, bool]:
        try:
            parsed = self.arguments_model.model_validate_json(arguments.strip() or "{}")
        except ValidationError as exc:
            return self._argument_error(arguments, exc), True
        kwargs = {name: getattr(parsed, name) for name in type(parsed).model_fields}
        try:
            if self._is_async:
                pending = self.fn(**kwargs)
            elif self.blocking:
                pending = asyncio.to_thread(self.fn, **kwargs)
            else:
                return to_content(self.fn(**kwargs)), False
            if self.timeout is not None:
                value = await asyncio.wait_for(pending, self.timeout)
            else:
                value = await pending
        except TimeoutError:
            return f"Error: tool {self.name!r} timed out after {self.timeout:g} s.", True
        except Exception as exc:  # the model sees the failure and can try something else
            return f"Error: tool {self.name!r} raised {type(exc).__name__}: {exc}", True
        return to_content(value), False

    def _argument_error(self, arguments: str, exc: ValidationError) -> str:
        errors = exc.errors(include_url=False)
        if errors and errors[0]["type"] == "json_invalid":
            return (
                f"Error: the arguments for {self.name!r} are not valid JSON "
                f"({errors[0]['msg']}): {arguments[:200]!r}. Send a JSON object."
            )
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in errors
        )
        expected = json.dumps(self.schema["function"]["parameters"].get("properties", {}))
        return f"Error: invalid arguments for {self.name!r}: {problems}. Expected: {expected}"


def to_content(value: Any) -> str:
    """The text a model sees for a tool's return value."""
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, default=str, ensure_ascii=False)


def tool(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    requires_approval: bool = False,
    blocking: bool = True,
) -> Any:
    """Turn a typed function (sync or async) into a `Tool`; use as ``@tool`` or ``@tool(...)``.

    ``timeout`` bounds each call in seconds. ``requires_approval`` makes the team ask a
    human before each call. Sync functions run in a worker thread so they never block the
    event loop; pass ``blocking=False`` for quick pure functions to run them inline.
    """

    def build(f: Callable[..., Any]) -> Tool:
        summary, param_docs = parse_docstring(inspect.getdoc(f) or "")
        return Tool(
            name=name or f.__name__,
            description=description or summary,
            fn=f,
            arguments_model=arguments_model(f, param_docs),
            timeout=timeout,
            requires_approval=requires_approval,
            blocking=blocking,
        )

    return build(fn) if fn is not None else build


def as_tool(obj: Tool | Callable[..., Any]) -> Tool:
    """Accept a `Tool` or a plain function (wrapped with default options)."""
    if isinstance(obj, Tool):
        return obj
    if callable(obj):
        return tool(obj)
    raise TypeError(f"tools must be functions or @tool objects, got {type(obj).__name__}")


def handoff_tool(target: str, description: str) -> Tool:
    """The generated ``transfer_to_<target>`` tool of handoff mode."""
    model = create_model(f"transfer_to_{target}_arguments", __config__=ConfigDict(extra="ignore"))
    return Tool(
        name=f"transfer_to_{target}",
        description=f"Hand the conversation to {target}: {description}".strip(" :"),
        fn=lambda: f"Transferred to {target}.",
        arguments_model=model,
        blocking=False,
        handoff_target=target,
    )


def arguments_model(fn: Callable[..., Any], param_docs: dict[str, str]) -> type[BaseModel]:
    """A pydantic model of ``fn``'s parameters, with descriptions."""
    signature = inspect.signature(fn)
    hints = get_type_hints(fn, include_extras=True)
    fields: dict[str, Any] = {}
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(
                f"tool {fn.__name__!r}: *args and **kwargs cannot be described to a model; "
                "list the parameters explicitly"
            )
        annotation = hints.get(param.name, Any)
        doc = param_docs.get(param.name)
        if get_origin(annotation) is Annotated:
            base, *extras = get_args(annotation)
            text = [e for e in extras if isinstance(e, str)]
            if text:
                doc = " ".join(text)
                extras = [e for e in extras if not isinstance(e, str)]
                annotation = Annotated[(base, *extras)] if extras else base
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (annotation, Field(default, description=doc))
    return create_model(f"{fn.__name__}_arguments", **fields)


_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$")
_ARG_LINE = re.compile(r"^\s*(\w+)\s*(\([^)]*\))?\s*:\s*(.+)$")


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The first paragraph, and parameter descriptions from a Google-style ``Args:`` block."""
    summary = doc.split("\n\n", 1)[0].replace("\n", " ").strip()
    params: dict[str, str] = {}
    in_args = False
    last: str | None = None
    for line in doc.splitlines():
        if _ARGS_HEADER.match(line):
            in_args = True
            continue
        if not in_args:
            continue
        if not line.strip():
            continue
        if not line[0].isspace():  # the next section ("Returns:") ends the block
            in_args = False
            continue
        match = _ARG_LINE.match(line)
        if match:
            last = match.group(1)
            params[last] = match.group(3).strip()
        elif last:
            params[last] += " " + line.strip()
    return summary, params


def describe_call(call: ToolCall) -> str:
    """``name(arguments)`` for messages and prompts."""
    return f"{call.name}({call.arguments})"
