"""A span: one operation of a run (the run, a turn, a model call, a tool call, a plan step).

Spans are built from a run's events by `agentnb.trace.builder.SpanBuilder` (or read from a
trace file by `agentnb.trace.jsonl`). A span keeps references to the events that opened and
closed it; names, OpenTelemetry attributes and content are derived from them only when
someone asks, so building a span costs a couple of microseconds. `SpanSource` is what the
exporters read from a trace.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Protocol

from agentnb.core.events import Event, ToolCall, Usage
from agentnb.core.secrets import Scrubber
from agentnb.trace.cost import dollars

WORKFLOW = "invoke_workflow"  # a team's run (nested teams included)
AGENT = "invoke_agent"  # one participant's turn
CHAT = "chat"  # one model call
TOOL = "execute_tool"  # one tool call
SELECT = "select_speaker"  # a selector model choosing who speaks
PLAN = "plan"  # a plan written or revised
STEP = "step"  # one attempt at a plan step
APPROVAL = "approval"  # a human deciding on a tool call

ERROR_LIMIT = 300  # characters of an error message kept on a span


def request_label(requested: str | None) -> str | None:
    """The model name a span shows for a requested model: ``gpt-4o-mini`` for
    ``openai:gpt-4o-mini`` or ``openai:gpt-4o-mini@http://host/v1``; other names as they are."""
    if not requested:
        return None
    kind, colon, rest = requested.partition(":")
    if kind == "openai" and colon:
        return rest.partition("@")[0] or requested
    return requested


def _short(text: str) -> str:
    return text if len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 1] + "…"


class Span:
    """One operation of a run, with its place in the tree, its times and its outcome.

    ``operation`` is the OpenTelemetry GenAI operation name (``invoke_agent``, ``chat``,
    ``execute_tool``, …) and ``label`` what it applies to (agent, model, tool, step).
    Times are epoch seconds; ``end`` is ``None`` while the span is still open. ``seq`` and
    ``end_seq`` are positions in the event stream, a clock that is the same on every run
    (deterministic views use it). ``cost_pico`` is a model call's cost in picodollars, priced
    by the trace when the span is built: ``None`` means unknown.
    A model call's ``request_model`` is the model asked for (agentnb's name for it, e.g.
    ``openai:gpt-4o-mini``), ``model`` the one the server says answered. What a span's
    attributes and content are once scrubbed is kept by the trace that owns it.
    """

    __slots__ = (
        "agent",
        "call",
        "children",
        "cost_pico",
        "end",
        "end_seq",
        "error",
        "event",
        "first_token",
        "id",
        "label",
        "model",
        "opener",
        "operation",
        "parent",
        "request_model",
        "scope",
        "seq",
        "start",
        "status",
        "step",
        "usage",
    )

    def __init__(
        self,
        id: int,
        operation: str,
        label: str | None,
        parent: Span | None,
        start: float,
        seq: int,
        scope: str = "",
        step: str = "",
        agent: str = "",
        opener: Event | None = None,
        end: float | None = None,
        end_seq: int | None = None,
        event: Event | None = None,
        model: str | None = None,
        request_model: str | None = None,
        usage: Usage | None = None,
        first_token: float | None = None,
        cost_pico: int | None = None,
    ) -> None:
        # (every slot is set once: a model call's span is made whole, as the builder knows it all)
        self.id = id
        self.operation = operation
        self.label = label
        self.parent = parent
        self.start = start
        self.seq = seq
        self.scope = scope
        self.step = step
        self.agent = agent
        self.opener = opener
        self.end = end
        self.end_seq = end_seq
        self.event = event
        self.status = "ok"
        self.error = ""
        self.model = model
        self.request_model = request_model
        self.usage = usage
        self.cost_pico = cost_pico
        self.call: ToolCall | None = None
        self.children: list[Span] | None = None  # filled by `SpanBuilder.link` when a tree is needed
        self.first_token = first_token

    @property
    def name(self) -> str:
        """The span name the GenAI conventions use: ``"{operation} {label}"``."""
        return f"{self.operation} {self.label}" if self.label else self.operation

    @property
    def cost(self) -> Decimal | None:
        """What the model call cost in dollars (set by the trace); ``None``: unknown, or not a model call."""
        return None if self.cost_pico is None else dollars(self.cost_pico)

    @property
    def duration(self) -> float | None:
        return None if self.end is None else max(0.0, self.end - self.start)

    @property
    def path(self) -> str:
        """Where the span is: ``scope/agent`` (``agent`` at top level)."""
        return f"{self.scope}/{self.agent}" if self.scope and self.agent else self.agent or self.scope

    def close(self, at: float, seq: int, event: Event | None = None) -> None:
        if self.end is None:
            self.end = max(at, self.start)
            self.end_seq = seq
            if event is not None:
                self.event = event

    def fail(self, error: str) -> None:
        """Mark the span failed; the text is scrubbed of secrets now (errors are rare, so it is cheap)."""
        self.status = "error"
        self.error = _short(Scrubber().text(error))

    def walk(self) -> Iterator[Span]:
        """This span and all below it, depth first, in the order they started."""
        stack = [self]
        while stack:
            span = stack.pop()
            yield span
            if span.children:
                stack.extend(reversed(span.children))

    def __repr__(self) -> str:
        where = f" {self.duration:.3f}s" if self.duration is not None else " open"
        return f"<Span {self.id} {self.name!r}{where} {self.status}>"


class SpanSource(Protocol):
    """What an exporter reads from a trace (an `agentnb.trace.Trace` is one): its spans, their
    scrubbed attributes and content, its scrubber, and the time open spans end at for now."""

    @property
    def spans(self) -> list[Span]: ...

    @property
    def now(self) -> float: ...

    @property
    def scrubber(self) -> Scrubber: ...

    def attributes(self, span: Span) -> dict[str, Any]: ...

    def content_of(self, span: Span) -> dict[str, Any]: ...
