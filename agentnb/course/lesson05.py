"""Lesson 05's exercises (observability): graded from spans, traces and exported spans, never from text.

05.1 recomputes the slowest model or tool call from the tree the student's span belongs to,
05.2 reads what each model call of a trace cost against the lesson's price sheet (and the price
table later traces will use), 05.3 reads a tool span's status, and 05.4 reads the spans an
OpenTelemetry exporter received.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from agentnb.core.secrets import PATTERNS
from agentnb.course.checks import exercise
from agentnb.course.quiz import question, right, wrong
from agentnb.trace import Span, Trace
from agentnb.trace.attributes import cost_text
from agentnb.trace.cost import lookup, price
from agentnb.trace.spans import CHAT, TOOL, WORKFLOW

WORK = (CHAT, TOOL)  # the spans that do work; the others contain them
RUN = "briefing"  # the lesson's team
PRICE_SHEET = {"acme-small": price("0.50", "1.50"), "acme-large": price("3.00", "15.00")}
PLANTED_KEY = "sk-lesson05-"  # the start of the fake key the lesson's archive leaks


def _span(answer: Any) -> Span:
    if isinstance(answer, str):
        raise TypeError("got its name; pass the span itself (from trace.find(...) or trace.summary())")
    if not isinstance(answer, Span):
        raise TypeError(f"got {type(answer).__name__}")
    return answer


def _root(span: Span) -> Span:
    while span.parent is not None:
        span = span.parent
    return span


def _who(span: Span) -> str:
    return f"{span.name} ({span.agent})" if span.operation in WORK and span.agent else span.name


@exercise(
    "05.1",
    "find the slow step",
    expects="a span of the briefing run's trace (a Span)",
    right=(
        "it is the longest model or tool call of the run; the spans around it last at least as long "
        "only because they contain it."
    ),
)
def find_the_slow_step(answer: Any) -> str | None:
    span = _span(answer)
    work = [s for s in _root(span).walk() if s.operation in WORK and s.duration is not None]
    if len(work) < 2:
        return "this span's run made fewer than two model or tool calls: pass a span of the briefing's trace."
    slowest = max(work, key=lambda s: (s.duration, -s.id))
    if span is slowest:
        return None
    if span.operation == WORKFLOW:
        return (
            f"that is the whole run ({span.name}): it contains every other span, so of course it is the "
            "longest. Which model or tool call inside it took the time?"
        )
    if span.operation not in WORK:
        inside = "contains the slowest call" if slowest in span.walk() else "does not even contain it"
        return (
            f"{span.name} contains other spans, so it lasts at least as long as they do; it {inside}. "
            "Look at the spans that do the work: the chat and execute_tool spans."
        )
    return (
        f"{_who(span)} is not the slowest model or tool call of this run. Sort the chat and "
        "execute_tool spans by duration (span.duration)."
    )


def _trace(answer: Any) -> Trace:
    if not isinstance(answer, Trace):
        raise TypeError(f"got {type(answer).__name__}, not a Trace")
    return answer


@exercise(
    "05.2",
    "price the run",
    expects="a Trace of the briefing run, built after you set the prices",
    right=(
        "every acme call has its sheet price (dollars per million tokens, input then output), the "
        "writer costs the most, and set_price keeps the prices for every later trace."
    ),
)
def price_the_run(answer: Any) -> str | None:
    trace = _trace(answer)
    calls = trace.find(CHAT)
    if not any(s.model in PRICE_SHEET for s in calls):
        return f"this trace has no call of the acme models: pass a trace of the {RUN} run (result.trace())."
    unpriced = sorted({f"{s.model} ({s.agent})" for s in calls if s.cost is None})
    if unpriced:
        return (
            f"no price for {' or '.join(unpriced)} in this trace, so the run's cost is unknown. "
            "set_price(model, input, output) prices a model for every trace built afterwards; then build "
            "the trace again."
        )
    for span in calls:
        sheet = PRICE_SHEET.get(span.model or "")
        if sheet is None or span.usage is None:
            continue
        expected = sheet.cost(span.usage)
        if span.cost != expected:
            swapped = price(sheet.output_per_million, sheet.input_per_million).cost(span.usage)
            why = (
                "input comes first, then output"
                if span.cost == swapped
                else "the prices are dollars per million tokens"
            )
            return (
                f"{span.model} ({span.agent}) costs {cost_text(span.cost)} in this trace; at the price "
                f"sheet's ${sheet.input_per_million} in / ${sheet.output_per_million} out it costs "
                f"{cost_text(expected)} ({why})."
            )
    agents = trace.summary().agents
    costs: dict[str, Decimal] = {t.name: t.cost for t in agents if t.cost is not None}
    top = max(costs, key=lambda name: costs[name])
    if top != "writer":
        return (
            f"at these prices {top} is the most expensive agent, not the writer: price only the models "
            "on the sheet, at the sheet's prices."
        )
    local = [model for model, sheet in PRICE_SHEET.items() if lookup(model) != sheet]
    if local:
        return (
            f"this trace is priced right, but only this trace: {' and '.join(local)} has no price (or "
            "another one) in PRICES, so the next trace will not know it. set_price puts a price in PRICES."
        )
    return None


@exercise(
    "05.3",
    "a failure you can see",
    expects="the execute_tool span of the forecast tool (a Span)",
    right=(
        "the tool's exception reached agentnb, so its span's status is error: the trace and the model"
        " both see the failure."
    ),
)
def a_failure_you_can_see(answer: Any) -> str | None:
    span = _span(answer)
    if span.operation != TOOL:
        return f"that is {span.name}: pass the forecast tool's span (trace.find('execute_tool', 'forecast'))."
    if span.label != "forecast":
        return f"that is the {span.label} tool's span; this exercise is about forecast."
    if span.status != "error":
        return (
            "this forecast span says ok: the tool caught its own error and returned ordinary text, so "
            "neither the trace nor the model can tell that it failed. Let the exception out of the tool, "
            "run the team again and pass the new span."
        )
    return None


def _exported(answer: Any) -> list[Any]:
    get = getattr(answer, "get_finished_spans", None)
    if get is None:
        raise TypeError(f"got {type(answer).__name__}, not an InMemorySpanExporter")
    return list(get())


@exercise(
    "05.4",
    "export with content",
    expects="the InMemorySpanExporter you exported the briefing run to",
    right=(
        "one briefing run was exported through trace.to_otel, with the tools' arguments and results "
        "and no secret in any attribute."
    ),
)
def export_with_content(answer: Any) -> str | None:
    spans = _exported(answer)
    if not spans:
        return "the exporter has no spans: give trace.to_otel(...) the provider this exporter is attached to."
    roots = [s for s in spans if s.parent is None]
    if len(roots) != 1:
        return (
            f"the exporter holds {len(roots)} runs: call exporter.clear() and export the briefing run once."
        )
    if roots[0].name != f"invoke_workflow {RUN}":
        return f"the exported run is {roots[0].name!r}: export the {RUN} run."
    tools = [s for s in spans if (s.attributes or {}).get("gen_ai.operation.name") == TOOL]
    if not tools:
        return "the export has no execute_tool spans: export the briefing run, whose agents call tools."
    bare = [s.name for s in tools if "gen_ai.tool.call.arguments" not in (s.attributes or {})]
    if bare:
        return (
            f"{bare[0]} carries no arguments or result: content is left out of exports unless you ask for it "
            "(capture_content=True)."
        )
    for s in spans:
        text = " ".join(str(v) for v in (s.attributes or {}).values())
        if PLANTED_KEY in text or any(p.search(text) for p in PATTERNS):
            return f"{s.name} carries a secret: export through trace.to_otel, which scrubs every attribute."
    return None


question(
    "05.a",
    "The researcher's `invoke_agent` span is the longest after the run's. Is the turn the slow step?",
    wrong(
        "Yes: it took the most time.", "A turn contains its model and tool calls; it is as long as they are."
    ),
    right(
        "Look inside it: the `chat` or `execute_tool` span that did the work is the slow step.",
        "Right: turns are containers; the work is in the model calls and the tool calls.",
    ),
)
question(
    "05.b",
    "A trace uses a model with no known price. What cost does it show?",
    wrong("$0.", "Counting an unpriced call as $0 would hide your most expensive model."),
    right(
        "Unknown for that model, and a run total that says more is unknown.",
        "Right: `set_price` (or `prices=`) makes it known.",
    ),
)
question(
    "05.c",
    'A tool catches its exception and returns "No forecast available." What does the trace show?',
    wrong("An error span.", "The tool returned normally: as far as anyone can see, it worked."),
    right(
        "An ok span, and a model that read the message as if it were a forecast.",
        "Right: let the tool raise. agentnb turns the exception into an error result and an error span.",
    ),
)
