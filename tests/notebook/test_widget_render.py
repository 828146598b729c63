"""The live chat draws with the saved transcript's markup and colours, whatever the events hold."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from agentnb.core.events import Event, TextMessage, TokenDelta, ToolCall, ToolCalls, ToolResult
from agentnb.notebook.widget import ChatWidget
from agentnb.views.chat import PALETTE, USER_COLOR, render_html
from tests.core.test_render import HOSTILE, ONE_OF_EACH


@pytest.fixture
def chat() -> Iterator[ChatWidget]:
    widget = ChatWidget("agentnb · team t", max_turns=4, participants=["writer", "editor"], max_rate=0)
    yield widget
    widget.dispose()


def values(chat: ChatWidget) -> list[str]:
    return [child.value for child in chat.thread.children]


def test_a_finished_message_has_the_same_markup_live_and_in_the_saved_transcript(chat: ChatWidget):
    reply = "## Draft\n\nIt costs **$4.5 million**:\n\n| part | $ |\n|---|---|\n| state | 3.9 |\n\n- a\n  - b"
    for i in range(0, len(reply), 4):
        chat.feed(TokenDelta(source="writer", text=reply[i : i + 4]))
        chat.flush()
    chat.feed(TextMessage(source="writer", content=reply))
    chat.feed(TextMessage(source="editor", content="Fine, *approved*."))  # arrives without streaming
    chat.flush(force=True)
    live = values(chat)
    saved = chat.static_bundle()["text/html"]
    assert len(live) == 2 and all(bubble in saved for bubble in live)
    assert all(bubble in render_html(chat.events, participants=["writer", "editor"]) for bubble in live)
    assert "agentnb-cursor" not in live[0] and "<table " in live[0]


def test_entries_carry_their_own_font_and_spacing_so_the_layout_does_not_jump(chat: ChatWidget):
    chat.feed(TextMessage(source="writer", content="one\n\ntwo"))
    chat.flush(force=True)
    (bubble,) = values(chat)
    root = re.match(r'<div class="agentnb-msg [^"]*"[^>]* style="([^"]*)"', bubble)[1]  # type: ignore[index]
    # A widget sets its own font size and a 28px line height, and does not collapse margins.
    assert "font-size:14px" in root and "line-height:1.45" in root
    assert "margin:0" in root and "padding:" in root
    assert chat.thread.children[0].layout.margin == "0"
    assert "jp-RenderedHTMLCommon" in chat.thread._dom_classes  # the saved output's styles, live too


def test_the_live_chat_colours_agents_in_team_order(chat: ChatWidget):
    for name in ("user", "editor", "writer", "guest"):
        chat.feed(TextMessage(source=name, content="hi"))
    chat.flush(force=True)
    avatar = re.compile(r'data-agent="([^"]+)".*?class="agentnb-avatar" style="[^"]*background:(#\w+)')
    colours = dict(avatar.search(bubble).groups() for bubble in values(chat))  # type: ignore[union-attr]
    assert colours == {"user": USER_COLOR, "writer": PALETTE[0], "editor": PALETTE[1], "guest": PALETTE[2]}
    assert dict(avatar.findall(chat.static_bundle()["text/html"])) == colours


def _feed_all(chat: ChatWidget, events: list[Event]) -> None:
    for event in events:
        if isinstance(event, TextMessage):  # stream it first, as a model would
            for i in range(0, min(len(event.content), 20_000), 5_000):
                chat.feed(TokenDelta(source=event.source, text=event.content[i : i + 5_000]))
                chat.flush()
        chat.feed(event)
        chat.flush()


def test_hostile_events_feed_and_flush_without_raising(chat: ChatWidget):
    _feed_all(chat, [*HOSTILE, TextMessage(source="w", content="x", model="model \ud800")])
    chat.flush(force=True)
    shown = [*values(chat), chat.status_line.value, *chat.static_bundle().values()]
    for value in shown:
        value.encode("utf-8")  # what the comm sends: no lone surrogates left
    assert any("half a surrogate \ufffd" in value for value in shown)


def test_every_event_kind_is_drawn_live(chat: ChatWidget):
    _feed_all(chat, ONE_OF_EACH)
    chat.flush(force=True)
    live = " ".join(values(chat))
    assert "agentnb-raw" not in live
    for expected in ("research", "attempt 2", "too long", "revision 1", "edited arguments", "not valid JSON"):
        assert expected in live, expected
    assert 'src="data:image/png;base64,' in live and "1.50 s" in live  # live panels show durations
    assert "1.50 s" not in chat.static_bundle()["text/html"]


def test_a_tool_panel_with_deeply_nested_arguments_is_drawn(chat: ChatWidget):
    deep = '{"a": ' * 1000 + "1" + "}" * 1000
    chat.feed(ToolCalls(source="writer", calls=[ToolCall(id="c", name="f", arguments=deep)]))
    chat.feed(ToolResult(source="writer", call_id="c", name="f", content="ok"))
    chat.flush(force=True)
    (panel,) = values(chat)
    assert 'data-status="ok"' in panel and "{&quot;a&quot;: {&quot;a&quot;:" in panel


def test_the_chats_markdown_shows_its_title_and_data_literally():
    chat = ChatWidget("agentnb · team $big_team")
    chat.feed(ToolCalls(source="w", calls=[ToolCall(id="c", name="f", arguments='{"cost": "$4 and $5"}')]))
    chat.feed(ToolResult(source="w", call_id="c", name="f", content="*$3.9 million*"))
    markdown = chat.static_bundle()["text/markdown"]
    chat.dispose()
    assert markdown.startswith("*agentnb · team <span>&#36;</span>big\\_team*")
    assert '`f({"cost": "$4 and $5"})`' in markdown and "`*$3.9 million*`" in markdown
