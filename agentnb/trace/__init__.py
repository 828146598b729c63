"""Traces of team runs: spans from the event stream, costs, views and exports.

``Trace.from_events(result.messages)`` (or ``trace.follow(team.stream(task))`` live) gives a
tree of OpenTelemetry GenAI spans — runs, turns, model calls, tool calls, plan steps,
approvals — with times, token usage and cost; ``trace.view()`` shows it in a notebook;
``agentnb.trace.otel`` exports it (``pip install 'agentnb[trace]'``); ``to_jsonl`` saves it.
"""

from agentnb.trace.cost import PRICES, Price, price, set_price
from agentnb.trace.spans import Span
from agentnb.trace.summary import Summary, Totals
from agentnb.trace.tracer import Trace

__all__ = ["PRICES", "Price", "Span", "Summary", "Totals", "Trace", "price", "set_price"]
