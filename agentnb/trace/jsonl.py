"""A trace as JSON lines: a header line, then one span per line (parents before children).

Plain data any tool can read (``jq``, pandas); `loads` rebuilds the spans, from which
`Trace.from_jsonl` makes a trace that views, sums and exports like the original. Content
(message text, tool arguments and results) is written only when asked, as for
OpenTelemetry, and every string is scrubbed of secrets.
A trace file may come from anyone, so `loads` takes it as data and checks every field: a
known operation and status, strings where strings belong, finite numbers within bounds
(checked before any conversion, so ``"cost": "1e999987"`` fails at once). The header is the
envelope every saved format has, checked by `agentnb.core.saved.check_header`; a file that
is not a trace, or a damaged one, is refused with `SavedFileError` (a `ValueError`).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from agentnb.core.errors import SavedFileError
from agentnb.core.events import Usage
from agentnb.core.saved import check_header, envelope
from agentnb.trace.cost import PICO
from agentnb.trace.spans import AGENT, APPROVAL, CHAT, PLAN, SELECT, STEP, TOOL, WORKFLOW, Span, SpanSource

KIND, VERSION = "trace", 1
HOW = "write one with trace.to_jsonl(path)"
PLAIN_FIELDS = ("label", "name", "agent", "scope", "step", "error", "model", "request_model")  # to scrub
OPERATIONS = frozenset({WORKFLOW, AGENT, CHAT, TOOL, SELECT, PLAN, STEP, APPROVAL})
STATUSES = frozenset({"ok", "error"})
MAX_TIME = 1e12  # seconds: epoch times, or event positions in traces without clocks
MAX_COUNT = 10**12  # tokens, sequence numbers
MAX_COST = Decimal(10**9)  # dollars for one model call
MAX_COST_TEXT = 64  # characters of a cost written as text


def span_record(trace: SpanSource, span: Span, capture_content: bool) -> dict[str, Any]:
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
        "request_model": span.request_model,
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


def dumps(trace: SpanSource, capture_content: bool) -> str:
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

    lines = [json.dumps(envelope(KIND, VERSION, capture_content=capture_content))]
    for span in trace.spans:
        record = span_record(trace, span, capture_content)
        for key in PLAIN_FIELDS:
            record[key] = clean(record[key])
        lines.append(json.dumps(record, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def loads(
    text: str, where: str = "the trace text"
) -> tuple[list[Span], bool, dict[int, tuple[dict[str, Any], dict[str, Any]]]]:
    """The spans of `dumps` output (priced, parents first), whether it holds content, and each
    span's scrubbed attributes and content by span id. ``where`` names the file in errors: its
    header checked like every saved file's, and a line that is not a span record by number."""
    lines = [line for line in text.splitlines() if line.strip()]
    header = check_header(lines[0] if lines else "", KIND, {VERSION}, where, how=HOW)
    spans: list[Span] = []
    saved: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for number, line in enumerate(lines[1:], start=2):
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise TypeError(f"expected an object, got {type(record).__name__}")
            spans.append(_span(record, spans))
            saved[len(spans) - 1] = (_mapping(record, "attributes"), _mapping(record, "content"))
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            detail = f"no {exc} field" if isinstance(exc, KeyError) else exc
            raise SavedFileError(f"{where}, line {number}: not a span record ({detail})") from None
    return spans, bool(header.get("capture_content")), saved


def _span(record: dict[str, Any], spans: list[Span]) -> Span:
    if _count(record, "id") != len(spans):
        raise ValueError(f"span id {record['id']!r} is out of order (expected {len(spans)})")
    parent_id = _count(record, "parent", optional=True)
    if parent_id is not None and parent_id >= len(spans):
        raise ValueError(f"parent {parent_id} is not an earlier span")
    operation = record["operation"]
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {_shown(operation)} (known: {', '.join(sorted(OPERATIONS))})")
    span = Span(
        record["id"],
        operation,
        _text(record, "label", optional=True),
        spans[parent_id] if parent_id is not None else None,
        _time(record, "start"),
        _count(record, "seq"),
        _text(record, "scope"),
        _text(record, "step"),
        _text(record, "agent"),
    )
    span.end = _time(record, "end", optional=True)
    span.end_seq = _count(record, "end_seq", optional=True)
    status = record["status"]
    if status not in STATUSES:
        raise ValueError(f"unknown status {_shown(status)} (known: ok, error)")
    span.status = status
    span.error = _text(record, "error")
    span.model = _text(record, "model", optional=True)
    span.request_model = _text(record, "request_model", optional=True)
    usage = record.get("usage")
    if usage is not None:
        if not isinstance(usage, dict):
            raise TypeError("usage: expected an object with input_tokens and output_tokens")
        span.usage = Usage(
            prompt_tokens=_count(usage, "input_tokens"), completion_tokens=_count(usage, "output_tokens")
        )
    span.cost_pico = _cost(record.get("cost"))
    span.first_token = _time(record, "first_token", optional=True)
    return span


def _shown(value: Any) -> str:
    return repr(value) if len(repr(value)) <= 60 else repr(value)[:59] + "…"


def _text(record: dict[str, Any], key: str, *, optional: bool = False) -> Any:
    value = record.get(key, None if optional else "")
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{key}: expected text, got {_shown(value)}")
    return value


def _count(record: dict[str, Any], key: str, *, optional: bool = False) -> Any:
    value = record.get(key) if optional else record[key]
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
        raise ValueError(f"{key}: expected a whole number from 0 to {MAX_COUNT:.0e}, got {_shown(value)}")
    return value


def _time(record: dict[str, Any], key: str, *, optional: bool = False) -> Any:
    value = record.get(key) if optional else record[key]
    if value is None and optional:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{key}: expected a finite number of seconds, got {_shown(value)}")
    if abs(value) > MAX_TIME:
        raise ValueError(f"{key}: {value!r} is out of range (at most {MAX_TIME:.0e} seconds)")
    return float(value)


def _cost(value: Any) -> int | None:
    """A cost in dollars (written as text, exactly) as picodollars; bounds checked before converting."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_COST_TEXT:
        raise ValueError(f"cost: expected dollars as text such as '0.0012', got {_shown(value)}")
    try:
        dollars = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"cost: {_shown(value)} is not a number") from None
    if not dollars.is_finite() or not 0 <= dollars <= MAX_COST:
        raise ValueError(f"cost: {_shown(value)} is not a cost from 0 to {MAX_COST} dollars")
    return int(dollars * PICO)


def _mapping(record: dict[str, Any], key: str) -> dict[str, Any]:
    """Attributes or content: an object of text keys and JSON values."""
    value = record.get(key) or {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise TypeError(f"{key}: expected an object with text keys")
    return value
