"""Events: the one stream every consumer of a team run reads.

Every event is a small pydantic model with a ``type`` tag, so a whole run round-trips
through JSON (`event_to_json` / `event_from_json`). The transcript of a team is a list of
these; an agent's model context is derived from it, which is what lets checkpoints,
tracing and evals be built later as plain consumers of the stream.
"""

from __future__ import annotations

import functools
import json
import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from agentnb.core.plan import Plan

USER = "user"  # the source name of the task message; no participant may use it


class Usage(BaseModel):
    """Token counts of one model call, or totals over a run."""

    model_config = ConfigDict(frozen=True)

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


class ToolCall(BaseModel):
    """One function call a model asked for; ``arguments`` is the raw JSON text it sent."""

    id: str
    name: str
    arguments: str = "{}"

    def parsed_arguments(self) -> Any:
        """The arguments as Python data, or the raw text when it is not valid JSON."""
        try:
            return json.loads(self.arguments)
        except ValueError:
            return self.arguments


class _Event(BaseModel):
    """Fields every event has: who produced it, in which nested team or plan step, and when."""

    source: str
    scope: str = ""  # "" at top level; "inner" or "outer/inner" for nested teams' events
    step: str = ""  # the plan step this event belongs to ("" outside plan steps)
    at: float = Field(default_factory=time.time)


class _ModelOutput(_Event):
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


class TextMessage(_ModelOutput):
    """A chat message: the task from the user, an agent's reply, or a human's answer.

    ``data`` holds the validated structured output when the agent has an ``output_type``.
    """

    type: Literal["text"] = "text"
    content: str
    data: dict[str, Any] | None = None


class ToolCalls(_ModelOutput):
    """An agent's model asked for one or more tool calls (they run concurrently)."""

    type: Literal["tool_calls"] = "tool_calls"
    calls: list[ToolCall]
    content: str = ""  # text the model sent alongside the calls, if any


class ToolResult(_Event):
    """The outcome of one tool call, as the model will see it."""

    type: Literal["tool_result"] = "tool_result"
    call_id: str
    name: str
    content: str
    is_error: bool = False
    duration: float = 0.0  # seconds; the call started at ``at - duration``
    display: list[dict[str, str]] | None = None  # rich outputs (mime bundles: plots, tables)


class Handoff(_Event):
    """``source`` passed control to ``target`` through a ``transfer_to_<target>`` tool."""

    type: Literal["handoff"] = "handoff"
    target: str


class Approval(_Event):
    """A human approved or rejected a tool call that needs approval before it runs."""

    type: Literal["approval"] = "approval"
    call_id: str
    tool: str
    approved: bool
    comment: str = ""
    arguments: str | None = None  # the arguments as approved, when the human edited them
    started_at: float | None = None  # when the human was asked


class TokenDelta(_Event):
    """A piece of text streamed by ``source``'s model; not part of the transcript."""

    type: Literal["token"] = "token"
    text: str


class SpeakerSelected(_Event):
    """The team chose who speaks next, and why (``source`` is the team)."""

    type: Literal["speaker"] = "speaker"
    speaker: str
    turn: int
    reason: str = ""
    usage: Usage | None = None  # tokens the choice cost (selector mode)
    model: str | None = None  # the selector's model, when a model chose
    request_model: str | None = None  # the selector's model as asked (its agentnb name)
    started_at: float | None = None  # when the choice began (a selector model call)


class ErrorEvent(_ModelOutput):
    """Feedback about an unusable reply; the agent it concerns (``source``) sees it.

    When the reply came from a model call, that call's usage and timing are kept here.
    """

    type: Literal["error"] = "error"
    content: str


class ContextSummary(_ModelOutput):
    """An agent's model summarized the older part of its context (see `context.Summarize`).

    ``covers`` is how many of the agent's context messages (after its system prompt) the
    summary replaces; it is the agent's own memo, not part of the chat.
    """

    type: Literal["summary"] = "summary"
    content: str
    covers: int


class PlanCreated(_Event):
    """A plan to run: written by hand or by the planner (``source``)."""

    type: Literal["plan"] = "plan"
    plan: Plan


class Replanned(_Event):
    """The planner revised the plan after a failure; finished steps (``kept``) stay done."""

    type: Literal["replan"] = "replan"
    plan: Plan
    revision: int
    reason: str
    failed: str = ""  # the id of the step whose failure led to this revision
    kept: list[str] = Field(default_factory=list)


class StepStarted(_Event):
    """A plan step began (``attempt`` counts from 1); ``source`` is the team."""

    type: Literal["step_started"] = "step_started"
    step_id: str
    assignee: str
    attempt: int = 1


class StepFinished(_Event):
    """A plan step produced its result (text, and ``data`` when structured)."""

    type: Literal["step_finished"] = "step_finished"
    step_id: str
    assignee: str
    output: str
    data: Any = None
    duration: float = 0.0


class StepFailed(_Event):
    """A plan step failed; ``retrying`` says whether it will be tried again."""

    type: Literal["step_failed"] = "step_failed"
    step_id: str
    assignee: str
    error: str
    attempt: int = 1
    retrying: bool = False
    duration: float = 0.0


class Stop(_Event):
    """The run ended; ``reason`` says why in words a person can act on.

    ``failed`` is True when an error ended it (the run raised `RunError`).
    """

    type: Literal["stop"] = "stop"
    reason: str
    failed: bool = False


Event = Annotated[
    TextMessage
    | ToolCalls
    | ToolResult
    | Handoff
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
    | Stop,
    Field(discriminator="type"),
]



TIMING_FIELDS = frozenset({"at", "started_at", "first_token_at", "duration"})
"""Fields that hold clock times: leave them out to compare two runs (``model_dump(exclude=...)``)."""


@functools.cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    """Built on first use: building validators for the whole union costs import time."""
    return TypeAdapter(kind)


def event_to_json(event: Event) -> str:
    """Serialize one event to JSON text."""
    return event.model_dump_json()


def event_from_json(text: str | bytes) -> Event:
    """Parse JSON text back into the right event class (by its ``type`` tag)."""
    return _adapter(Event).validate_json(text)


def events_from_json(text: str | bytes) -> list[Event]:
    """Parse a JSON array of events."""
    return _adapter(list[Event]).validate_json(text)
