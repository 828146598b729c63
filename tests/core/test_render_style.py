"""The presentation style (projecting to a room) and code arguments shown as code."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from agentnb.core.events import Handoff, TextMessage, ToolCall, ToolCalls, ToolResult, Usage
from agentnb.core.result import TeamResult
from agentnb.views.chat import (
    NORMAL,
    PRESENTATION,
    html_tool,
    presentation,
    render_html,
    render_markdown,
    render_text,
    result_mimebundle,
    show_in,
    styled,
)

EVENTS = [
    TextMessage(source="user", content="Write it."),
    TextMessage(source="writer", content="A draft."),
    Handoff(source="writer", target="editor"),
]


@pytest.fixture(autouse=True)
def normal_afterwards() -> Iterator[None]:
    yield
    presentation(False)


def sizes(html: str) -> set[str]:
    return set(re.findall(r'class="agentnb-msg [^"]*"[^>]*font-size:(\d+)px', html))


def test_presentation_makes_text_larger_bubbles_wider_and_notes_full_contrast() -> None:
    normal = render_html(EVENTS)
    presentation(True)
    big = render_html(EVENTS)
    assert sizes(normal) == {"14"} and sizes(big) == {str(PRESENTATION.text)} and PRESENTATION.text >= 20
    assert "max-width:90%" in normal and "max-width:100%" in big
    assert f"width:{PRESENTATION.avatar}px" in big and PRESENTATION.avatar > NORMAL.avatar
    handoff = big.split('class="agentnb-handoff')[1]
    assert "color:inherit" in handoff  # the theme's own text colour, not grey
    assert render_html(EVENTS) == big  # deterministic in either style
    presentation(False)
    assert render_html(EVENTS) == normal


def test_styled_applies_a_style_only_inside_its_block() -> None:
    with styled(PRESENTATION):
        assert sizes(render_html(EVENTS)) == {str(PRESENTATION.text)}
    assert sizes(render_html(EVENTS)) == {"14"}


def test_one_result_can_be_shown_big_while_others_stay_normal() -> None:
    def result() -> TeamResult:
        return TeamResult(task="t", messages=list(EVENTS), participants=["writer"], usage=Usage(), turns=1)

    big, normal = result(), result()
    show_in(big, PRESENTATION)
    assert sizes(result_mimebundle(big)["text/html"]) == {str(PRESENTATION.text)}
    assert sizes(result_mimebundle(normal)["text/html"]) == {"14"}


CODE = 'import statistics\n\ndef mean(xs):\n    return statistics.mean(xs)  # "quoted"\n'


def test_a_code_argument_shows_as_a_highlighted_code_block_in_the_tool_panel() -> None:
    call = ToolCall(id="c", name="run_python", arguments=json.dumps({"code": CODE, "timeout": 5}))
    panel = html_tool(call, ToolResult(source="a", call_id="c", name="run_python", content="ok"))
    code = panel.split('class="agentnb-tool-code">')[1]
    assert "<pre" in code and "<span" in code  # highlighted (pygments), not one line of JSON
    assert re.sub(r"<[^>]+>", "", code.split("</pre>")[0]).replace("&quot;", '"') == CODE
    assert "\\n" not in panel and "timeout" in panel  # the other arguments stay a line of JSON
    events = [ToolCalls(source="a", calls=[call])]
    assert "    return statistics.mean(xs)" in render_text(events)
    assert "```python\n  import statistics" in render_markdown(events)


def test_arguments_without_code_stay_one_line_of_json() -> None:
    panel = html_tool(ToolCall(id="c", name="search", arguments='{"q": "park", "code": 3}'), None)
    assert "agentnb-tool-code" not in panel and "&quot;code&quot;: 3" in panel


def test_a_name_keeps_its_colour_from_chat_to_chat_in_one_session() -> None:
    from agentnb.views.chat import PALETTE, Colors, forget_colors

    first = Colors(["writer", "fact_checker", "editor"])
    later = Colors(["planner", "researcher", "writer", "editor"])  # another team, another order
    assert later.html("writer") == first.html("writer") and later.html("editor") == first.html("editor")
    newcomers = {later.html("planner"), later.html("researcher")}
    assert len(newcomers) == 2 and not newcomers & {first.html(n) for n in first.names()}
    forget_colors()  # a new kernel
    assert Colors(["editor", "writer"]).html("editor") == PALETTE[0]


def test_agents_of_one_chat_never_share_a_colour_even_past_ten_names() -> None:
    from agentnb.views.chat import PALETTE, Colors

    Colors([f"agent{i}" for i in range(10)])  # every colour is someone's now
    crowded = Colors(["agent0", "agent9", "late", "later"])
    colours = [crowded.html(n) for n in crowded.names()]
    assert len(set(colours)) == 4 and colours[0] == PALETTE[0] and colours[1] == PALETTE[9]
