"""The trace view: waterfall bars, tree, totals, marks; deterministic without times; big runs aggregated."""

from __future__ import annotations

import re

import pytest

from agentnb import Agent, Team
from agentnb.core.events import SpeakerSelected, Stop, TextMessage, ToolCall, ToolCalls, ToolResult, Usage
from agentnb.models import ScriptedModel
from agentnb.trace import Trace
from tests.trace.test_spans import round_robin_with_tool

ROW = re.compile(
    r'<details class="agentnb-span" data-op="([a-z_]+)".*?px">▸ ([^<]*?)\s*<'
    r".*?left:([\d.]+)%;width:([\d.]+)%"
)


def bars(html: str) -> dict[str, tuple[float, float]]:
    """Label -> (left, right) edge of its bar, in percent."""
    return {label: (float(left), float(left) + float(width)) for _, label, left, width in ROW.findall(html)}


def graph_trace() -> Trace:
    model = ScriptedModel({"plan": ["split"], "left": ["L"], "right": ["R"], "merge": ["M"]}, latency=0.05)
    agents = [Agent("plan"), Agent("left"), Agent("right"), Agent("merge")]
    edges = [("plan", "left"), ("plan", "right"), ("left", "merge"), ("right", "merge")]
    return Trace.from_events(Team(agents, mode="graph", edges=edges, model=model).run_sync("go").messages)


@pytest.mark.parametrize("times", [True, False])
def test_parallel_branches_have_overlapping_bars_in_the_waterfall(times):
    found = bars(graph_trace().view(times=times).html())
    left, right, plan = found["invoke_agent left"], found["invoke_agent right"], found["invoke_agent plan"]
    assert left[0] < right[1] and right[0] < left[1]
    assert plan[1] <= left[0] + 0.01
    assert found["invoke_workflow team"] == (0.0, 100.0)


def test_the_html_view_is_self_contained_and_collapsible():
    html = Trace.from_events(round_robin_with_tool()).view().html()
    assert "<script" not in html and "<details" in html and "<summary" in html
    assert html.count('data-op="invoke_agent"') == 2 and html.count('data-op="chat"') == 3
    assert "tex2jax_ignore" in html  # chat text is not typeset as LaTeX


def test_totals_per_agent_show_time_tokens_and_cost():
    text = Trace.from_events(round_robin_with_tool()).view().text()
    assert "writer: 1 turn, 1.00 s, 1 model call, 0 tool calls, 120 tokens, cost $0.000027" in text
    assert "checker: 1 turn, 3.00 s, 2 model calls, 1 tool call, 240 tokens, cost $0.000054" in text


def test_the_slowest_and_the_failed_spans_are_marked():
    events = [
        *round_robin_with_tool()[:-1],
        SpeakerSelected(source="news", speaker="editor", turn=3, at=14.0),
        ToolCalls(
            source="editor", calls=[ToolCall(id="e", name="publish")], usage=Usage(), model="m", at=14.1
        ),
        ToolResult(
            source="editor",
            call_id="e",
            name="publish",
            content="Error: offline",
            is_error=True,
            duration=0.1,
            at=14.2,
        ),
        Stop(source="news", reason="max turns", at=14.3),
    ]
    view = Trace.from_events(events).view()
    text = view.text()
    assert "✗ execute_tool publish · editor: Error: offline" in text
    assert "execute_tool search · checker — 2.00 s [slowest #2]" in text
    html = view.html()
    assert "Slowest" in html and "Failed" in html and 'data-status="error"' in html


def run_newsroom() -> Trace:
    model = ScriptedModel(
        {"writer": ["Draft"], "checker": [{"tool": "count", "args": {"text": "Draft"}}, "ok"]}
    )
    from agentnb import tool

    @tool
    def count(text: str) -> int:
        """Count words."""
        return len(text.split())

    team = Team([Agent("writer"), Agent("checker", tools=[count])], model=model, max_turns=2)
    return Trace.from_events(team.run_sync("Write").messages, capture_content=True)


def test_without_times_the_view_is_the_same_on_every_run():
    first, second = run_newsroom().view(times=False), run_newsroom().view(times=False)
    assert first.html() == second.html()
    assert first.markdown() == second.markdown() and first.text() == second.text()
    assert " ms" not in first.text() and "Slowest" not in first.html()


def test_clicking_a_span_shows_its_content_when_captured():
    html = run_newsroom().view(times=False).html()
    assert "arguments" in html and "{&quot;text&quot;: &quot;Draft&quot;}" in html
    plain = Trace.from_events(round_robin_with_tool()).view().html()
    assert "park" not in plain


def test_markdown_has_the_agent_table_and_the_tree():
    md = Trace.from_events(round_robin_with_tool()).view(times=False).markdown()
    assert "| agent | turns | model calls | tool calls | tokens | cost |" in md
    assert "  - invoke_agent checker — 240 tok · $0.000054" in md


def big_trace(messages: int) -> Trace:
    events = [TextMessage(source="user", content="go", at=0.0)]
    for i in range(messages):
        name = "abc"[i % 3]
        events.append(SpeakerSelected(source="team", speaker=name, turn=i + 1, at=float(i)))
        events.append(
            TextMessage(source=name, content="ok", usage=Usage(prompt_tokens=1), model="m", at=i + 0.5)
        )
    events.append(Stop(source="team", reason="max turns", at=float(messages)))
    return Trace.from_events(events)


def test_a_big_run_is_aggregated_into_groups_within_the_row_budget_and_says_how_to_see_more():
    trace = big_trace(5000)
    view = trace.view(max_rows=300)
    html = view.html()
    assert html.count('class="agentnb-span"') <= 300
    assert "#1–125 (125 invoke_agent; span ids 1–249)" in html  # 40 groups of 125 turns
    assert "#1–40 (40 invoke_agent; span ids 1–79)" in html  # a group opens into groups of 40
    assert "trace.view(focus=" in html
    totals = view.summary.total
    assert totals.model_calls == 5000 and totals.input_tokens == 5000


def test_focus_shows_one_spans_subtree():
    trace = big_trace(200)
    turn = trace.find("invoke_agent")[150]
    lines = trace.view(focus=turn.id).text().splitlines()
    assert lines[0].endswith(f"showing span {turn.id}")
    assert lines[-2:] == [
        "  invoke_agent a — 500 ms · 1 tok · unknown",
        "    chat m · a — 500 ms · 1 tok · unknown",
    ]
    with pytest.raises(ValueError, match="focus"):
        trace.view(focus=10**6)


def test_in_a_big_run_the_path_to_a_failed_span_is_expanded_first():
    trace = big_trace(3000)
    late = trace.find("chat")[2500]
    late.fail("Error: boom")
    text = trace.view(max_rows=200).text()
    assert "chat m · b — 500 ms · 1 tok · unknown [✗ error]" in text
