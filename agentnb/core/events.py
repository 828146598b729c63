"""Events: the one stream every consumer of a team run reads.

Every event is a small slotted dataclass with a ``type`` tag. Events are values: the
transcript, its forks and every view share them, so nothing changes one after it is made
(make a changed copy with ``model_copy(update=...)``). They are not frozen only because a
frozen dataclass costs three times as much to build, on the path every message takes.

A whole run round-trips through JSON (`event_to_json` / `event_from_json`), validated by
pydantic when it is read back; pydantic is loaded then, not at import, so ``from agentnb
import Agent, Team`` stays fast, and an event weighs about 150 bytes.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from agentnb.core.plan import Plan

USER = "user"  # the source name of the task message; no participant may use it
value = dataclass(slots=True, kw_only=True)  # (not frozen: see the module docstring)


@functools.cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    """The pydantic adapter of an event class (or "Event", "Events"), built on first use."""
    from pydantic import Field, TypeAdapter

    from agentnb.core.plan import Plan

    globals().setdefault("Plan", Plan)  # plan events name it; plans load with pydantic, on first use
    if kind in ("Event", "Events"):
        tagged = Annotated[EVENT_UNION, Field(discriminator="type")]
        kind = tagged if kind == "Event" else list[tagged]
    return TypeAdapter(kind)


def _frozen_tuple(event: Any, name: str) -> None:
    """Store a list given for a tuple field as a tuple, so the event stays a value."""
    items = getattr(event, name)
    if isinstance(items, list):
        setattr(event, name, tuple(items))


class _Dumps:
    """``model_dump`` / ``model_dump_json`` / ``model_copy``, as pydantic models spell them.

    ``shared_view`` is a cache readers may keep on an event (not a field: never saved or compared),
    e.g. the chat message every other agent's context shares for a `TextMessage`.
    """

    __slots__ = ("shared_view",)

    def model_dump(self, **options: Any) -> dict[str, Any]:
        return _adapter(type(self)).dump_python(self, **options)

    def model_dump_json(self, **options: Any) -> str:
        return _adapter(type(self)).dump_json(self, **options).decode()

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Any:
        return dataclasses.replace(self, **(update or {}))  # type: ignore[type-var]

    def __str__(self) -> str:
        """``name=value`` pairs, as a pydantic model prints (``print(result.usage)``)."""
        return " ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Usage(_Dumps):
    """Token counts of one model call, or totals over a run."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


@dataclass(frozen=True, slots=True)
class ToolCall(_Dumps):
    """One function call a model asked for; ``arguments`` is the raw JSON text it sent."""

    id: str
    name: str
    arguments: str = "{}"
    origin: str = ""  # where the tool comes from ("mcp:git"), set on the call an approver is asked about
    note: str = ""  # the tool's `Tool.approval_note` (where it runs), also set on that call only

    def parsed_arguments(self) -> Any:
        """The arguments as Python data, or the raw text when it is not valid JSON."""
        try:
            return json.loads(self.arguments)
        except ValueError:
            return self.arguments


@value
class EventBase(_Dumps):
    """Fields every event has: who produced it, in which nested team or plan step, and when."""

    source: str
    scope: str = ""  # "" at top level; "inner" or "outer/inner" for nested teams' events
    step: str = ""  # the plan step this event belongs to ("" outside plan steps)
    at: float = field(default_factory=time.time)


@value
class ModelOutput(EventBase):
    """An event that one model call produced: what it cost and how long it took.

    ``started_at`` is when the call began and ``first_token_at`` when its first streamed
    piece arrived (both epoch seconds; ``at`` is when it ended). For a human's message,
    ``started_at`` is when the person was asked. ``request_model`` is the model asked (its
    agentnb name, e.g. ``openai:gpt-4o-mini``); ``model`` is the one the server says answered.
    """

    usage: Usage | None = None
    model: str | None = None
    request_model: str | None = None
    started_at: float | None = None
    first_token_at: float | None = None


@value
class TextMessage(ModelOutput):
    """A chat message: the task from the user, an agent's reply, or a human's answer.

    ``data`` holds the validated structured output when the agent has an ``output_type``;
    ``cut_off`` marks a reply the run stopped while it streamed (what had arrived is kept).
    """

    type: Literal["text"] = "text"
    content: str
    data: dict[str, Any] | None = None
    cut_off: bool = False


@value
class ToolCalls(ModelOutput):
    """An agent's model asked for one or more tool calls (they run concurrently)."""

    type: Literal["tool_calls"] = "tool_calls"
    calls: tuple[ToolCall, ...]
    content: str = ""  # text the model sent alongside the calls, if any

    def __post_init__(self) -> None:
        _frozen_tuple(self, "calls")


@value
class ToolResult(EventBase):
    """The outcome of one tool call, as the model will see it."""

    type: Literal["tool_result"] = "tool_result"
    call_id: str
    name: str
    content: str
    is_error: bool = False
    duration: float = 0.0  # seconds; the call started at ``at - duration``
    display: tuple[dict[str, str], ...] | None = None  # rich outputs (mime bundles: plots, tables)

    def __post_init__(self) -> None:
        _frozen_tuple(self, "display")


@value
class ToolProgress(EventBase):
    """A running tool call reported how far it has got (an MCP server's progress notification).

    Like a `TokenDelta`, it is streamed to views and not kept in the transcript.
    """

    type: Literal["tool_progress"] = "tool_progress"
    call_id: str
    name: str
    progress: float
    total: float | None = None
    message: str = ""


