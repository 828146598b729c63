"""The plan board: step status, assignees, dependencies and overlap, revision by revision, in every format."""

from __future__ import annotations

import asyncio
import re

import pytest

from agentnb import Agent, Team
from agentnb.core.events import (
    PlanCreated,
    Replanned,
    StepFailed,
    StepFinished,
    StepStarted,
    Stop,
    TextMessage,
)
from agentnb.core.plan import Plan, Step
from agentnb.models import FunctionModel
from agentnb.views import PlanBoard, plan_view
from agentnb.views.chat import PALETTE, render_html, render_markdown, render_text, result_mimebundle
from agentnb.views.plan import plan_boards


def steps(*specs: tuple[str, str, str, tuple[str, ...]]) -> dict[str, object]:
    return {
        "steps": [
            {"id": i, "description": d, "assignee": a, "depends_on": list(deps)} for i, d, a, deps in specs
        ]
    }


TRIP = steps(
    ("flights", "find flights", "scout", ()),
    ("hotels", "find hotels", "scout", ()),
    ("food", "find food", "scout", ()),
    ("itinerary", "combine everything", "writer", ("flights", "hotels", "food")),
)
REVISED = steps(
    ("hotels2", "find hotels another way", "writer", ()),
    ("itinerary", "combine", "writer", ("flights", "hotels2", "food")),
)


def trip_team(*, fail: bool) -> Team:
    async def reply(request):  # type: ignore[no-untyped-def]
        content = request.messages[-1]["content"]
        if request.agent == "planner":
            return {"json": REVISED if "failed" in content else TRIP}
        step_id = content.splitlines()[0].split("(")[1].split(")")[0]
        await asyncio.sleep(0.01)
        if fail and step_id == "hotels":
            raise ValueError("the hotel site is down")
        return f"done {step_id}"

    return Team([Agent("scout"), Agent("writer")], mode="plan", model=FunctionModel(reply), step_retries=1)


@pytest.fixture(scope="module")
def replanned() -> object:
    return trip_team(fail=True).run_sync("Plan a trip")


def bars(html: str, revision: int = 0) -> dict[str, tuple[float, float]]:
    """Each step's bar (left, width in percent) in one revision's column."""
    column = html.split(f'data-revision="{revision}"')[1].split('data-revision="')[0]
    rows = re.findall(r'data-step="([^"]+)".*?left:([\d.]+)%;width:([\d.]+)%', column)
    return {step: (float(left), float(width)) for step, left, width in rows}


def statuses(html: str, revision: int) -> dict[str, str]:
    column = html.split(f'data-revision="{revision}"')[1].split('data-revision="')[0]
    return dict(re.findall(r'data-step="([^"]+)" data-status="([^"]+)"', column))


def test_parallel_steps_overlap_on_the_event_order_axis_and_dependents_start_after_them() -> None:
    result = trip_team(fail=False).run_sync("Plan a trip")
    shown = bars(plan_view(result).html())
    searches = [shown[s] for s in ("flights", "hotels", "food")]
    latest_start = max(left for left, _ in searches)
    assert all(left + width > latest_start for left, width in searches)  # all three run at once
    assert shown["itinerary"][0] >= max(left + width for left, width in searches)


def test_a_replan_shows_the_revisions_side_by_side_with_final_status_and_kept_steps(replanned) -> None:
    html = plan_view(replanned).html()
    assert html.count('class="agentnb-plan-revision"') == 2 and "flex-wrap:wrap" in html
    assert statuses(html, 0) == {
        "flights": "done",
        "hotels": "failed",
        "food": "done",
        "itinerary": "replaced",
    }
    assert statuses(html, 1) == {"flights": "done", "food": "done", "hotels2": "done", "itinerary": "done"}
    revised = html.split('data-revision="1"')[1]
    assert revised.count("data-kept") == 2 and "kept flights, food" in revised
    assert "failed after 2 attempts" in html and "the hotel site is down" in html
    assert "← flights, hotels, food" in html and "← flights, hotels2, food" in html  # dependencies


def test_labels_and_statuses_wrap_instead_of_being_cut(replanned) -> None:
    """A narrow column (two revisions side by side) showed "failed after 2 a…" and "concier…"."""
    rows = re.findall(r'<div class="agentnb-plan-step".*?</div>', plan_view(replanned).html())
    assert rows
    for row in rows:
        assert "text-overflow:ellipsis" not in row and "white-space:nowrap" not in row
        assert row.count("overflow-wrap:anywhere") == 2  # the label and the status


def test_assignees_have_their_team_colours(replanned) -> None:
    html = plan_view(replanned).html()
    assert f'<span style="color:{PALETTE[0]}">scout</span>' in html
    assert f'<span style="color:{PALETTE[1]}">writer</span>' in html


