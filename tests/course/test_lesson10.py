"""Lesson 10's newsroom, collector and checks: right answers get a ✓, each kind of wrong answer its hint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agentnb import Agent, Team
from agentnb.course import check
from agentnb.course.collector import Collector
from agentnb.course.production import (
    BUDGET_TASK,
    KILL,
    TASK,
    checking_desk,
    desks,
    newsroom,
    search_archive,
    stand_in,
)
from agentnb.protocols.a2a import RemoteAgent, serve_in_background
from agentnb.protocols.examples.archive_server import ARCHIVE as SERVED
from agentnb.protocols.mcp import MCPServer
from agentnb.store import open_store
from agentnb.trace.otel import export_otlp

RIGHT = "The planning report says 3.9 million."

# ----- the newsroom -----------------------------------------------------------------------------


def test_the_newsroom_checks_the_size_then_waits_for_the_chief() -> None:
    team = newsroom()
    run = team.run_sync(TASK)
    said = [(m.source, m.content) for m in run.chat()]
    assert said[1] == (
        "writer",
        "The council approved the 12-acre riverside park, 7 votes to 2. Construction starts in June.",
    )
    assert said[2] == ("fact_checker", "REVISE: the archive says 14 acres.")
    assert run.stop_reason.startswith("awaiting approval of publish")
    [waiting] = team.pending()
    assert "14-acre" in waiting.call.arguments
    team.approve(waiting.call_id)
    assert team.run_sync().final == "PUBLISHED: The council approved the 14-acre riverside park, 7 votes to 2"


def test_the_local_search_finds_what_the_archive_server_serves() -> None:
    assert search_archive("riverside park") == [f"{e['date']} {e['text']}" for e in SERVED[:3]]


def test_a_power_cut_kills_the_process_and_the_run_goes_on_from_the_store(tmp_path: Path) -> None:
    runs = str(tmp_path / "runs.db")
    script = (
        "from agentnb.course.production import TASK, newsroom\n"
        f"newsroom(store={runs!r}, run_id='harmon', power_cut=True).run_sync(TASK)\n"
    )
    died = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert died.returncode == -KILL, died.stderr
    with open_store(runs) as store:
        [info] = store.runs()
    assert info.status == "cut off while running"
    team = Team.resume(runs, "harmon", desks())
    assert team.state().next == ("editor",)  # only the editor's call in flight was lost
    assert team.run_sync().stop_reason.startswith("awaiting approval of publish")


def test_the_chatty_writer_writes_the_same_story_with_more_words() -> None:
    plain, chatty = newsroom().run_sync(TASK), newsroom(chatty=True).run_sync(TASK)
    assert [m.source for m in plain.chat()] == [m.source for m in chatty.chat()]
    assert chatty.usage.total_tokens > 1.3 * plain.usage.total_tokens


def test_the_collector_keeps_what_an_otlp_exporter_sends() -> None:
    run = newsroom().run_sync(TASK)
    with Collector() as collector:
        sent = export_otlp(run, collector.endpoint, service_name="newsroom")
    assert len(collector.spans) == sent and collector.services() == {"newsroom": sent}
    tools = [s for s in collector.spans if s.name == "execute_tool search_archive"]
    assert len(tools) == 2 and tools[0].attributes["gen_ai.agent.name"] == "fact_checker"
    assert "stopped" in repr(collector)


# ----- 10.1: decide later, from the store -------------------------------------------------------


@pytest.fixture
def night(tmp_path: Path) -> tuple[str, str]:
    """The careless night desk's budget story, waiting in a store for the chief."""
    runs = str(tmp_path / "runs.db")
    team = newsroom(careless=True, store=runs)
    assert team.run_sync(BUDGET_TASK).stop_reason.startswith("awaiting approval of publish")
    return runs, team.run_id


def chief(night: tuple[str, str]) -> Team:
    return Team.resume(*night, desks(careless=True))


