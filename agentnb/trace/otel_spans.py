"""Trace spans replayed as real OpenTelemetry SDK spans with GenAI attributes.

Needs ``pip install 'agentnb[trace]'`` (opentelemetry-sdk); imported only when used.
`to_otel` replays a trace's spans through a tracer with their recorded start and end times
and parent links. It reads the trace as a `SpanSource`, so `Trace.to_otel` can use it and
`agentnb.trace.otel` (emit under the current span, send to a receiver) builds on it.
Message content, tool arguments and results are sent only when asked (``capture_content``
or ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``), scrubbed of secrets.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from agentnb.trace import attributes as attrs
from agentnb.trace.attributes import capture_from_env
from agentnb.trace.spans import CHAT, SpanSource

if TYPE_CHECKING:
    from opentelemetry.context import Context

INSTALL_HINT = "OpenTelemetry export needs the trace extra: pip install 'agentnb[trace]'"


def otel_api() -> Any:
    """OpenTelemetry's trace API (``opentelemetry.trace``), or an ImportError saying what to install."""
    try:
        from opentelemetry import trace as otel_trace
    except ImportError:
        raise ImportError(INSTALL_HINT) from None
    return otel_trace


def _ns(seconds: float) -> int:
    return int(seconds * 1_000_000_000)


def to_otel(
    trace: SpanSource,
    tracer_provider: Any = None,
    *,
    capture_content: bool | None = None,
    context: Context | None = None,
) -> int:
    """Create one OpenTelemetry span per trace span; returns how many were created.

    ``tracer_provider`` defaults to the global one. Root spans start under ``context``
    (default: the current context, so an active span becomes their parent; pass
    ``opentelemetry.context.Context()`` for new traces).
    """
    otel_trace = otel_api()
    from opentelemetry.trace import SpanKind, Status, StatusCode

    provider = tracer_provider if tracer_provider is not None else otel_trace.get_tracer_provider()
    tracer = provider.get_tracer("agentnb")
    capture = capture_from_env() if capture_content is None else capture_content
    scrub = trace.scrubber.text
    names: dict[str, str] = {}  # span names repeat: each scrubbed once
    spans = trace.spans
    made: dict[int, Any] = {}
    now = trace.now
    for span in spans:
        attributes = dict(trace.attributes(span))
        if capture:
            found = trace.content_of(span)
            if found:
                attributes.update(attrs.otel_content(span, found))
        parent = made.get(span.parent.id) if span.parent is not None else None
        where = otel_trace.set_span_in_context(parent) if parent is not None else context
        name = names.get(span.name)
        if name is None:
            name = names[span.name] = scrub(span.name)
        otel_span = tracer.start_span(
            name,
            context=where,
            kind=SpanKind.CLIENT if span.operation == CHAT else SpanKind.INTERNAL,
            attributes=_clean(attributes),
            start_time=_ns(span.start),
        )
        if span.status == "error":
            otel_span.set_status(Status(StatusCode.ERROR, scrub(span.error) or None))
        otel_span.end(end_time=_ns(span.end if span.end is not None else max(now, span.start)))
        made[span.id] = otel_span
    return len(made)


def _clean(attributes: dict[str, Any]) -> dict[str, Any]:
    """OpenTelemetry takes str, bool, int, float and lists of one of those; other values become JSON text."""
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        if value is None:
            continue
        plain = isinstance(value, str | bool | int | float)
        if plain or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            out[key] = value
        else:
            out[key] = json.dumps(value, ensure_ascii=False)
    return out