def test_the_static_board_is_the_same_on_every_run_and_holds_no_durations(replanned) -> None:
    again = trip_team(fail=True).run_sync("Plan a trip")
    for fmt in ("html", "markdown", "text"):
        assert getattr(plan_view(replanned), fmt)() == getattr(plan_view(again), fmt)()
    assert not re.search(r"\d s\b", plan_view(replanned).html())


def test_the_live_board_places_bars_by_clock_and_shows_durations() -> None:
    plan = Plan(
        steps=[Step(id="a", description="x", assignee="w"), Step(id="b", description="y", assignee="w")]
    )
    board = PlanBoard(PlanCreated(source="planner", plan=plan, at=100.0))
    board.feed(StepStarted(source="t", step_id="a", assignee="w", at=100.0))
    board.feed(StepStarted(source="t", step_id="b", assignee="w", at=102.0))
    board.feed(StepFinished(source="t", step_id="a", assignee="w", output="ok", at=104.0))
    live = board.html(times=True, now=110.0)
    assert "done · 4.0 s" in live and "running · 8.0 s" in live and "time →" in live
    assert bars(live) == {"a": (0.0, 40.0), "b": (20.0, 80.0)}
    assert board.running() and "event order →" in board.html()
    assert board.feed(Stop(source="t", reason="stopped by the user", at=111.0))
    assert statuses(board.html(), 0) == {"a": "done", "b": "stopped"} and not board.running()


def test_a_retry_keeps_one_bar_and_says_which_attempt_failed() -> None:
    plan = Plan(steps=[Step(id="a", description="x", assignee="w")])
    board = PlanBoard(PlanCreated(source="p", plan=plan))
    board.feed(StepStarted(source="t", step_id="a", assignee="w"))
    board.feed(StepFailed(source="t", step_id="a", assignee="w", error="boom", retrying=True))
    assert "retrying (attempt 1 failed)" in board.text()
    board.feed(StepStarted(source="t", step_id="a", assignee="w", attempt=2))
    assert "running (attempt 2)" in board.text()
    assert bars(board.html())["a"] == (33.33, 66.67)  # from the first attempt (event 1 of 3) to now


def test_the_result_of_a_plan_run_shows_the_board_where_the_plan_was_created(replanned) -> None:
    bundle = result_mimebundle(replanned)
    html = bundle["text/html"]
    created = next(i for i, e in enumerate(replanned.messages) if isinstance(e, PlanCreated))
    assert html.count('class="agentnb-plan-board ') == 1
    assert html.index('class="agentnb-plan-board ') > html.index(
        f"#{replanned.start + created - 1}<"
    )  # after the planner
    assert "| ✗ | hotels | scout |  | failed after 2 attempts |" in bundle["text/markdown"]
    assert "✗ hotels     scout — failed after 2 attempts: the hotel site is down" in bundle["text/plain"]
    assert "plan by planner, 4 steps" not in html  # the board replaces the one-line note
    assert "plan revised by planner (revision 1)" in html  # where and why it was revised stays in the chat


def test_each_plan_in_a_transcript_gets_its_own_board() -> None:
    one = Plan(steps=[Step(id="a", description="x", assignee="w")])
    two = Plan(steps=[Step(id="b", description="y", assignee="w")])
    events = [
        PlanCreated(source="p", plan=one),
        StepStarted(source="t", step_id="a", assignee="w"),
        StepFinished(source="t", step_id="a", assignee="w", output="ok"),
        Stop(source="t", reason="done"),
        TextMessage(source="user", content="again"),
        PlanCreated(source="p", plan=two),
    ]
    boards = plan_boards(events)
    assert sorted(boards) == [0, 5]
    assert statuses(boards[0].html(), 0) == {"a": "done"} and statuses(boards[5].html(), 0) == {
        "b": "waiting"
    }
    assert render_html(events).count('class="agentnb-plan-board ') == 2
    assert render_text(events).count("☰ plan by p") == 2 and render_markdown(events).count("| step |") == 2


def test_a_replan_that_keeps_nothing_marks_the_old_waiting_steps_replanned() -> None:
    old = Plan(
        steps=[Step(id="a", description="x", assignee="w"), Step(id="b", description="y", assignee="w")]
    )
    new = Plan(steps=[Step(id="c", description="z", assignee="w")])
    board = PlanBoard(PlanCreated(source="p", plan=old))
    board.feed(StepStarted(source="t", step_id="a", assignee="w"))
    board.feed(StepFailed(source="t", step_id="a", assignee="w", error="no"))
    board.feed(Replanned(source="p", plan=new, revision=1, reason="step 'a' failed: no", failed="a"))
    assert statuses(board.html(), 0) == {"a": "failed", "b": "replaced"}
    assert "– b  w — replanned" in board.text() and "☰ revision 1 by p" in board.text()


def test_plan_view_says_what_it_needs() -> None:
    with pytest.raises(ValueError, match=r"no plan .*mode='plan'"):
        plan_view([TextMessage(source="user", content="hi")])
    with pytest.raises(TypeError, match="expected a TeamResult or a list of events, got int"):
        plan_view(3)