def test_rejecting_with_the_right_figure_then_approving_is_right(night) -> None:
    team = chief(night)
    team.reject(team.pending()[0].call_id, RIGHT)
    team.run_sync()
    [again] = team.pending()
    assert "3.9 million" in again.call.arguments
    chief(night).approve(again.call_id)  # a decision from yet another process
    chief(night).run_sync()
    verdict = check("10.1", night)
    assert verdict.ok, verdict.message


def test_approving_with_the_figure_edited_is_right(night) -> None:
    team = chief(night)
    fixed = {"headline": "The riverside park will cost 3.9 million", "story": "It will cost 3.9 million."}
    team.approve(team.pending()[0].call_id, edit=fixed)
    team.run_sync()
    verdict = check("10.1", night)
    assert verdict.ok, verdict.message


def decide(night, how: str):
    team = chief(night)
    call_id = team.pending()[0].call_id
    if how == "approve":
        team.approve(call_id)
    elif how == "story only":
        team.approve(call_id, edit={"story": "The riverside park will cost 3.9 million."})
    elif how == "silent":
        team.reject(call_id)
    elif how == "vague":
        team.reject(call_id, "That number looks wrong.")
    else:
        team.reject(call_id, RIGHT)
    return team


@pytest.mark.parametrize(
    ("how", "run", "hint"),
    [
        (None, False, "nobody decided"),
        ("approve", True, "whose headline and story say 9 million"),
        ("story only", True, "whose headline says 9 million"),
        ("silent", True, "without a reason"),
        ("right", False, "the run did not go on"),
        ("vague", True, "The story still says 9 million"),
        ("right", True, "the run waits again"),
    ],
)
def test_a_decision_that_is_wrong_missing_or_left_waiting_gets_a_hint(night, how, run, hint) -> None:
    if how is not None:
        team = decide(night, how)
        if run:
            team.run_sync()
    verdict = check("10.1", night)
    assert not verdict.ok and hint in verdict.message, verdict.message


def test_starting_the_story_again_instead_of_going_on_gets_a_hint(night) -> None:
    team = chief(night)
    team.reject(team.pending()[0].call_id, RIGHT)
    team.run_sync(BUDGET_TASK)
    verdict = check("10.1", night)
    assert not verdict.ok and "go on with run_sync() and no task" in verdict.message, verdict.message


def test_a_path_alone_is_not_a_run() -> None:
    verdict = check("10.1", "runs.db")
    assert not verdict.ok and "this check needs the store and the run's id" in verdict.message


# ----- 10.2: tools from an MCP server -------------------------------------------------------------

ROLE = "You check the draft's numbers with search_archive, then say CLEARED or REVISE."


def archive() -> MCPServer:
    return MCPServer.stdio(
        sys.executable, ["-m", "agentnb.protocols.examples.archive_server"], name="archive"
    )


def test_a_fact_checker_offered_only_the_servers_search_is_right() -> None:
    checker = Agent("fact_checker", ROLE, tools=[archive().tools("search_archive")], model=stand_in())
    verdict = check("10.2", checker)
    assert verdict.ok, verdict.message


@pytest.mark.parametrize(
    ("tools", "hint"),
    [
        (lambda: [search_archive], "runs in this process"),
        (lambda: [archive()], "offered count_words too"),
        (lambda: [search_archive, archive().tools("search_archive")], "still has a local tool"),
    ],
)
def test_a_fact_checker_with_local_or_too_many_tools_gets_a_hint(tools, hint) -> None:
    verdict = check("10.2", Agent("fact_checker", ROLE, tools=tools(), model=stand_in()))
    assert not verdict.ok and hint in verdict.message, verdict.message


def test_another_agent_is_not_the_fact_checker() -> None:
    verdict = check("10.2", Agent("checker", ROLE, tools=[search_archive]))
    assert not verdict.ok and "call it fact_checker" in verdict.message
    assert "this check needs your fact-checker" in check("10.2", "fact_checker").message


