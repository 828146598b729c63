"""Export to a real OTLP/HTTP receiver: Arize Phoenix on 127.0.0.1, read back through its REST API."""

from __future__ import annotations

from importlib.util import find_spec

import pytest

from agentnb import Agent, Team, tool
from agentnb.models import ScriptedModel
from agentnb.trace import Trace
from agentnb.trace.otel import export_otlp
from tests.conftest import require
from tests.trace.phoenix_server import phoenix_python, phoenix_server, read_spans

pytestmark = pytest.mark.trace_server


@tool
def search(query: str) -> str:
    """Search the archive."""
    return f"3 stories about {query}"


def test_a_team_runs_spans_arrive_in_phoenix_with_their_gen_ai_attributes():
    require(
        find_spec("opentelemetry.exporter.otlp") is not None,
        "the OTLP exporter (pip install 'agentnb[trace]')",
    )
    python = phoenix_python()
    require(python is not None, "Arize Phoenix (pip install arize-phoenix, or set AGENTNB_PHOENIX_PYTHON)")
    model = ScriptedModel(
        {
            "reporter": [{"tool": "search", "args": {"query": "park"}}, "Draft about the park."],
            "editor": ["OK"],
        }
    )
    team = Team([Agent("reporter", tools=[search]), Agent("editor")], model=model, max_turns=2, name="desk")
    trace = Trace.from_events(team.run_sync("Write about the park").messages)
    with phoenix_server(python) as base:
        sent = export_otlp(trace, f"{base}/v1/traces", project="agentnb-test", capture_content=True)
        spans = read_spans(base, "agentnb-test", expected=sent)
    named = {s["name"]: s for s in spans}
    assert sorted(s["name"] for s in spans) == sorted(s.name for s in trace.spans)
    run, turn = named["invoke_workflow desk"], named["invoke_agent reporter"]
    assert run["parent_id"] is None and turn["parent_id"] == run["context"]["span_id"]
    tool_span = named["execute_tool search"]
    assert tool_span["parent_id"] == turn["context"]["span_id"]
    assert tool_span["attributes"]["gen_ai.tool.name"] == "search"
    assert tool_span["attributes"]["gen_ai.tool.call.arguments"] == '{"query": "park"}'
    chats = [s for s in spans if s["name"] == "chat scripted"]
    assert len(chats) == 3
    assert {c["attributes"]["gen_ai.agent.name"] for c in chats} == {"reporter", "editor"}
    assert all(c["attributes"]["gen_ai.usage.input_tokens"] > 0 for c in chats)
    assert turn["attributes"]["gen_ai.operation.name"] == "invoke_agent"
