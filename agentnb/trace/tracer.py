"""`Trace`: the spans of one or more team runs, built from their events, with costs and views.

Build one from a finished run (``Trace.from_events(result.messages)``) or live, by feeding
events as they arrive (``async for event in trace.follow(team.stream(task))``). The same
object prices the model calls, sums them per agent, renders the trace view and exports to
OpenTelemetry or JSONL.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from agentnb.core import plugins
from agentnb.core.events import Event, TokenDelta
from agentnb.core.saved import read_text, write_text
from agentnb.core.secrets import Scrubber
from agentnb.trace import attributes as attrs
from agentnb.trace import jsonl, otel_spans
from agentnb.trace.attributes import capture_from_env
from agentnb.trace.builder import SpanBuilder
from agentnb.trace.cost import Price, Pricer
from agentnb.trace.spans import Span
from agentnb.trace.summary import Summary, summarize

SHORT = 200  # strings up to this length are remembered once scrubbed


class Trace:
    """Spans of a run: a tree per team run (``roots``), every span in start order (``spans``).

    ``trace.feed(event)`` records one event as it happens (a list append; token deltas are
    dropped), so a traced run pays next to nothing; the spans are built, in one batch,
    whenever the trace is read.
    ``prices`` adds to or overrides the price table for this trace only (model name or
    pattern -> `Price` or ``(input, output)`` dollars per million tokens).
    ``capture_content`` makes the view show message text, tool arguments and results when a
    span is opened (default: the ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    variable). Exports decide for themselves (their own ``capture_content``), so showing
    content in your notebook never sends it anywhere. ``secrets`` are values to scrub besides
    what `agentnb.core.secrets.Scrubber` always does: key shapes, credentials in URLs, the
    environment's secret variables and the keys of the models in use.
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        prices: Mapping[str, Price | tuple[float | str, float | str]] | None = None,
        capture_content: bool | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        self._pricer = Pricer(prices)
        self._builder = SpanBuilder(name, self._pricer.cost_pico)  # (each model call priced once, when built)
        self.feed = self._builder.feed
        self.capture_content = capture_from_env() if capture_content is None else capture_content
        self._secrets = list(secrets)
        self._scrubber: Scrubber | None = None
        self._scrubbed: dict[str, str] = {}
        self._attributes: dict[int, dict[str, Any]] = {}  # a closed span's, scrubbed (by span id)
        self._content: dict[int, dict[str, Any]] = {}

    @classmethod
    def from_events(
        cls,
        events: Iterable[Event],
        *,
        name: str | None = None,
        prices: Mapping[str, Price | tuple[float | str, float | str]] | None = None,
        capture_content: bool | None = None,
        secrets: Iterable[str] = (),
    ) -> Trace:
        """The trace of a finished run (``result.messages``) or of any list of events."""
        trace = cls(name=name, prices=prices, capture_content=capture_content, secrets=secrets)
        trace._builder.pending.extend(events)
        return trace

    @classmethod
    def from_spans(
        cls,
        spans: Sequence[Span],
        *,
        capture_content: bool = False,
        saved: Mapping[int, tuple[dict[str, Any], dict[str, Any]]] | None = None,
    ) -> Trace:
        """A trace of spans already built and priced (read from a trace file, `from_jsonl`);
        ``saved`` holds their attributes and content as scrubbed then (by span id)."""
        trace = cls(capture_content=capture_content)
        trace._builder.adopt(spans)
        for span_id, (attributes, content) in (saved or {}).items():
            trace._attributes[span_id], trace._content[span_id] = attributes, content
        return trace

    async def follow(self, stream: AsyncIterable[Event]) -> AsyncIterator[Event]:
        """Pass a run's events through unchanged, tracing each on the way."""
        keep = self._builder.pending.append
        async for event in stream:
            if event.__class__ is not TokenDelta:  # `feed`, inlined: this runs for every event
                keep(event)
            yield event

    # ----- reading -------------------------------------------------------------------------

    @property
    def spans(self) -> list[Span]:
        """Every span, in the order it started (its ``id`` is its index here), ``children`` filled."""
        self._builder.link()
        return self._builder.spans

    @property
    def roots(self) -> list[Span]:
        """One span per team run (``invoke_workflow``), with ``children`` filled down the tree."""
        self._builder.link()
        return self._builder.roots

    @property
    def now(self) -> float:
        """The time of the latest event: where spans still open end for now."""
        return self._builder.last_at

    def find(self, operation: str | None = None, label: str | None = None) -> list[Span]:
        """Spans of one operation (``"execute_tool"``) and/or about one thing (``"search"``)."""
        self._builder.link()
        return [
            s
            for s in self.spans
            if (operation is None or s.operation == operation) and (label is None or s.label == label)
        ]

    def summary(self, *, slowest: int = 5) -> Summary:
        """Totals per agent and overall, the slowest and the failed spans. The spans it hands out
        are whole (``children`` filled), so walking one from here sees what it contains."""
        builder = self._builder
        builder.link()
        return summarize(builder.roots, builder.spans, now=builder.last_at, slowest=slowest)

    def attributes(self, span: Span) -> dict[str, Any]:
        """The span's OpenTelemetry GenAI attributes, secrets scrubbed (no content)."""
        found = self._attributes.get(span.id)
        if found is None:
            found = {key: self._clean(value) for key, value in attrs.attributes(span).items()}
            if span.end is not None:  # an open span's attributes still change
                self._attributes[span.id] = found
        return found

    def content(self, span: Span) -> dict[str, Any]:
        """The span's content (text, tool arguments and results), scrubbed; empty unless captured."""
        return self.content_of(span) if self.capture_content else {}

    def content_of(self, span: Span) -> dict[str, Any]:
        """The span's content whatever ``capture_content`` says (exports that opt in use it)."""
        found = self._content.get(span.id)
        if found is None:
            found = attrs.content(span, self.scrubber)
            if span.end is not None:
                self._content[span.id] = found
        return found

    def _clean(self, value: Any) -> Any:
        """An attribute value scrubbed; short strings repeat (names, models), so each is scrubbed once."""
        if isinstance(value, str):
            found = self._scrubbed.get(value)
            if found is None:
                found = self.scrubber.text(value)
                if len(value) <= SHORT:
                    self._scrubbed[value] = found
            return found
        if isinstance(value, list):
            return [self._clean(v) for v in value]
        return value

    @property
    def scrubber(self) -> Scrubber:
        if self._scrubber is None:
            self._scrubber = Scrubber(self._secrets)
        return self._scrubber

    # ----- views and exports ---------------------------------------------------------------

    def view(self, *, times: bool = True, max_rows: int = 400, focus: int | None = None) -> Any:
        """The trace view: waterfall, tree, per-agent totals, slowest and failed spans.

        ``times=False`` hides clock times and durations and lays the waterfall out in event
        order, so a saved notebook's output is the same on every run. ``focus`` shows the
        subtree of one span (its id) when the whole trace is too large to show at once.
        """
        return plugins.render(self, "view", times=times, max_rows=max_rows, focus=focus)

    def to_jsonl(self, path: str | Path | None = None, *, capture_content: bool | None = None) -> str:
        """The spans as JSON lines (written to ``path`` when given); `Trace.from_jsonl` reads them.

        Content is included when ``capture_content`` is true (default: the
        ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` variable), as for OpenTelemetry.
        """
        text = jsonl.dumps(self, capture_from_env() if capture_content is None else capture_content)
        if path is not None:
            write_text(path, text)  # atomically: a reader never sees half a trace
        return text

    @classmethod
    def from_jsonl(cls, source: str | Path) -> Trace:
        """A trace saved by `to_jsonl`: a file path, or the JSONL text itself (it starts with ``{``).

        `SavedFileError` (a `ValueError`) names the file and what is wrong: not a trace, a
        newer version (upgrade agentnb), a damaged line."""
        where = "the trace text"
        if isinstance(source, Path) or not source.lstrip().startswith("{"):
            where = f"trace file {source}"
            source = read_text(source, jsonl.KIND)
        spans, capture_content, saved = jsonl.loads(source, where)
        return cls.from_spans(spans, capture_content=capture_content, saved=saved)

    def to_otel(self, tracer_provider: Any = None, *, capture_content: bool | None = None) -> int:
        """Emit the spans through OpenTelemetry (`agentnb.trace.otel_spans.to_otel`); returns the count."""
        return otel_spans.to_otel(self, tracer_provider, capture_content=capture_content)

    def __len__(self) -> int:
        return len(self.spans)

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"Trace({s.name!r}, spans={s.spans}, status={s.status!r}, duration={s.duration:.3f}s, "
            f"tokens={s.total.tokens}, cost={attrs.cost_text(s.total.cost)})"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return plugins.render(self, "mimebundle")