@value
class Handoff(EventBase):
    """``source`` passed control to ``target`` through a ``transfer_to_<target>`` tool."""

    type: Literal["handoff"] = "handoff"
    target: str


@value
class ApprovalRequested(EventBase):
    """``source`` wants to run a tool that needs a person's approval; the run waits for it.

    ``origin`` says where the tool comes from (an MCP server's name, say) when it is not
    the agent's own code; ``note`` is what the tool tells the person deciding (its
    `Tool.approval_note`: where a code executor's code runs), so a saved run shows it too.
    """

    type: Literal["approval_requested"] = "approval_requested"
    call_id: str
    tool: str
    arguments: str = "{}"
    origin: str = ""
    note: str = ""


@value
class Approval(EventBase):
    """A person (or an approver function) approved or rejected a tool call."""

    type: Literal["approval"] = "approval"
    call_id: str
    tool: str
    approved: bool
    comment: str = ""
    arguments: str | None = None  # the arguments as approved, when the human edited them
    started_at: float | None = None  # when the human was asked


@value
class TokenDelta(EventBase):
    """A piece of text streamed by ``source``'s model; not part of the transcript."""

    type: Literal["token"] = "token"
    text: str


@value
class SpeakerSelected(EventBase):
    """The team chose who speaks next, and why (``source`` is the team)."""

    type: Literal["speaker"] = "speaker"
    speaker: str
    turn: int
    reason: str = ""
    usage: Usage | None = None  # tokens the choice cost (selector mode)
    model: str | None = None  # the selector's model, when a model chose
    request_model: str | None = None  # the selector's model as asked (its agentnb name)
    started_at: float | None = None  # when the choice began (a selector model call)


@value
class ErrorEvent(ModelOutput):
    """Feedback about an unusable reply; the agent it concerns (``source``) sees it.

    When the reply came from a model call, that call's usage and timing are kept here.
    """

    type: Literal["error"] = "error"
    content: str


@value
class ContextSummary(ModelOutput):
    """An agent's model summarized the older part of its context (see `context.Summarize`).

    ``covers`` is how many of the agent's context messages (after its system prompt) the
    summary replaces; it is the agent's own memo, not part of the chat.
    """

    type: Literal["summary"] = "summary"
    content: str
    covers: int


@value
class PlanCreated(EventBase):
    """A plan to run: written by hand or by the planner (``source``)."""

    type: Literal["plan"] = "plan"
    plan: Plan


@value
class Replanned(EventBase):
    """The planner revised the plan after a failure; finished steps (``kept``) stay done."""

    type: Literal["replan"] = "replan"
    plan: Plan
    revision: int
    reason: str
    failed: str = ""  # the id of the step whose failure led to this revision
    kept: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _frozen_tuple(self, "kept")


@value
class StepStarted(EventBase):
    """A plan step began (``attempt`` counts from 1); ``source`` is the team."""

    type: Literal["step_started"] = "step_started"
    step_id: str
    assignee: str
    attempt: int = 1


@value
class StepFinished(EventBase):
    """A plan step produced its result (text, and ``data`` when structured)."""

    type: Literal["step_finished"] = "step_finished"
    step_id: str
    assignee: str
    output: str
    data: Any = None
    duration: float = 0.0


@value
class StepFailed(EventBase):
    """A plan step failed; ``retrying`` says whether it will be tried again."""

    type: Literal["step_failed"] = "step_failed"
    step_id: str
    assignee: str
    error: str
    attempt: int = 1
    retrying: bool = False
    duration: float = 0.0


@value
class Stop(EventBase):
    """The run ended; ``reason`` says why in words a person can act on.

    ``failed`` is True when an error ended it (the run raised `RunError`); ``waiting`` is
    True when the run waits for a person (an approval, an answer) and goes on once given.
    """

    type: Literal["stop"] = "stop"
    reason: str
    failed: bool = False
    waiting: bool = False


EVENT_UNION = (
    TextMessage
    | ToolCalls
    | ToolResult
    | ToolProgress
    | Handoff
    | ApprovalRequested
    | Approval
    | TokenDelta
    | SpeakerSelected
    | ErrorEvent
    | ContextSummary
    | PlanCreated
    | Replanned
    | StepStarted
    | StepFinished
    | StepFailed
    | Stop
)
Event = EVENT_UNION
"""Any event (for type hints; JSON readers use the ``type`` tag to pick the class)."""

TIMING_FIELDS = frozenset({"at", "started_at", "first_token_at", "duration"})
"""Fields that hold clock times: leave them out to compare two runs (``model_dump(exclude=...)``)."""


def event_to_json(event: Any) -> str:
    """Serialize one event to JSON text."""
    return _adapter("Event").dump_json(event).decode()


def event_from_json(text: str | bytes) -> Any:
    """Parse JSON text back into the right event class (by its ``type`` tag)."""
    return _adapter("Event").validate_json(text)


def event_from_data(data: Any) -> Any:
    """An event from JSON-ready data (a dict with a ``type`` tag)."""
    return _adapter("Event").validate_python(data)


def events_from_json(text: str | bytes) -> list[Any]:
    """Parse a JSON array of events."""
    return _adapter("Events").validate_json(text)


def events_to_data(events: Any) -> list[Any]:
    """Events as JSON-ready data (one dict per event)."""
    return _adapter("Events").dump_python(list(events), mode="json")
