"""The live chat's views without a front end: the plan board, the X-ray toggle, a side widget, big style."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import ipywidgets as widgets
import pytest

from agentnb.core.events import (
    PlanCreated,
    Replanned,
    SpeakerSelected,
    StepFailed,
    StepFinished,
    StepStarted,
    TextMessage,
    TokenDelta,
)
from agentnb.core.plan import Plan, Step
from agentnb.notebook.widget import BOARD_INTERVAL, ChatWidget
from agentnb.views.chat import PRESENTATION

PLAN = Plan(
    steps=(
        Step(id="flights", description="find flights", assignee="scout"),
        Step(id="hotels", description="find hotels", assignee="scout"),
        Step(id="trip", description="combine", assignee="writer", depends_on=("flights", "hotels")),
    )
)
REVISED = Plan(
    steps=(
        Step(id="flights", description="find flights", assignee="scout"),
        Step(id="rooms", description="find rooms", assignee="writer"),
        Step(id="trip", description="combine", assignee="writer", depends_on=("flights", "rooms")),
    )
)


class Clocks:
    """A hand-driven monotonic clock (rate limits) and wall clock (events' times)."""

    def __init__(self) -> None:
        self.mono, self.wall = 10.0, 1000.0

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += seconds


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


def make_chat(clocks: Clocks, **options: Any) -> ChatWidget:
    return ChatWidget(
        "t",
        clock=lambda: clocks.mono,
        wall=lambda: clocks.wall,
        participants=["scout", "writer"],
        **options,
    )


@pytest.fixture
def chat(clocks: Clocks) -> Iterator[ChatWidget]:
    widget = make_chat(clocks)
    yield widget
    widget.dispose()


def values(chat: ChatWidget) -> list[str]:
    return [child.value for child in chat.thread.children]


def board_of(chat: ChatWidget) -> str:
    (board,) = [v for v in values(chat) if "agentnb-plan-board" in v]
    return board


def statuses(html: str, revision: int = 0) -> dict[str, str]:
    column = html.split(f'data-revision="{revision}"')[1].split('data-revision="')[0]
    return dict(re.findall(r'data-step="([^"]+)" data-status="([^"]+)"', column))


def visible(widget: Any) -> bool:
    return widget.layout.display != "none"


def test_the_board_appears_where_the_plan_is_created_and_follows_the_steps(chat: ChatWidget, clocks) -> None:
    chat.feed(TextMessage(source="user", content="Plan a trip"))
    chat.feed(PlanCreated(source="planner", plan=PLAN, at=clocks.wall))
    chat.flush(force=True)
    shown = values(chat)
    assert len(shown) == 2 and "agentnb-plan-board" in shown[1]  # under the task, no separate note
    assert statuses(board_of(chat)) == {"flights": "waiting", "hotels": "waiting", "trip": "waiting"}
    for step in ("flights", "hotels"):
        chat.feed(StepStarted(source="t", step_id=step, assignee="scout", at=clocks.wall))
    clocks.advance(2.0)
    chat.feed(StepFinished(source="t", step_id="flights", assignee="scout", output="ok", at=clocks.wall))
    chat.flush(force=True)
    board = board_of(chat)
    assert statuses(board) == {"flights": "done", "hotels": "running", "trip": "waiting"}
    assert "done · 2.0 s" in board and "running · 2.0 s" in board  # live: durations on a time axis
    saved = chat.static_bundle()["text/html"]
    assert "agentnb-plan-board" in saved and " s<" not in saved  # the saved board has no durations


def test_a_running_board_redraws_its_durations_at_most_once_a_second(chat: ChatWidget, clocks) -> None:
    chat.feed(PlanCreated(source="planner", plan=PLAN, at=clocks.wall))
    chat.feed(StepStarted(source="t", step_id="flights", assignee="scout", at=clocks.wall))
    chat.flush(force=True)
    item = next(child for child in chat.thread.children if "agentnb-plan-board" in child.value)
    redraws: list[str] = []
    item.observe(lambda change: redraws.append(change["new"]), "value")
    for _ in range(40):  # 40 redraws of the chat over 2 simulated seconds
        clocks.advance(0.05)
        chat.flush(force=True)
    assert 2 <= len(redraws) <= 2 / BOARD_INTERVAL + 1
    assert "running · 2.0 s" in redraws[-1]


def test_after_a_replan_the_revisions_show_side_by_side(chat: ChatWidget, clocks) -> None:
    chat.feed(PlanCreated(source="planner", plan=PLAN, at=clocks.wall))
    chat.feed(StepStarted(source="t", step_id="flights", assignee="scout", at=clocks.wall))
    chat.feed(StepFinished(source="t", step_id="flights", assignee="scout", output="ok", at=clocks.wall))
    chat.feed(StepStarted(source="t", step_id="hotels", assignee="scout", at=clocks.wall))
    chat.feed(StepFailed(source="t", step_id="hotels", assignee="scout", error="site down", at=clocks.wall))
    chat.feed(Replanned(source="planner", plan=REVISED, revision=1, reason="hotels failed", kept=["flights"]))
    chat.flush(force=True)
    board = board_of(chat)
    assert board.count('class="agentnb-plan-revision"') == 2
    assert statuses(board, 0) == {"flights": "done", "hotels": "failed", "trip": "replaced"}
    assert statuses(board, 1) == {"flights": "done", "rooms": "waiting", "trip": "waiting"}
    assert "kept flights" in board and any("plan revised by planner" in v for v in values(chat))


def test_parallel_steps_of_one_agent_stream_into_separate_bubbles(chat: ChatWidget) -> None:
    for piece, step in [
        ("Flights ", "flights"),
        ("Hotels ", "hotels"),
        ("found", "flights"),
        ("full", "hotels"),
    ]:
        chat.feed(TokenDelta(source="scout", text=piece, step=step))
    chat.flush(force=True)
    bubbles = values(chat)
    assert len(bubbles) == 2 and "Flights found" in bubbles[0] and "Hotels full" in bubbles[1]
    chat.feed(TextMessage(source="scout", content="Hotels full.", step="hotels"))
    chat.flush(force=True)
    assert "Hotels full." in values(chat)[1] and "agentnb-cursor" in values(chat)[0]


def test_the_xray_toggle_shows_the_chosen_speakers_context_each_turn(clocks) -> None:
    asked: list[str] = []

    def xray(event: SpeakerSelected) -> str:
        asked.append(event.speaker)
        return f"<b>context of {event.speaker}</b>"

    chat = make_chat(clocks, xray=xray, max_rate=0)
    assert visible(chat.xray_button) and not visible(chat.xray_panel)
    chat.feed(SpeakerSelected(source="t", speaker="scout", turn=1))
    chat.flush()
    assert asked == []  # nothing is computed while the X-ray is off
    chat.xray_button.value = True
    assert visible(chat.xray_panel) and "context of scout" in chat.xray_panel.value
    chat.feed(SpeakerSelected(source="t", speaker="writer", turn=2))
    chat.flush()
    chat.flush()
    assert "context of writer" in chat.xray_panel.value and asked == ["scout", "writer"]  # once per turn
    chat.xray_button.value = False
    assert not visible(chat.xray_panel)
    chat.finish()
    assert not visible(chat.xray_button)
    chat.dispose()


def test_without_an_xray_function_there_is_no_xray_button(chat: ChatWidget) -> None:
    assert not visible(chat.xray_button)


def test_a_failing_xray_shows_nothing_instead_of_breaking_the_chat(clocks) -> None:
    def broken(event: SpeakerSelected) -> str:
        raise RuntimeError("boom")

    chat = make_chat(clocks, xray=broken, max_rate=0)
    chat.feed(SpeakerSelected(source="t", speaker="scout", turn=1))
    chat.xray_button.value = True
    assert chat.xray_panel.value == "" and chat.flushes >= 1
    chat.dispose()


def test_a_widget_beside_the_chat_shares_a_wrapping_row(clocks) -> None:
    side = widgets.HTML("trace")
    chat = make_chat(clocks, beside=side)
    (row,) = chat.children
    column, shown = row.children
    assert shown is side and chat.thread in column.children
    assert row.layout.flex_flow == "row wrap" and side.layout.min_width == "320px"
    chat.dispose()


def test_the_big_style_draws_the_live_chat_and_its_static_copy_large(clocks) -> None:
    chat = make_chat(clocks, style=PRESENTATION)
    chat.feed(TextMessage(source="scout", content="Hello"))
    chat.flush(force=True)
    size = f"font-size:{PRESENTATION.text}px"
    assert size in values(chat)[0] and size in chat.static_bundle()["text/html"]
    assert f"font-size:{PRESENTATION.small}px" in chat.status_line.value
    normal = make_chat(clocks)
    normal.feed(TextMessage(source="scout", content="Hello"))
    normal.flush(force=True)
    assert "font-size:14px" in values(normal)[0]  # one chat's style leaves the others alone
    chat.dispose()
    normal.dispose()


def test_the_static_copy_numbers_messages_when_given_the_runs_start(chat: ChatWidget) -> None:
    chat.feed(TextMessage(source="user", content="go"))
    chat.feed(SpeakerSelected(source="t", speaker="scout", turn=1))
    chat.feed(TextMessage(source="scout", content="done"))
    bundle = chat.static_bundle(start=7)
    assert "scout: #9\ndone" in bundle["text/plain"] and ">#9</span>" in bundle["text/html"]
    assert "#9" not in chat.static_bundle()["text/plain"]
