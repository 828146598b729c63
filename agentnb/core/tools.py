"""Tools: typed Python functions a model can call, with schemas and validated arguments.

``@tool`` reads a function's signature: type hints become a JSON schema (through a pydantic
model), ``Annotated[str, "what it is"]`` or a docstring ``Args:`` section describe each
parameter, and the docstring's first paragraph describes the tool. ``functools.partial``
objects and callable objects work too. Arguments are validated before the call; every
failure becomes an error result the model can read and act on. A tool that has more to
say than a value (a plot for people, a failure it caught) returns a `ToolOutput`.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, get_args, get_origin, get_type_hints

from agentnb.core.errors import ConfigError
from agentnb.core.events import ToolCall
from agentnb.core.toolsets import is_toolset

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # what OpenAI-compatible APIs accept
HANDOFF_PREFIX = "transfer_to_"


@dataclass(slots=True)
class ToolOutput:
    """What a tool may return to say more than a value: the text the model sees, rich outputs
    for people (mime bundles such as ``{"image/png": <base64>, "text/plain": "<Figure>"}``,
    shown in the chat and kept in the transcript) and whether the call failed.
    """

    text: str
    display: list[dict[str, str]] = field(default_factory=list)
    is_error: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise TypeError(f"ToolOutput: text must be a string, got {type(self.text).__name__}")
        for bundle in self.display:
            if not isinstance(bundle, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in bundle.items()
            ):
                raise TypeError(
                    "ToolOutput: each display item must be a mime bundle, a dict of mime type to "
                    f"text (base64 for images), got {bundle!r:.200}"
                )


@dataclass(slots=True)
class ToolOutcome:
    """What running one tool call produced: the text the model sees, whether it failed,
    and the rich outputs (mime bundles) a `ToolOutput` brought, if any."""

    content: str
    is_error: bool
    duration: float
    display: list[dict[str, str]] | None = None


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
    origin: str = ""  # where the tool comes from when it is not the caller's own code, e.g. "mcp:git"
    approval_note: str = ""  # a line for the person asked to approve a call, e.g. where its code runs
    schema: dict[str, Any] = field(init=False)
    reports_progress: ClassVar[bool] = False  # True: the agent streams what it reports (`progress_reporter`)

    def __post_init__(self) -> None:
        parameters = self.arguments_model.model_json_schema()
        parameters.pop("title", None)
        for prop in parameters.get("properties", {}).values():
            prop.pop("title", None)
        self.schema = {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": parameters},
        }
        self._is_async = inspect.iscoroutinefunction(self.fn) or inspect.iscoroutinefunction(
            call_target(self.fn)
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly (handy in notebooks and tests)."""
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Tool({self.name!r})"

    async def run(self, arguments: str) -> ToolOutcome:
        """Validate ``arguments`` (raw JSON text) and call the function; never raises."""
        started = time.perf_counter()
        content, is_error, display = await self._run(arguments)
        return ToolOutcome(content, is_error, time.perf_counter() - started, display)

    async def _run(self, arguments: str) -> tuple[str, bool, list[dict[str, str]] | None]:
        from pydantic import ValidationError

        try:
            parsed = self.arguments_model.model_validate_json(arguments.strip() or "{}")
        except ValidationError as exc:
            return self._argument_error(arguments, exc), True, None
        kwargs = {name: getattr(parsed, name) for name in type(parsed).model_fields}
        try:
            if self._is_async:
                pending = self.fn(**kwargs)
            elif self.blocking:
                from agentnb.core.threads import in_thread  # (its thread pool is loaded when first used)

                pending = in_thread(self.fn, **kwargs)
            else:
                return outcome_of(self.fn(**kwargs))
            if self.timeout is not None:
                value = await asyncio.wait_for(pending, self.timeout)
            else:
                value = await pending
        except TimeoutError:
            return f"Error: tool {self.name!r} timed out after {self.timeout:g} s.", True, None
        except Exception as exc:  # the model sees the failure and can try something else
            return f"Error: tool {self.name!r} raised {type(exc).__name__}: {exc}", True, None
        return outcome_of(value)

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


def outcome_of(value: Any) -> tuple[str, bool, list[dict[str, str]] | None]:
    """A tool's return value as (text for the model, failed?, rich outputs or None)."""
    if isinstance(value, ToolOutput):
        return value.text, value.is_error, list(value.display) or None
    return to_content(value), False, None


def to_content(value: Any) -> str:
    """The text a model sees for a tool's return value."""
    if isinstance(value, str):
        return value
    if callable(getattr(value, "model_dump_json", None)):
        return value.model_dump_json()
    return json.dumps(value, default=str, ensure_ascii=False)


def tool(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    requires_approval: bool = False,
    approval_note: str = "",
    blocking: bool = True,
) -> Any:
    """Turn a typed function (sync or async) into a `Tool`; use as ``@tool`` or ``@tool(...)``.

    ``timeout`` bounds each call in seconds. ``requires_approval`` makes the team ask a
    human before each call; ``approval_note`` is a line they read with it (what the call
    reaches, say: a code executor's says where its code runs). Sync functions run in a
    worker thread so they never block the event loop; pass ``blocking=False`` for quick
    pure functions to run them inline.
    """

    def build(f: Callable[..., Any]) -> Tool:
        if not callable(f):
            raise TypeError(f"tool: expected a function or a callable object, got {type(f).__name__}")
        tool_name = check_tool_name(name if name is not None else default_name(f))
        summary, param_docs = parse_docstring(documentation(f))
        return Tool(
            name=tool_name,
            description=description or summary,
            fn=f,
            arguments_model=arguments_model(f, param_docs, tool_name),
            timeout=timeout,
            requires_approval=requires_approval,
            approval_note=approval_note,
            blocking=blocking,
        )

    return build(fn) if fn is not None else build


