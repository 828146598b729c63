"""Static renderings: deterministic, safe from notebook math typesetting, total, and in distinct colours."""

from __future__ import annotations

import re
import typing

import pytest
from markdown_it import MarkdownIt

import agentnb.views.chat as render
from agentnb.apps.demo import NEWSROOM_TASK, newsroom
from agentnb.core.events import (
    Approval,
    ApprovalRequested,
    ContextSummary,
    ErrorEvent,
    Event,
    Handoff,
    PlanCreated,
    Replanned,
    SpeakerSelected,
    StepFailed,
    StepFinished,
    StepStarted,
    Stop,
    TextMessage,
    TokenDelta,
    ToolCall,
    ToolCalls,
    ToolProgress,
    ToolResult,
    Usage,
)
from agentnb.core.plan import Plan, Step
from agentnb.views.chat import (
    PALETTE,
    Colors,
    forget_colors,
    html_tool,
    markdown_event,
    render_html,
    render_markdown,
    render_text,
    result_mimebundle,
)
from agentnb.views.markup import DOLLAR

EVENTS = [
    TextMessage(source="user", content="Budget?"),
    ToolCalls(source="checker", calls=[ToolCall(id="c1", name="search", arguments='{"q": "budget"}')]),
    ToolResult(source="checker", call_id="c1", name="search", content="grant $3.9 million of $4.5 million"),
    TextMessage(source="checker", content="It costs $4.5 million, $3.9 million from the state."),
]
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
PLAN = Plan(
    goal="Write the story",
    steps=(
        Step(id="research", description="Find the facts", assignee="fact_checker"),
        Step(id="draft", description="Write it", assignee="writer", depends_on=("research",)),
    ),
)
ONE_OF_EACH: list[Event] = [
    TextMessage(source="user", content="Write about the *park*.", started_at=1.0, first_token_at=2.0),
    PlanCreated(source="planner", plan=PLAN),
    StepStarted(source="team", step_id="research", assignee="fact_checker"),
    SpeakerSelected(source="team", speaker="fact_checker", turn=1, reason="plan step research"),
    TokenDelta(source="fact_checker", text="Check"),
    ToolCalls(source="fact_checker", calls=[ToolCall(id="c1", name="run_code", arguments='{"code": "f()"}')]),
    ToolProgress(source="fact_checker", call_id="c1", name="run_code", progress=1, total=2, message="half"),
    ToolResult(
        source="fact_checker",
        call_id="c1",
        name="run_code",
        content="done",
        duration=1.5,
        display=[{"image/png": PNG, "text/plain": "<Figure>"}, {"text/plain": "mean = 4.5"}],
    ),
    StepFinished(source="team", step_id="research", assignee="fact_checker", output="3 facts", duration=2.0),
    StepStarted(source="team", step_id="draft", assignee="writer", attempt=2),
    StepFailed(source="team", step_id="draft", assignee="writer", error="too long", retrying=False),
    Replanned(source="planner", plan=PLAN, revision=1, reason="the draft failed", kept=["research"]),
    ApprovalRequested(source="writer", call_id="c2", tool="publish", arguments='{"title": "Park"}'),
    Approval(source="alice", call_id="c2", tool="publish", approved=True, arguments='{"title": "Park"}'),
    Handoff(source="writer", target="editor"),
    ErrorEvent(source="writer", content="reply was not valid JSON", started_at=3.0),
    ContextSummary(source="writer", content="they agreed on the park", covers=4),
    TextMessage(source="editor", content="APPROVED", usage=Usage(prompt_tokens=3, completion_tokens=1)),
    Stop(source="team", reason="text 'APPROVED' found"),
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


# ----- every event kind, every format ----------------------------------------------------------------


def test_one_of_each_event_kind_covers_the_whole_event_union():
    kinds = set(typing.get_args(Event))
    assert {type(e) for e in ONE_OF_EACH} == kinds


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_every_event_kind_renders_in_every_format(fmt: str):
    out = {"text": render_text, "markdown": render_markdown, "html": render_html}[fmt](ONE_OF_EACH)
    assert "agentnb-raw" not in out and "TextMessage(" not in out  # no piece fell back
    for expected in [
        "park",  # message
        "run_code",  # tool call
        "mean = 4.5",  # a tool's text output
        "research",  # plan and steps
        "draft",
        "attempt 2",
        "too long",
        "revision 1",
        "edited arguments",  # the human edited the call
        "Park",
        "editor",  # handoff
        "not valid JSON",  # feedback error
        "APPROVED",
        "summarized its older context",
    ]:
        assert expected in out, expected


def test_timing_fields_never_show_in_static_output():
    timings = ("at", "started_at", "first_token_at", "duration")
    shifted = [
        e.model_copy(update={k: v + 500 for k in timings if (v := getattr(e, k, None))}) for e in ONE_OF_EACH
    ]
    for rendering in (render_text, render_markdown, render_html):
        assert rendering(ONE_OF_EACH) == rendering(shifted)
    assert "1.50 s" not in render_html(ONE_OF_EACH) and "2.0" not in render_text(ONE_OF_EACH)


def test_images_from_code_are_data_uris_and_html_output_is_never_raw():
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    result = ToolResult(
        source="a",
        call_id="c",
        name="run",
        content="ok",
        display=[
            {"image/png": PNG},
            {"image/jpeg": "/9j/4AAQSkZJRg=="},
            {"image/svg+xml": svg},
            {"text/html": "<script>alert(2)</script><b>table</b>", "text/plain": "a table"},
            {"text/html": "<iframe src='https://evil.example'></iframe>"},
        ],
    )
    out = html_tool(ToolCall(id="c", name="run"), result)
    assert f'<img class="agentnb-output" src="data:image/png;base64,{PNG}"' in out
    assert 'src="data:image/jpeg;base64,/9j/4AAQSkZJRg=="' in out
    assert "data:image/svg+xml;base64," in out and "<svg" not in out  # SVG only as an image
    assert "<script" not in out and "<iframe" not in out and "<b>table</b>" not in out
    assert "a table" in out and "text/html output not shown" in out
    assert out.index("</details>") < out.index("<img")  # plots show without opening the panel


def test_edited_approval_shows_that_the_human_changed_the_call():
    event = Approval(source="alice", call_id="c", tool="send", approved=True, arguments='{"to": "ed"}')
    edited = "alice approved send with edited arguments <code>{&quot;to&quot;: &quot;ed&quot;}</code>"
    assert edited in render_html([event])
    assert "alice approved send with edited arguments" in render_text([event])
    plain = Approval(source="alice", call_id="c", tool="send", approved=False, comment="no")
    assert "✗ alice rejected send: no" in render_text([plain]) and "edited" not in render_text([plain])


# ----- markdown: data is literal, dollars are never math ----------------------------------------------


def test_markdown_shows_tool_data_literally_and_never_as_math():
    events = [
        ToolCalls(source="checker", calls=[ToolCall(id="c", name="search", arguments='{"q": "*cost* $"}')]),
        ToolResult(source="c", call_id="c", name="search", content="grant $3.9 million of $4.5 <b>x</b>"),
        ErrorEvent(source="checker", content="bad `reply` with **stars** and $5"),
    ]
    markdown = render_markdown(events)
    assert "`grant $3.9 million of $4.5 <b>x</b>`" in markdown  # a code span: verbatim everywhere
    assert '`search({"q": "*cost* $"})`' in markdown and "``bad `reply` with **stars** and $5``" in markdown
    html = MarkdownIt("commonmark").render(markdown)
    assert "<b>" not in html and "<em>" not in html and "<strong>" not in html


def test_markdown_keeps_agents_formatting_but_not_their_dollars_as_math():
    markdown = markdown_event(TextMessage(source="writer", content="**Budget**: $3.9 million of $4.5 `$x`"))
    assert markdown == f"**writer**\n\n> **Budget**: {DOLLAR}3.9 million of {DOLLAR}4.5 `$x`"


def test_markdown_of_a_result_escapes_its_stop_line_and_says_it_once():
    stop = Stop(source="team", reason="text '$DONE' found")
    result = _Result(messages=[*EVENTS, stop], stop_reason=stop.reason)
    markdown = result_mimebundle(result)["text/markdown"]
    assert f"*Stopped: text '{DOLLAR}DONE' found*" in markdown
    assert markdown.count("DONE") == 1


# ----- never raises ----------------------------------------------------------------------------------

DEEP = '{"a": ' * 1000 + "1" + "}" * 1000
HOSTILE: list[Event] = [
    TextMessage(source="user", content="go"),
    ToolCalls(
        source="w",
        calls=[ToolCall(id="d", name="f", arguments=DEEP), ToolCall(id="l", name="g", arguments="[" * 10**5)],
    ),
    ToolResult(source="w", call_id="d", name="f", content="x" * 5_000_000),
    TextMessage(source="w", content="*" * 100_000),
    TextMessage(source="w", content=">" * 100_000),
    TextMessage(source="w\ud800", content="half a surrogate \udc00 and [" * 2_000),
    ErrorEvent(source="w", content="\ud83d" * 10),
]


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_hostile_content_renders_without_raising(fmt: str):
    rendering = {"text": render_text, "markdown": render_markdown, "html": render_html}[fmt]
    out = rendering(HOSTILE)
    out.encode("utf-8")  # printable and sendable: surrogates were repaired
    assert "half a surrogate \ufffd" in out and len(out) < 2_000_000  # huge content is truncated


def test_deeply_nested_tool_arguments_render_as_text():
    out = html_tool(ToolCall(id="d", name="f", arguments=DEEP), None)
    assert out.startswith('<div class="agentnb-tool-item') and "{&quot;a&quot;: {&quot;a&quot;:" in out


def test_a_piece_that_fails_falls_back_to_escaped_text_and_the_rest_renders(monkeypatch: pytest.MonkeyPatch):
    def broken(event: Event) -> str:
        raise RuntimeError("bug")

    for piece in ("html", "markdown", "text"):  # where each format takes its notes from
        monkeypatch.setattr(f"agentnb.views.chat.{piece}.note_text", broken)
    step = StepStarted(source="a<script>", step_id="s", assignee="b")
    events = [TextMessage(source="a", content="hello"), step]
    html = render_html(events)
    assert "hello</p>" in html and 'class="agentnb-raw' in html and "<script>" not in html
    assert "StepStarted(source=a&lt;script&gt;" in html and "step_id=s" in html
    assert "StepStarted(" in render_text(events) and "`StepStarted(" in render_markdown(events)


# ----- colours ---------------------------------------------------------------------------------------


def _colours(html: str) -> dict[str, str]:
    avatar = r'data-agent="([^"]+)".*?class="agentnb-avatar" style="[^"]*background:(#\w+)'
    return dict(re.findall(avatar, html))


def test_newsroom_agents_get_four_different_colours_the_same_every_run():
    runs = []
    for _ in range(2):
        team = newsroom("scripted:newsroom")
        result = team.run_sync(NEWSROOM_TASK)
        participants = [p.name for p in team.participants]
        runs.append(_colours(render_html(result.messages, participants=participants)))
    colours = [runs[0][name] for name in ("writer", "fact_checker", "editor", "publisher")]
    assert len(set(colours)) == 4
    assert colours == PALETTE[:4]  # team order gives the slots
    assert runs[0] == runs[1] and runs[0]["user"] == render.USER_COLOR


def test_without_a_team_order_colours_follow_first_appearance():
    events = [TextMessage(source=name, content="hi") for name in ("user", "zed", "amy", "zed", "bo")]
    assert _colours(render_html(events)) == {
        "user": render.USER_COLOR,
        "zed": PALETTE[0],
        "amy": PALETTE[1],
        "bo": PALETTE[2],
    }
    again = render_html(events, participants=["bo", "amy"])  # later in the session: same colours
    assert _colours(again) == _colours(render_html(events))
    forget_colors()  # a fresh kernel
    nested = render_html(events, participants=["bo", "amy"])  # names outside the team come next
    assert _colours(nested) == {
        "user": render.USER_COLOR,
        "bo": PALETTE[0],
        "amy": PALETTE[1],
        "zed": PALETTE[2],
    }


def test_colours_wrap_around_only_beyond_the_palette():
    colors = Colors([f"agent{i}" for i in range(len(PALETTE) + 1)])
    assert [colors.html(f"agent{i}") for i in range(len(PALETTE))] == PALETTE
    assert colors.html(f"agent{len(PALETTE)}") == PALETTE[0]


def test_the_terminal_uses_the_same_colour_assignment():
    events = [TextMessage(source=name, content="hi") for name in ("writer", "editor", "user")]
    text = render_text(events, color=True, participants=["editor", "writer"])
    codes = dict(re.findall(r"\033\[([\d;]+)m(\w+):", text))
    assert codes == {
        f"1;38;5;{render.ANSI[1]}": "writer",
        f"1;38;5;{render.ANSI[0]}": "editor",
        "1;90": "user",
    }


def _contrast(a: str, b: str) -> float:
    def luminance(color: str) -> float:
        channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_colour_reads_on_light_and_dark_backgrounds():
    assert len(set(PALETTE)) == len(PALETTE) >= 10
    for color in PALETTE:
        assert _contrast(color, "#ffffff") >= 3 and _contrast(color, "#1e1e1e") >= 3, color


class _Result:
    """What `result_mimebundle` reads from a `TeamResult` (``participants`` included)."""

    def __init__(self, messages: list[Event], stop_reason: str = "", participants: list[str] | None = None):
        self.messages = messages
        self.stop_reason = stop_reason
        self.participants = participants
        self.turns = 1
        self.usage = Usage()


def test_a_results_display_uses_its_team_order_for_colours():
    events = [TextMessage(source=name, content="hi") for name in ("editor", "writer")]
    bundle = result_mimebundle(_Result(events, participants=["writer", "editor"]))
    assert _colours(bundle["text/html"]) == {"writer": PALETTE[0], "editor": PALETTE[1]}
