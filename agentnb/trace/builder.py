"""Spans from a run's events: `SpanBuilder` grows the tree of a run, its turns, model calls,
tool calls and plan steps.

It reads events (live, or from a finished run's list) and is a consumer of the stream and
nothing more: every fact it shows is in the events. Where an event lacks a time it falls
back: a model call without ``started_at`` starts at the previous event of its turn. Token
deltas are not read (the time to first token is the reply's ``first_token_at``): a traced run
keeps none of them alive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from agentnb.core.events import (
    USER,
    Approval,
    ContextSummary,
    ErrorEvent,
    Event,
    Handoff,
    PlanCreated,
    Replanned,
    SpeakerSelected,
    StepFailed,
    StepFinished,
    StepStarted,
    Stop,
    TextMessage,
    TokenDelta,
    ToolCall,
    ToolCalls,
    ToolResult,
    Usage,
)
from agentnb.trace.spans import AGENT, APPROVAL, CHAT, PLAN, SELECT, STEP, TOOL, WORKFLOW, Span, request_label


class _Scope:
    """What the builder tracks for one team run (top level, or a nested team's)."""

    __slots__ = ("calls", "cursor", "run", "steps", "turns")

    def __init__(self, run: Span) -> None:
        self.run = run
        self.turns: dict[Any, Span] = {}  # open turns: by agent, or (step, agent) inside a plan step
        self.calls: dict[str, tuple[Span, ToolCall, int]] = {}  # tool calls waiting for a result
        self.steps: dict[str, Span] = {}  # plan steps being worked on
        self.cursor = run.start  # time of the scope's latest event


class SpanBuilder:
    """Grows a span tree from events, in stream order.

    `feed` only queues the event (token deltas are dropped: a traced run pays next to
    nothing per event); `update` turns the queued events into spans when someone reads the
    tree, so a live view that redraws once a second builds each span once, in a tight batch.
    The common events — a speaker chosen, a reply — are handled in one flat function each.
    """

    def __init__(self, name: str | None, cost: Callable[[str | None, Usage], int | None]) -> None:
        self.name = name
        self.cost = cost  # a model call's price in picodollars (model, usage), or None: unknown
        self.spans: list[Span] = []
        self.roots: list[Span] = []
        self.last: Event | None = None
        self.end_hint = 0.0  # when there are no events (a trace read from a file): its last time
        self.pending: list[Event] = []
        self._scopes: dict[str, _Scope] = {}
        self._seq = 0
        self._linked = 0
        self._labels: dict[str, str | None] = {}  # a requested model's span name, worked out once
        self._marks: dict[int, tuple[float, int]] = {}  # a turn's latest event (time, seq) besides its start
        self._handlers: dict[type, Callable[[Any, int], None]] = {
            TextMessage: self._text,
            ToolCalls: self._tool_calls,
            ToolResult: self._tool_result,
            SpeakerSelected: self._speaker,
            ErrorEvent: self._error,
            Handoff: self._handoff,
            Approval: self._approval,
            Stop: self._stop,
            StepStarted: self._step_started,
            StepFinished: self._step_ended,
            StepFailed: self._step_ended,
            PlanCreated: self._plan,
            Replanned: self._plan,
            ContextSummary: self._summary,
        }

    def feed(self, event: Event) -> None:
        """Queue one event for the next `update` (token deltas are dropped, not kept alive)."""
        if event.__class__ is not TokenDelta:
            self.pending.append(event)

    def update(self) -> None:
        """Build the spans of the events fed since the last update (`link` makes the tree)."""
        pending = self.pending
        if pending:
            handlers = self._handlers
            seq = self._seq
            self.last = pending[-1]
            try:
                for event in pending:  # kinds without a handler are skipped: newer streams stay readable
                    handler = handlers.get(event.__class__)
                    if handler is not None:
                        seq += 1
                        handler(event, seq)
            finally:  # an event is never handled twice, even if one fails
                self._seq = seq
                pending.clear()

    def adopt(self, spans: Sequence[Span]) -> None:
        """Take spans built elsewhere (read from a trace file), parents before children, ids in order."""
        for span in spans:
            self.spans.append(span)
            if span.parent is None:
                self.roots.append(span)
            self.end_hint = max(self.end_hint, span.end or span.start)

    @property
    def last_at(self) -> float:
        """The time of the latest event: where spans still open end for now."""
        self.update()
        return self.last.at if self.last is not None else self.end_hint

    def link(self) -> None:
        """Fill ``children`` for the spans added since the last call (parents come first).

        Only views and walks need the tree; totals do not, so they skip this step.
        """
        self.update()
        spans = self.spans
        for span in spans[self._linked :]:
            parent = span.parent
            if parent is not None:
                if parent.children is None:
                    parent.children = [span]
                else:
                    parent.children.append(span)
        self._linked = len(spans)

    # ----- structure ---------------------------------------------------------------------

    def _new(
        self, operation: str, label: str | None, parent: Span | None, start: float, seq: int, event: Event
    ) -> Span:
        spans = self.spans
        span = Span(len(spans), operation, label, parent, start, seq, event.scope, event.step)
        spans.append(span)
        return span

    def _open_scope(self, event: Event, seq: int) -> _Scope:
        name = event.scope.rpartition("/")[2] if event.scope else self.name
        parent = self._turn_of(event.scope) if event.scope else None
        run = self._new(WORKFLOW, name, parent, event.at, seq, event)
        run.opener = event
        run.agent = name or ""
        run.scope = event.scope.rpartition("/")[0]
        if parent is None:
            self.roots.append(run)
        scope = self._scopes[event.scope] = _Scope(run)
        return scope

    def _turn_of(self, scope: str) -> Span | None:
        """The open turn of the outer team in which the nested team ``scope`` is running."""
        outer, _, name = scope.rpartition("/")
        outer_scope = self._scopes.get(outer)
        if outer_scope is None:
            return None
        for turn in outer_scope.turns.values():
            if turn.agent == name:
                return turn
        for turn, call, _ in outer_scope.calls.values():  # a team or agent used as a tool
            if call.name == name:
                return turn
        return outer_scope.run

    def _turn(self, scope: _Scope, event: Event, seq: int) -> Span:
        """The open turn an event belongs to; one is opened when the event arrives outside any."""
        source = event.source
        key = (event.step, source) if event.step else source
        turn = scope.turns.get(key)
        if turn is None:
            parent = scope.steps.get(event.step) if event.step else None
            if parent is None:
                parent = scope.run
            start = parent.start if parent.operation == STEP else scope.cursor
            turn = self._new(AGENT, source, parent, start, seq, event)
            turn.agent = source
            scope.turns[key] = turn
        return turn

    def _model_call(
        self, turn: Span, event: Any, seq: int, model: str | None, label: str | None = None
    ) -> Span:
        """A ``chat`` span for the model call that produced ``event`` (which ends it), priced; named
        after the model requested when the event says which (``request_model``), else the answering one."""
        spans = self.spans
        started = event.started_at
        requested = event.request_model  # (every event a model call ends has it)
        name = self._labels.get(requested) if requested else None
        if name is None and requested:
            name = self._labels[requested] = request_label(requested)
        cursor, cursor_seq = self._marks.get(turn.id) or (turn.start, turn.seq)  # (its previous event)
        usage = event.usage
        span = Span(
            len(spans), CHAT, name or label or model, turn, cursor if started is None else started,
            cursor_seq, turn.scope, turn.step, turn.agent, None, event.at, seq, event, model, requested,
            usage, getattr(event, "first_token_at", None),  # (a selector's choice has none)
            None if usage is None else self.cost(model or name, usage),
        )  # fmt: skip
        spans.append(span)
        if turn.request_model is None and turn.operation != SELECT:
            turn.request_model = requested or model or None  # the agent's model, for its provider
        return span

    # ----- handlers, one per event kind ----------------------------------------------------
    # (the hot ones read each event field once: a pydantic attribute read is not free)

    def _text(self, event: TextMessage, seq: int) -> None:
        where = event.scope
        scope = self._scopes.get(where) or self._open_scope(event, seq)
        source = event.source
        at = event.at
        if source != USER:  # the task opened the run: it is the run's input
            step = event.step
            key = (step, source) if step else source
            turn = scope.turns.pop(key, None)
            if turn is None:  # a reply outside any turn (no SpeakerSelected before it)
                turn = self._turn(scope, event, seq)
                del scope.turns[key]
            model = event.model
            if model is not None or event.usage is not None:
                self._model_call(turn, event, seq, model)
            if turn.end is None:
                turn.end = at if at > turn.start else turn.start
                turn.end_seq = seq
                turn.event = event
        scope.cursor = at

    def _speaker(self, event: SpeakerSelected, seq: int) -> None:
        where = event.scope
        scope = self._scopes.get(where) or self._open_scope(event, seq)
        run = scope.run
        if run.label is None and not where:
            run.label = run.agent = event.source
        step = event.step
        parent = scope.steps.get(step, run) if step else run
        if event.usage is not None or event.model is not None or event.started_at is not None:
            self._selection(scope, parent, event, seq)
        speaker = event.speaker
        at = event.at
        key = (step, speaker) if step else speaker
        previous = scope.turns.get(key)
        if previous is not None and previous.end is None:
            previous.end = at
            previous.end_seq = seq
        spans = self.spans
        turn = Span(len(spans), AGENT, speaker, parent, at, seq, where, step, speaker, event)
        spans.append(turn)
        scope.turns[key] = turn
        scope.cursor = at

    def _selection(self, scope: _Scope, parent: Span, event: SpeakerSelected, seq: int) -> None:
        """A selector's choice: a span with the selector's model call inside."""
        start = event.started_at if event.started_at is not None else scope.cursor
        select = self._new(SELECT, event.source, parent, start, seq, event)
        select.agent = "selector"
        select.opener = event
        if event.usage is not None or event.model is not None:
            self._model_call(select, event, seq, event.model, label=event.model or "selector")
        select.close(event.at, seq, event)

    def _summary(self, event: ContextSummary, seq: int) -> None:
        """A context policy's summary: a model call of the agent's turn, before its own reply."""
        scope = self._scopes.get(event.scope) or self._open_scope(event, seq)
        turn = self._turn(scope, event, seq)
        self._model_call(turn, event, seq, event.model)
        self._marks[turn.id] = (event.at, seq)
        scope.cursor = event.at

    def _tool_calls(self, event: ToolCalls, seq: int) -> None:
        scope = self._scopes.get(event.scope) or self._open_scope(event, seq)
        turn = self._turn(scope, event, seq)
        self._model_call(turn, event, seq, event.model)
        for call in event.calls:
            scope.calls[call.id] = (turn, call, seq)
        self._marks[turn.id] = (event.at, seq)
        scope.cursor = event.at

    def _tool_result(self, event: ToolResult, seq: int) -> None:
        scope = self._scopes.get(event.scope) or self._open_scope(event, seq)
        pending = scope.calls.pop(event.call_id, None)
        turn = pending[0] if pending is not None else self._turn(scope, event, seq)
        span = self._new(TOOL, event.name, turn, event.at - event.duration, seq, event)
        span.agent = turn.agent
        if pending is not None:
            span.call = pending[1]
            span.seq = pending[2]
        span.close(event.at, seq, event)
        if event.is_error:
            span.fail(event.content)
        self._marks[turn.id] = (event.at, seq)
        scope.cursor = event.at

    def _error(self, event: ErrorEvent, seq: int) -> None:
        scope = self._scopes.get(event.scope) or self._open_scope(event, seq)
        turn = self._turn(scope, event, seq)
        call = self._model_call(turn, event, seq, event.model)
        call.fail(event.content)
        self._marks[turn.id] = (event.at, seq)
        scope.cursor = event.at

    def _handoff(self, event: Handoff, seq: int) -> None:
        scope = self._scopes.get(event.scope) or self._open_scope(event, seq)
        turn = self._turn(scope, event, seq)
        turn.close(event.at, seq, event)
        self._end_turn(scope, turn)
        scope.cursor = event.at

    def _approval(self, event: Approval, seq: int) -> None:
        scope = self._scopes.get(event.scope) or self._open_scope(event, seq)
        pending = scope.calls.get(event.call_id)
        parent = pending[0] if pending is not None else scope.run
        start = event.started_at
        if start is None:  # since the turn's previous event
            start = (self._marks.get(parent.id) or (parent.start,))[0]
        span = self._new(APPROVAL, event.tool, parent, start, seq, event)
        span.agent = event.source
        if pending is not None:
            span.call = pending[1]
        span.close(event.at, seq, event)
        scope.cursor = event.at

    def _step_started(self, event: StepStarted, seq: int) -> None:
        scope = self._scopes.get(event.scope) or self._open_scope(event, seq)
        if not event.scope and scope.run.label is None:
            scope.run.label = scope.run.agent = event.source
        span = self._new(STEP, event.step_id, scope.run, event.at, seq, event)
        span.agent = event.assignee
        span.step = event.step_id
        span.opener = event
        scope.steps[event.step_id] = span
        scope.cursor = event.at

    def _step_ended(self, event: StepFinished | StepFailed, seq: int) -> None:
        scope = self._scopes.get(event.scope) or self._open_scope(event, seq)
        span = scope.steps.pop(event.step_id, None)
        if span is None:  # no StepStarted seen: the event's duration says when it began
            span = self._new(STEP, event.step_id, scope.run, event.at - event.duration, seq, event)
            span.agent = event.assignee
            span.step = event.step_id
        for key in [k for k in scope.turns if isinstance(k, tuple) and k[0] == event.step_id]:
            scope.turns.pop(key).close(event.at, seq)
        span.close(event.at, seq, event)
        if isinstance(event, StepFailed):
            span.fail(event.error)
        scope.cursor = event.at

    def _plan(self, event: PlanCreated | Replanned, seq: int) -> None:
        scope = self._scopes.get(event.scope) or self._open_scope(event, seq)
        key = (event.step, event.source) if event.step else event.source
        turn = scope.turns.pop(key, None)
        if turn is not None and turn.opener is None:
            turn.operation = PLAN  # the planner's own model calls happened in this span
        else:
            if turn is not None:
                turn.close(event.at, seq)
            parent = scope.steps.get(event.step, scope.run) if event.step else scope.run
            turn = self._new(PLAN, event.source, parent, event.at, seq, event)
            turn.agent = event.source
        turn.close(event.at, seq, event)
        scope.cursor = event.at

    def _stop(self, event: Stop, seq: int) -> None:
        scope = self._scopes.get(event.scope) or self._open_scope(event, seq)
        run = scope.run
        if not event.scope and run.label is None:
            run.label = run.agent = event.source
        error = event.reason if event.failed else ""
        for span in [*scope.turns.values(), *scope.steps.values()]:
            span.close(event.at, seq)
            if error:
                span.fail(error)
        run.close(event.at, seq, event)
        if error:
            run.fail(error)
        del self._scopes[event.scope]

    def _end_turn(self, scope: _Scope, turn: Span) -> None:
        key = (turn.step, turn.agent) if turn.step else turn.agent
        if scope.turns.get(key) is turn:
            del scope.turns[key]
