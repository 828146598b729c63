"""Runs across processes: kill -9 mid-turn, a decision made in another process, two resumers."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from agentnb import RunBusyError, Team
from agentnb.core.events import SpeakerSelected
from agentnb.store import open_store
from tests.processes import ROOT, environment
from tests.store import teams
from tests.store.teams import newsroom_agents, plain, resumed, trio


@contextmanager
def worker(*arguments: str) -> Iterator[subprocess.Popen[str]]:
    """``python -m tests.store.teams ARGUMENTS`` with this checkout's agentnb; killed if left running."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.store.teams", *arguments],
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def events_of(store: str, run_id: str) -> int:
    found = open_store(store).find(run_id)
    return found.events if found is not None else 0


def test_a_run_killed_mid_turn_is_resumed_where_it_stopped_with_nothing_lost_or_twice(store: str) -> None:
    uninterrupted = trio(max_turns=12)
    uninterrupted.run_sync("go")
    expected = plain(uninterrupted.transcript)
    with worker("run", store, "k", "12", "0.05") as process:
        wait_for("10 stored events", lambda: events_of(store, "k") >= 10)
        time.sleep(0.07)  # into a model call, most likely mid-turn
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    stored = open_store(store).open_run("k")
    assert 10 <= stored.length < len(expected)
    assert plain(stored.events(0, stored.length)) == expected[: stored.length]  # the store holds a prefix
    assert open_store(store).runs()[0].status == "cut off while running"
    team = resumed(store, "k")
    assert team.history.state.running and team.history.state.open_turn is not None  # killed mid-turn
    team.run_sync()
    assert plain(team.transcript) == expected  # the in-flight call was made again, nothing twice
    turns = [e.turn for e in team.transcript if isinstance(e, SpeakerSelected)]
    assert turns == sorted(set(turns))


def test_an_approval_asked_for_in_one_process_is_decided_and_run_in_another(store: str) -> None:
    with worker("publish", store, "story") as process:
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    [info] = open_store(store).runs()
    assert info.waiting == "awaiting approval of publish (call call_desk_1_0)" and info.writer == ""
    teams.PUBLISHED.clear()
    team = Team.resume(store, "story", newsroom_agents(), model=teams.desk_model())
    [waiting] = team.pending()
    assert (waiting.agent, waiting.call.arguments) == ("desk", '{"headline": "Park opens"}')  # type: ignore[union-attr]
    team.approve(waiting.call_id, edit={"headline": "Park opens in June"})
    result = team.run_sync()
    assert teams.PUBLISHED == ["Park opens in June"] and result.stop_reason == "max turns reached (2)"
    [info] = open_store(store).runs()
    assert (info.waiting, info.stop_reason) == ("", "max turns reached (2)")


def test_a_decision_recorded_in_one_process_is_run_by_another(store: str) -> None:
    teams.newsroom(store=store, run_id="story").run_sync("Publish the park story.")
    deciding = Team.resume(store, "story", newsroom_agents(), model=teams.desk_model())
    deciding.reject(deciding.pending()[0].call_id, "Wait for the vote.")
    with worker("go-on", store, "story") as process:  # another process goes on with it
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    again = Team.resume(store, "story", newsroom_agents(), model=teams.desk_model())
    results = [e for e in again.transcript if e.type == "tool_result"]
    assert [r.content for r in results] == [
        'The approver rejected the call publish({"headline": "Park opens"}). They said: Wait for the vote.'
    ]


def test_two_processes_resuming_one_run_one_writes_and_the_other_is_told_who(store: str) -> None:
    trio(max_turns=2, store=store, run_id="r").run_sync("go")
    with worker("resume", store, "r", "0.2") as process:
        wait_for("the other process to hold the run", lambda: open_store(store).runs()[0].writer != "")
        here = resumed(store, "r")
        with pytest.raises(RunBusyError) as caught:
            here.run_sync("me too")
        assert f"run 'r' in {open_store(store)} is being written by process {process.pid} on " in str(
            caught.value
        )
        assert "one run has one writer" in str(caught.value)
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    assert open_store(store).runs()[0].writer == ""


def test_different_runs_of_one_store_are_written_by_processes_at_once(store: str) -> None:
    with (
        worker("run", store, "one", "8", "0.01") as first,
        worker("run", store, "two", "8", "0.01") as second,
    ):
        results = [first.communicate(timeout=120), second.communicate(timeout=120)]
    assert first.returncode == second.returncode == 0, results
    expected = trio(max_turns=8)
    expected.run_sync("go")
    for run_id in ("one", "two"):
        assert plain(resumed(store, run_id).transcript) == plain(expected.transcript)
