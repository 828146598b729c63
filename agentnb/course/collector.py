"""A trace collector for the lesson: an OTLP/HTTP receiver on 127.0.0.1 that keeps what it receives.

In production a run's trace goes to a collector (an OpenTelemetry Collector, Jaeger, Grafana
Tempo, Arize Phoenix, Langfuse) over OTLP, the protocol they all speak. `Collector` is the
smallest such receiver: it listens on ``endpoint`` from a thread, accepts what an OTLP/HTTP
exporter posts to ``/v1/traces`` (protobuf, as `agentnb.trace.otel.export_otlp` sends it),
and keeps each span as a `ReceivedSpan`, so a lesson can read what really crossed the wire,
offline. Stop it with `Collector.stop` (or use it in a ``with`` block).
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

PATH = "/v1/traces"
STATUS = {0: "UNSET", 1: "OK", 2: "ERROR"}


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as the collector received it: the service that sent it, its name, ids and attributes."""

    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    status: str
    attributes: dict[str, Any] = field(default_factory=dict)


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind) if kind else None


def spans_of(request: ExportTraceServiceRequest) -> list[ReceivedSpan]:
    """The spans of one OTLP export request, each with the ``service.name`` of its resource."""
    found = []
    for resource_spans in request.resource_spans:
        resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
        service = str(resource.get("service.name", ""))
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                found.append(
                    ReceivedSpan(
                        service=service,
                        name=span.name,
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_id=span.parent_span_id.hex(),
                        status=STATUS.get(span.status.code, "UNSET"),
                        attributes={a.key: _value(a.value) for a in span.attributes},
                    )
                )
    return found


class Collector:
    """An OTLP/HTTP trace receiver on ``host`` (a free port unless ``port`` is given); see the module
    docstring. ``spans`` lists what it received, in order; ``endpoint`` is where to send traces."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        bound_host, bound_port = self._server.server_address[:2]
        self.endpoint = f"http://{bound_host}:{bound_port}{PATH}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="agentnb-collector", daemon=True
        )
        self._thread.start()

    def received(self, spans: list[ReceivedSpan]) -> None:
        """Keep ``spans`` (called by the request handler, from its thread)."""
        with self._lock:
            self.spans.extend(spans)

    def services(self) -> dict[str, int]:
        """How many spans each service sent."""
        counts: dict[str, int] = {}
        for span in list(self.spans):
            counts[span.service] = counts.get(span.service, 0) + 1
        return counts

    def stop(self) -> None:
        """Stop listening and wait for the thread to end; what was received stays in ``spans``."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> Collector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        running = "listening" if self._thread.is_alive() else "stopped"
        return f"Collector({running}, {len(self.spans)} spans received)"


def _handler(collector: Collector) -> type[BaseHTTPRequestHandler]:
    """The request handler class of ``collector``'s HTTP server."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server calls
            if self.path != PATH:
                self.send_error(404, f"traces go to {PATH}")
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            try:
                request = ExportTraceServiceRequest.FromString(body)
            except Exception:  # not protobuf: say so, as a collector would
                self.send_error(400, "expected an OTLP ExportTraceServiceRequest in protobuf")
                return
            collector.received(spans_of(request))
            reply = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: a lesson's output shows what was received, not an access log."""

    return Handler
