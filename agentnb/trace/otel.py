"""OpenTelemetry export: a trace's spans as real SDK spans with GenAI attributes.

Needs ``pip install 'agentnb[trace]'`` (opentelemetry-sdk and the OTLP/HTTP exporter);
imported only when used. `to_otel` (`agentnb.trace.otel_spans`) replays the spans through a
tracer with their recorded start and end times and parent links; `emit` does it under the
current OpenTelemetry context, so an eval framework's task span becomes the parent;
`export_otlp` sends a trace to an OTLP/HTTP receiver such as Arize Phoenix
(``http://127.0.0.1:6006/v1/traces``).
Message content, tool arguments and results are sent only when asked (``capture_content``
or ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``), scrubbed of secrets.
"""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from agentnb.core.events import Event
from agentnb.trace.otel_spans import INSTALL_HINT, otel_api, to_otel
from agentnb.trace.tracer import Trace

PHOENIX_ENDPOINT = "http://127.0.0.1:6006/v1/traces"
CONNECT_TIMEOUT = 1.5  # seconds to find a receiver listening before giving up (no retries)


def as_trace(source: Trace | Iterable[Event] | Any) -> Trace:
    """A `Trace`, from a trace, a `TeamResult` (its ``messages``) or a list of events."""
    if isinstance(source, Trace):
        return source
    messages = getattr(source, "messages", None)
    if messages is not None:
        return Trace.from_events(messages)
    try:
        return Trace.from_events(source)
    except (TypeError, AttributeError):
        raise TypeError(
            f"expected a Trace, a TeamResult or a list of events, got {type(source).__name__}"
        ) from None


def emit(
    source: Trace | Iterable[Event] | Any, *, tracer_provider: Any = None, capture_content: bool | None = None
) -> int:
    """Emit a run's spans under the current span (if any), through the global tracer provider.

    ``source`` is a `Trace`, a `TeamResult` or a list of events. Inside an eval task (or any
    active span) the run's spans become its children, which is what span-reading
    evaluators (pydantic-evals' ``ToolCorrectness`` and the like) look at.
    """
    return to_otel(as_trace(source), tracer_provider, capture_content=capture_content)


def export_otlp(
    source: Trace | Iterable[Event] | Any,
    endpoint: str = PHOENIX_ENDPOINT,
    *,
    headers: Mapping[str, str] | None = None,
    service_name: str = "agentnb",
    project: str | None = None,
    capture_content: bool | None = None,
    timeout: float = 10.0,
) -> int:
    """Send a trace to an OTLP/HTTP receiver (Phoenix, a Collector, …) and wait until it is sent.

    ``project`` names the Phoenix project the spans land in (``openinference.project.name``).
    When nothing listens at ``endpoint`` it fails at once (within `CONNECT_TIMEOUT`) with a
    `ConnectionError` that says so, instead of retrying for ``timeout`` seconds.
    """
    otel_api()
    check_listening(endpoint, min(timeout, CONNECT_TIMEOUT))
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        raise ImportError(INSTALL_HINT) from None
    from opentelemetry.context import Context
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    resource = {"service.name": service_name}
    if project:
        resource["openinference.project.name"] = project
    provider = TracerProvider(resource=Resource.create(resource))
    collected = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(collected))
    to_otel(as_trace(source), provider, capture_content=capture_content, context=Context())
    spans = collected.get_finished_spans()
    exporter = OTLPSpanExporter(endpoint=endpoint, headers=dict(headers or {}), timeout=timeout)
    try:
        result = exporter.export(spans)
    finally:
        exporter.shutdown()
        provider.shutdown()
    if result is not SpanExportResult.SUCCESS:
        raise ConnectionError(
            f"could not send the trace to {endpoint}: is an OTLP/HTTP receiver (e.g. Phoenix) running there?"
        )
    return len(spans)


def check_listening(endpoint: str, timeout: float) -> None:
    """Raise a one-line `ConnectionError` when no server accepts a connection at ``endpoint``.

    The OTLP exporter retries a refused connection with growing waits and logs each try;
    one TCP connection says at once whether anything is there. Behind a proxy the proxy
    decides, so nothing is checked.
    """
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"endpoint: expected an http:// or https:// URL, got {endpoint!r}")
    if parts.scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(parts.hostname):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except OSError as exc:
        why = "no answer" if isinstance(exc, TimeoutError) else exc.strerror or type(exc).__name__
        raise ConnectionError(
            f"could not send the trace to {endpoint}: nothing is listening at {parts.hostname}:{port} "
            f"({why}); start an OTLP/HTTP receiver there (e.g. Phoenix) or pass its endpoint"
        ) from None
