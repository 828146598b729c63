"""The chat widget without a front end: feed events, check what it would show."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from agentnb.core.events import (
    Handoff,
    SpeakerSelected,
    Stop,
    TextMessage,
    TokenDelta,
    ToolCall,
    ToolCalls,
    ToolProgress,
    ToolResult,
    Usage,
)
from agentnb.notebook.bridge import Ask
from agentnb.notebook.widget import ChatWidget
from agentnb.views.chat import html_color


class Clock:
    """A hand-driven clock, so rate limits are tested without sleeping."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def values(chat: ChatWidget) -> list[str]:
    return [child.value for child in chat.thread.children]


def visible(widget: Any) -> bool:
    return widget.layout.display != "none"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def chat(clock: Clock) -> Iterator[ChatWidget]:
    stops: list[str] = []
    widget = ChatWidget(
        "agentnb · team t", max_turns=6, model="scripted:x", on_stop=stops.append, clock=clock
    )
    widget.stops = stops  # type: ignore[attr-defined]
    yield widget
    widget.dispose()


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in a thread, like the team's worker loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


def test_each_message_gets_a_bubble_with_name_colour_and_initial(chat: ChatWidget) -> None:
    chat.feed(TextMessage(source="user", content="Task"))
    chat.feed(TextMessage(source="writer", content="**Bold** draft\n\n- one\n- two"))
    chat.feed(TextMessage(source="editor", content="OK"))
    chat.flush(force=True)
    bubbles = values(chat)
    assert len(bubbles) == 3 and all('class="agentnb-msg ' in b for b in bubbles)
    writer, editor = bubbles[1], bubbles[2]
    writer_colour, editor_colour = (
        html_color("writer", ["writer", "editor"]),
        html_color("editor", ["writer", "editor"]),
    )
    assert 'data-agent="writer"' in writer and writer_colour in writer and ">W</div>" in writer
    assert "<strong>Bold</strong>" in writer and "<li>one</li>" in writer  # markdown rendered
    assert writer_colour != editor_colour and editor_colour in editor and writer_colour not in editor


def test_tokens_grow_one_bubble_and_the_final_message_replaces_it(chat: ChatWidget, clock: Clock) -> None:
    for piece in ("Hello ", "wide ", "world"):
        chat.feed(TokenDelta(source="writer", text=piece))
    chat.flush(force=True)
    (streaming,) = values(chat)
    assert "Hello wide world" in streaming and "agentnb-cursor" in streaming
    chat.feed(TextMessage(source="writer", content="Hello wide world!"))
    clock.now += 1
    chat.flush()
    (final,) = values(chat)
    assert "Hello wide world!" in final and "agentnb-cursor" not in final


def test_redraws_are_coalesced_to_the_rate_limit(chat: ChatWidget, clock: Clock) -> None:
    chat.flush(force=True)
    updates: list[str] = []
    for i in range(2000):  # 2000 tokens over 2 simulated seconds
        chat.feed(TokenDelta(source="writer", text=f"t{i} "))
        if i == 0:
            chat.flush(force=True)
            chat.thread.children[0].observe(lambda change: updates.append(change["new"]), "value")
        clock.now += 0.001
        chat.flush()
    assert 38 <= chat.flushes <= 42  # 20 a second, plus the forced ones
    assert len(updates) <= 41
    chat.flush(force=True)
    text = values(chat)[0]
    assert " ".join(f"t{i}" for i in range(2000)) in text  # no token lost


def test_tool_call_is_a_panel_with_arguments_status_result_and_duration(chat: ChatWidget) -> None:
    call = ToolCall(id="c1", name="search", arguments='{"query": "park"}')
    chat.feed(ToolCalls(source="checker", calls=[call]))
    chat.flush(force=True)
    (panel,) = values(chat)
    assert 'class="agentnb-tool ' in panel and 'data-status="running"' in panel and "park" in panel
    chat.feed(ToolResult(source="checker", call_id="c1", name="search", content="3 hits", duration=0.25))
    chat.flush(force=True)
    (panel,) = values(chat)
    assert 'data-status="ok"' in panel and "3 hits" in panel and "0.25 s" in panel
    chat.feed(ToolCalls(source="checker", calls=[ToolCall(id="c2", name="search")]))
    chat.feed(ToolResult(source="checker", call_id="c2", name="search", content="Error: boom", is_error=True))
    chat.flush(force=True)
    assert 'data-status="error"' in values(chat)[1]


