"""A trace as JSON lines: a header line, then one span per line (parents before children).

Plain data any tool can read (``jq``, pandas); `loads` rebuilds a `Trace` that views,
sums and exports like the original. Content (message text, tool arguments and results) is
written only when asked, as for OpenTelemetry, and every string is scrubbed of secrets.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from agentnb.core.events import Usage
from agentnb.trace.cost import PICO
from agentnb.trace.spans import Span

if TYPE_CHECKING:
    from agentnb.trace.tracer import Trace

FORMAT = "agentnb-trace"
PLAIN_FIELDS = ("label", "name", "agent", "scope", "step", "error", "model")  # strings not yet scrubbed
VERSION = 1


def span_record(trace: Trace, span: Span, capture_content: bool) -> dict[str, Any]:
    usage = span.usage
    record: dict[str, Any] = {
        "id": span.id,
        "parent": span.parent.id if span.parent is not None else None,
        "operation": span.operation,
        "label": span.label,
        "name": span.name,
        "agent": span.agent,
        "scope": span.scope,
        "step": span.step,
        "start": span.start,
        "end": span.end,
        "seq": span.seq,
        "end_seq": span.end_seq,
        "status": span.status,
        "error": span.error,
        "model": span.model,
        "usage": None
        if usage is None
        else {"input_tokens": usage.prompt_tokens, "output_tokens": usage.completion_tokens},
        "cost": None if span.cost is None else str(span.cost),
        "first_token": span.first_token,
        "attributes": trace.attributes(span),
    }
    found = trace.content_of(span) if capture_content else None
    if found:
        record["content"] = found
    return record


def dumps(trace: Trace, capture_content: bool) -> str:
    """The trace as JSONL text; every string scrubbed of secrets.

    Attributes and content come scrubbed from the trace; the other strings (names, labels,
    models, errors) repeat from span to span, so each distinct one is scrubbed once.
    """
    scrub = trace.scrubber.text
    seen: dict[str, str] = {}

    def clean(text: str | None) -> str | None:
        if text is None:
            return None
        found = seen.get(text)
        if found is None:
            found = seen[text] = scrub(text)
        return found

    header = {"format": FORMAT, "version": VERSION, "capture_content": capture_content}
    lines = [json.dumps(header)]
    for span in trace.spans:
        record = span_record(trace, span, capture_content)
        for key in PLAIN_FIELDS:
            record[key] = clean(record[key])
        lines.append(json.dumps(record, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def loads(text: str, cls: type[Trace]) -> Trace:
    """Rebuild a trace from `dumps` output; a line that is not a span record is named in the error."""
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        header = json.loads(lines[0]) if lines else {}
    except ValueError:
        header = {}
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(
            f"not an agentnb trace: the first line must be a {FORMAT!r} header (write it with to_jsonl)"
        )
    if header.get("version") != VERSION:
        raise ValueError(
            f"agentnb trace format version {header.get('version')!r} is not supported (expected {VERSION})"
        )
    trace = cls(capture_content=bool(header.get("capture_content")))
    builder = trace._builder
    for number, line in enumerate(lines[1:], start=2):
        try:
            record = json.loads(line)
            span = _span(record, builder.spans)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"trace line {number}: not a span record ({exc})") from None
        builder.spans.append(span)
        if span.parent is None:
            builder.roots.append(span)
        builder.end_hint = max(builder.end_hint, span.end or span.start)
    trace._priced = len(builder.spans)
    return trace


def _span(record: dict[str, Any], spans: list[Span]) -> Span:
    if record["id"] != len(spans):
        raise ValueError(f"span id {record['id']!r} is out of order (expected {len(spans)})")
    parent_id = record["parent"]
    parent = spans[parent_id] if parent_id is not None else None
    span = Span(
        record["id"],
        record["operation"],
        record["label"],
        parent,
        float(record["start"]),
        int(record["seq"]),
        record.get("scope", ""),
        record.get("step", ""),
        record.get("agent", ""),
    )
    span.end = record["end"]
    span.end_seq = record["end_seq"]
    span.status = record["status"]
    span.error = record.get("error", "")
    span.model = record.get("model")
    usage = record.get("usage")
    if usage is not None:
        span.usage = Usage(prompt_tokens=usage["input_tokens"], completion_tokens=usage["output_tokens"])
    span.cost_pico = None if record.get("cost") is None else int(Decimal(record["cost"]) * PICO)
    span.priced = True
    span.first_token = record.get("first_token")
    span._attributes = record.get("attributes") or {}
    span._content = record.get("content") or {}
    return span
