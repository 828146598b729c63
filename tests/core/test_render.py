"""Static renderings: deterministic, and safe from notebook math typesetting."""

from __future__ import annotations

from agentnb.messages import TextMessage, ToolCall, ToolCalls, ToolResult
from agentnb.render import render_html, render_markdown, render_text

EVENTS = [
    TextMessage(source="user", content="Budget?"),
    ToolCalls(source="checker", calls=[ToolCall(id="c1", name="search", arguments='{"q": "budget"}')]),
    ToolResult(source="checker", call_id="c1", name="search", content="grant $3.9 million of $4.5 million"),
    TextMessage(source="checker", content="It costs $4.5 million, $3.9 million from the state."),
]


def test_dollar_amounts_are_not_typeset_as_latex_in_notebooks():
    html = render_html(EVENTS)
    assert 'class="agentnb-chat tex2jax_ignore mathjax_ignore"' in html
    assert html.count("mathjax_ignore") >= 3  # chat, bubbles and tool panels, also when shown alone
    assert "$3.9 million" in html


def test_renderings_are_deterministic_and_carry_no_timestamps():
    later = [e.model_copy(update={"at": e.at + 1000}) for e in EVENTS]
    assert render_html(EVENTS) == render_html(later)
    assert render_markdown(EVENTS) == render_markdown(later)
    assert render_text(EVENTS) == render_text(later)
    assert "checker calls search(" in render_text(EVENTS)