def test_a_running_calls_progress_shows_in_its_panel_until_its_result(chat: ChatWidget) -> None:
    """An MCP server's progress notifications update the call's panel, not a note line each."""
    chat.feed(ToolCalls(source="checker", calls=[ToolCall(id="c1", name="crawl")]))
    for done in (1, 2):
        chat.feed(
            ToolProgress(
                source="checker", call_id="c1", name="crawl", progress=done, total=4, message="pages"
            )
        )
    chat.flush(force=True)
    (panel,) = values(chat)
    assert 'data-status="running"' in panel and "running · 2 of 4: pages" in panel and "1 of 4" not in panel
    chat.feed(ToolResult(source="checker", call_id="c1", name="crawl", content="done", duration=0.5))
    chat.flush(force=True)
    (panel,) = values(chat)
    assert 'data-status="ok"' in panel and "of 4" not in panel and "0.50 s" in panel


def test_speaker_choices_handoffs_and_stop_are_shown(chat: ChatWidget) -> None:
    chat.feed(SpeakerSelected(source="t", speaker="writer", turn=3, reason="round robin"))
    chat.feed(Handoff(source="writer", target="editor"))
    chat.feed(Stop(source="t", reason="max turns reached (6)"))
    chat.flush(force=True)
    speaker, handoff, stop = values(chat)
    assert "agentnb-speaker" in speaker and "turn 3" in speaker and "writer" in speaker
    assert "agentnb-handoff" in handoff and "editor" in handoff
    assert "agentnb-stop" in stop and "max turns reached" in stop


def test_status_line_shows_turn_tokens_elapsed_and_model(chat: ChatWidget, clock: Clock) -> None:
    chat.feed(SpeakerSelected(source="t", speaker="writer", turn=2))
    chat.feed(
        TextMessage(source="writer", content="x", usage=Usage(prompt_tokens=1000, completion_tokens=234))
    )
    clock.now += 3.25
    chat.flush(force=True)
    status = chat.status_line.value
    assert "turn 2 of 6" in status and "1,234 tokens" in status and "3 s" in status and "scripted:x" in status


def test_status_line_counts_tokens_while_they_stream_and_after_a_stop(chat: ChatWidget, clock: Clock) -> None:
    for piece in ("Once ", "upon ", "a "):
        chat.feed(TokenDelta(source="writer", text=piece))
    chat.flush(force=True)
    assert "3 tokens" in chat.status_line.value  # counted while streaming, one per piece
    chat.feed(
        TextMessage(
            source="writer", content="Once upon a", usage=Usage(prompt_tokens=40, completion_tokens=3)
        )
    )
    chat.flush(force=True)
    assert "43 tokens" in chat.status_line.value  # the model's count replaces the estimate
    for piece in ("time ", "there "):
        chat.feed(TokenDelta(source="editor", text=piece))
    chat.feed(Stop(source="t", reason="Stop button pressed"))
    chat.flush(force=True)
    assert "45 tokens" in chat.status_line.value  # a reply cut off by Stop still counts


def test_stop_button_asks_the_team_to_stop(chat: ChatWidget) -> None:
    chat.stop_button.click()
    assert chat.stops == ["Stop button pressed"]  # type: ignore[attr-defined]
    assert chat.stop_button.disabled


def test_input_box_answers_a_humans_turn(chat: ChatWidget, loop: asyncio.AbstractEventLoop) -> None:
    ask = Ask(human="alice", prompt="alice, your turn:")
    ask._future = asyncio.run_coroutine_threadsafe(_future(), loop).result()
    assert not visible(chat.asking)
    chat.ask(ask)
    assert (
        visible(chat.asking) and visible(chat.asking.send_button) and not visible(chat.asking.approve_button)
    )
    assert "alice, your turn:" in chat.asking.prompt.value
    chat.asking.text.value = "Ship it"
    chat.asking.send_button.click()
    assert asyncio.run_coroutine_threadsafe(_result(ask._future), loop).result(timeout=5) == "Ship it"
    assert not visible(chat.asking)