def check_tool_name(name: Any) -> str:
    """Tool names go to model APIs, which accept 1-64 letters, digits, '_' and '-'."""
    if isinstance(name, str) and TOOL_NAME.match(name):
        return name
    if name == "<lambda>":
        fix = "a lambda has no name of its own: pass one, e.g. tool(lambda: ..., name='today')"
    else:
        fix = "pass name= with letters, digits, '_' or '-' (at most 64), e.g. name='search_archive'"
    raise ValueError(f"tool name {name!r} is not allowed; {fix}")


def _unwrapped(fn: Any) -> Any:
    """``fn`` without any ``functools.partial`` layers."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    return fn


def call_target(fn: Any) -> Any:
    """The function that really runs: a partial's wrapped one, a callable object's ``__call__``."""
    fn = _unwrapped(fn)
    if inspect.isroutine(fn) or inspect.isclass(fn):
        return fn
    return type(fn).__call__ if callable(fn) else fn


def default_name(fn: Any) -> str:
    """A function's name (a partial's wrapped function's), else the object's class in snake case."""
    fn = _unwrapped(fn)
    name = getattr(fn, "__name__", None)
    if isinstance(name, str):
        return name
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", type(fn).__name__).lower()


def documentation(fn: Any) -> str:
    """The docstring that describes ``fn``: its own, a partial's wrapped callable's, or ``__call__``'s."""
    fn = _unwrapped(fn)
    return inspect.getdoc(fn) or inspect.getdoc(call_target(fn)) or ""


def as_tool(obj: Tool | Callable[..., Any]) -> Tool:
    """Accept a `Tool` or a plain function (wrapped with default options)."""
    if isinstance(obj, Tool):
        return obj
    if callable(obj):
        return tool(obj)
    raise TypeError(f"tools must be functions or @tool objects, got {type(obj).__name__}")


def as_tools(tools: Any, owner: str) -> list[Tool]:
    """The tools and functions of a list as `Tool`s, each name once (toolsets, which list their
    tools at run time, are left out); ``owner`` names whose tools they are in errors."""
    if isinstance(tools, Tool | str) or callable(tools) or not isinstance(tools, Iterable):
        raise ConfigError(
            f"tools: expected a list of tools, got {tools!r}; "
            f"write tools=[{getattr(tools, 'name', 'my_tool')}]"
        )
    out = [as_tool(item) for item in tools if not is_toolset(item)]
    names = [t.name for t in out]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"tools: {owner} has two tools named {duplicates[0]!r}")
    return out


def handoff_tool(target: str, description: str) -> Tool:
    """The generated ``transfer_to_<target>`` tool of handoff mode."""
    name = HANDOFF_PREFIX + target
    if not TOOL_NAME.match(name):
        longest = 64 - len(HANDOFF_PREFIX)
        raise ValueError(
            f"handoffs: the tool {name!r} that hands off to {target!r} is not a valid tool name; "
            f"an agent others hand off to needs a name of at most {longest} letters, digits, '_' or '-'"
        )
    from pydantic import ConfigDict, create_model

    model = create_model(f"{name}_arguments", __config__=ConfigDict(extra="ignore"))
    return Tool(
        name=name,
        description=f"Hand the conversation to {target}: {description}".strip(" :"),
        fn=lambda: f"Transferred to {target}.",
        arguments_model=model,
        blocking=False,
        handoff_target=target,
    )


def arguments_model(fn: Callable[..., Any], param_docs: dict[str, str], name: str) -> type[BaseModel]:
    """A pydantic model of ``fn``'s parameters, with descriptions; ``name`` is the tool's."""
    from pydantic import Field, PydanticUserError, create_model

    signature = inspect.signature(fn)
    try:
        hints = get_type_hints(call_target(fn), include_extras=True)
    except (NameError, TypeError) as exc:
        raise TypeError(
            f"tool {name!r}: cannot read its type hints ({type(exc).__name__}: {exc}); define the "
            "types its parameters use at module level, before the tool"
        ) from None
    fields: dict[str, Any] = {}
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(
                f"tool {name!r}: *args and **kwargs cannot be described to a model; "
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
    try:
        model = create_model(f"{name}_arguments", **fields)
        model.model_json_schema()
    except PydanticUserError:
        raise _schema_error(name, fields) from None
    return model


def _schema_error(name: str, fields: dict[str, Any]) -> TypeError:
    """Name the parameter whose type cannot become a JSON schema, and what to do."""
    from pydantic import PydanticUserError, TypeAdapter

    for param, (annotation, _) in fields.items():
        try:
            TypeAdapter(annotation).json_schema()
        except PydanticUserError:
            shown = getattr(annotation, "__name__", None) or repr(annotation)
            return TypeError(
                f"tool {name!r}: parameter {param!r} has type {shown}, which cannot be described to "
                "a model as JSON; use a JSON-friendly type (str, int, float, bool, a list or dict of "
                "those, a pydantic model or a dataclass) and build the object inside the tool"
            )
    return TypeError(f"tool {name!r}: its parameters cannot be described to a model as a JSON schema")


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
    """``name(arguments)`` for messages and prompts, and where the tool comes from if not local."""
    where = f" from {call.origin}" if call.origin else ""
    return f"{call.name}({call.arguments}){where}"