# ----- 10.3: the desk as a service ------------------------------------------------------------------


def partner(url: str, *, desk_first: bool = True) -> Team:
    desk = RemoteAgent(url, name="desk")
    editor = Agent("editor", "You publish what the desk cleared.", model=stand_in())
    return Team([desk, editor] if desk_first else [editor, desk], until="PUBLISHED", max_turns=2)


def test_a_remote_desk_before_the_editor_and_a_stopped_server_is_right() -> None:
    with serve_in_background(checking_desk) as served:
        team = partner(served.url)
        team.run_sync(TASK)
    verdict = check("10.3", (team, served))
    assert verdict.ok, verdict.message


def test_a_server_left_running_a_local_desk_or_the_wrong_order_gets_a_hint() -> None:
    with serve_in_background(checking_desk) as served:
        running = partner(served.url)
        running.run_sync(TASK)
        assert "still answers" in check("10.3", (running, served)).message
        late = partner(served.url, desk_first=False)
        late.run_sync(TASK)
        unrun = partner(served.url)
    assert "did not publish the desk's checked story" in check("10.3", (late, served)).message
    assert "has not run yet" in check("10.3", (unrun, served)).message
    local = Team([*desks()[:2], Agent("editor", model=stand_in())], until="PUBLISHED", max_turns=3)
    local.run_sync(TASK)
    assert "all in this process" in check("10.3", (local, served)).message


# ----- 10.4: the whole story, to the collector ------------------------------------------------------


@pytest.fixture
def harmon(tmp_path: Path):
    """A published story whose run waited for the chief in between: (store, the run up to the wait)."""
    runs = str(tmp_path / "runs.db")
    team = newsroom(store=runs, run_id="harmon")
    waiting = team.run_sync(TASK)
    team.approve(team.pending()[0].call_id)
    team.run_sync()
    return runs, waiting


def test_the_whole_run_from_the_store_under_the_newsrooms_name_is_right(harmon) -> None:
    runs, _ = harmon
    with Collector() as collector:
        export_otlp(
            list(Team.resume(runs, "harmon", desks()).transcript), collector.endpoint, service_name="newsroom"
        )
    verdict = check("10.4", collector)
    assert verdict.ok, verdict.message


def test_part_of_the_story_another_name_or_nothing_gets_a_hint(harmon) -> None:
    runs, waiting = harmon
    with Collector() as collector:
        assert "received nothing" in check("10.4", collector).message
        export_otlp(list(Team.resume(runs, "harmon", desks()).transcript), collector.endpoint)
        assert "none from 'newsroom'" in check("10.4", collector).message
        export_otlp(waiting, collector.endpoint, service_name="newsroom")
        assert "up to the approval" in check("10.4", collector).message
    assert "this check needs the collector" in check("10.4", runs).message


# ----- 10.5: a gate that also watches the cost -------------------------------------------------------


def test_a_gate_on_regressed_cases_and_costs_is_right() -> None:
    verdict = check("10.5", lambda c: not c.regressed and all(x.verdict != "regressed" for x in c.costs))
    assert verdict.ok, verdict.message


@pytest.mark.parametrize(
    ("gate", "hint"),
    [
        (lambda c: not c.regressed, "lets a chatty newsroom"),
        (lambda c: True, "lets a careless newsroom"),
        (lambda c: False, "your gate fails the same newsroom"),
        (
            lambda c: (
                c.overall.after.value >= c.overall.before.value
                and all(x.verdict != "regressed" for x in c.costs)
            ),
            "fails a newsroom that failed one run in ten",
        ),
        (lambda c: None, "returned nothing"),
    ],
)
def test_a_gate_that_is_blind_to_cost_or_fails_on_noise_gets_a_hint(gate, hint) -> None:
    verdict = check("10.5", gate)
    assert not verdict.ok and hint in verdict.message, verdict.message