@pytest.mark.parametrize(
    ("button", "expected"), [("approve_button", (True, "fine")), ("reject_button", (False, "fine"))]
)
def test_approval_buttons_answer_an_approval_request(
    chat: ChatWidget, loop: asyncio.AbstractEventLoop, button: str, expected: tuple[bool, str]
) -> None:
    ask = Ask(human="alice", prompt="w wants to run send()", call=ToolCall(id="1", name="send"), agent="w")
    ask._future = asyncio.run_coroutine_threadsafe(_future(), loop).result()
    chat.ask(ask)
    assert (
        visible(chat.asking.approve_button)
        and visible(chat.asking.reject_button)
        and not visible(chat.asking.send_button)
    )
    chat.asking.text.value = " fine "
    getattr(chat.asking, button).click()
    assert asyncio.run_coroutine_threadsafe(_result(ask._future), loop).result(timeout=5) == expected


def test_questions_wait_their_turn(chat: ChatWidget, loop: asyncio.AbstractEventLoop) -> None:
    first, second = Ask(human="a", prompt="first?"), Ask(human="a", prompt="second?")
    for ask in (first, second):
        ask._future = asyncio.run_coroutine_threadsafe(_future(), loop).result()
        chat.ask(ask)
    assert "first?" in chat.asking.prompt.value
    chat.asking.send_button.click()
    assert "second?" in chat.asking.prompt.value and visible(chat.asking)


def test_static_bundle_is_deterministic_and_has_no_widget_ids(clock: Clock) -> None:
    bundles = []
    for _ in range(2):
        chat = ChatWidget("agentnb · team t", clock=clock)
        chat.feed(TextMessage(source="writer", content="Draft", at=1.0))
        chat.feed(ToolCalls(source="checker", calls=[ToolCall(id="c", name="f", arguments="{}")], at=2.0))
        chat.feed(ToolResult(source="checker", call_id="c", name="f", content="ok", duration=0.123))
        bundles.append(chat.static_bundle())
        full = chat._repr_mimebundle_()
        chat.dispose()
    assert bundles[0] == bundles[1]
    assert set(bundles[0]) == {"text/plain", "text/markdown", "text/html"}
    assert "agentnb-msg" in bundles[0]["text/html"] and "agentnb-tool" in bundles[0]["text/html"]
    assert "0.12" not in bundles[0]["text/html"]  # durations vary: only the live view shows them
    assert "<script" not in bundles[0]["text/html"]
    assert full["text/html"] == bundles[0]["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in full


def test_finish_hides_the_controls(chat: ChatWidget) -> None:
    chat.finish()
    assert not visible(chat.stop_button) and not visible(chat.asking)
    assert "finished" in chat.status_line.value


async def _future() -> asyncio.Future[Any]:
    return asyncio.get_running_loop().create_future()


async def _result(future: asyncio.Future[Any]) -> Any:
    return await asyncio.wait_for(future, 5)


def test_a_streamed_reply_renders_finished_blocks_as_markdown_and_the_rest_as_text():
    import html

    from agentnb.views.chat.live import StreamingReply
    from agentnb.views.markup import settled_end, to_html

    text = "Intro line\n\n- one\n- two\n\n```python\nx = 1\n\ny = 2\n```\n\nLast **bold** <b>words</b>"
    reply = StreamingReply("writer")
    for i in range(0, len(text), 3):  # arrive in small pieces, rendering after each
        reply.pieces.append(text[i : i + 3])
        partial = "".join(reply.pieces)
        shown = reply.html()
        done, rest = partial[: reply.settled], partial[reply.settled :]
        tail = f"<p>{html.escape(rest).replace(chr(10), '<br>')}</p>" if rest else ""
        assert f">{to_html(done)}{tail}<span" in shown  # markdown so far, then escaped text
    assert 0 < reply.settled < len(text)
    assert "&lt;b&gt;words&lt;/b&gt;" in reply.html()  # the open block never injects markup
    reply.content = text
    assert f">{to_html(text)}</div>" in reply.html()  # finished: all markdown
    assert settled_end("a\n\n```\ncode\n\nmore", 0) == 3  # never cuts inside a code block
