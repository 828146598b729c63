"""Durable runs on a SQLite file and on PostgreSQL: written as they go, listed, resumed, forked."""

from __future__ import annotations

from typing import Any

import pytest

from agentnb import Agent, SavedFileError, StoreError, Team
from agentnb.core.events import TokenDelta
from agentnb.core.state import History
from agentnb.core.stop import MaxTurns, StopCondition
from agentnb.models import FunctionModel, ScriptedModel
from agentnb.store import RunStore, open_store
from tests.store.teams import agents, plain, reply, resumed, trio


def test_every_event_is_in_the_store_before_the_next_model_call(store: str) -> None:
    reader = open_store(store)
    seen: list[tuple[int, int]] = []  # (events recorded, events stored) at each model call
    team: Team

    def checking(request: Any) -> Any:
        seen.append((len(team.transcript), reader.find(team.run_id).events))  # type: ignore[arg-type]
        return reply(request)

    team = Team(agents(), model=FunctionModel(checking, latency=0.005), max_turns=5, store=store)
    team.run_sync("go")
    assert len(seen) > 5 and all(recorded == stored for recorded, stored in seen[1:])
    assert reader.find(team.run_id).events == len(team.transcript)  # type: ignore[union-attr]
    assert plain(reader.open_run(team.run_id).events(0, len(team.transcript))) == plain(team.transcript)  # type: ignore[arg-type]


def test_a_resumed_run_goes_on_like_one_that_never_stopped(store: str) -> None:
    continuous = trio()
    continuous.run_sync("go")
    continuous.run_sync("more")
    first = trio(store=store, run_id="newsroom")
    first.run_sync("go")
    again = resumed(store, "newsroom")
    assert again.run_id == "newsroom" and plain(again.transcript) == plain(first.transcript)
    assert again.history.state == first.history.state
    again.run_sync("more")
    assert plain(again.transcript) == plain(continuous.transcript)
    assert plain(resumed(store, "newsroom").transcript) == plain(continuous.transcript)


def test_runs_lists_each_run_with_its_team_times_and_where_it_stopped(store: str) -> None:
    one = trio(store=store, run_id="one", name="desk")
    one.run_sync("go")
    trio(store=store, run_id="two", max_turns=2).run_sync("go")
    runs = open_store(store).runs()
    assert [(r.id, r.team, r.stop_reason, r.waiting, r.running) for r in runs] == [
        ("one", "desk", "max turns reached (6)", "", False),
        ("two", "team", "max turns reached (2)", "", False),
    ]
    assert runs[0].started <= runs[0].updated <= runs[1].started
    assert runs[0].events == len(one.transcript) == 18 and runs[0].writer == "" and runs[0].parent is None
    assert str(runs[0]).startswith("one (desk): 18 events, last ") and "stopped: max turns" in str(runs[0])


def test_a_fork_is_a_new_run_that_shares_its_parents_events_by_reference(store: str) -> None:
    team = trio(store=store, run_id="parent")
    team.run_sync("go")
    fork = team.fork(7, name="kinder")
    fork.run_sync()
    opened = open_store(store)
    info = {r.id: r for r in opened.runs()}[fork.run_id]  # type: ignore[index]
    assert (info.team, info.parent, info.fork_at) == ("kinder", "parent", 7)
    stored = opened.open_run(fork.run_id)  # type: ignore[arg-type]
    own, shared = stored.chain[-1], stored.chain[0]
    assert opened.read(own[0], 0, 7) == [] and opened.find("parent").events == len(team.transcript)  # type: ignore[union-attr]
    assert (shared[1], shared[2]) == (0, 7)  # the fork's first 7 events are read from the parent's rows
    assert plain(resumed(store, fork.run_id).transcript) == plain(fork.transcript)  # type: ignore[arg-type]


def test_rewinding_a_stored_team_goes_on_as_a_new_run_and_keeps_the_old_one(store: str) -> None:
    team = trio(store=store, run_id="first")
    full = team.run_sync("go")
    team.rewind(5)
    team.run_sync()
    assert team.run_id != "first"
    assert open_store(store).find("first").events == len(full.messages)  # type: ignore[union-attr]
    assert plain(resumed(store, "first").transcript) == plain(full.messages)
    assert plain(resumed(store, team.run_id).transcript) == plain(team.transcript)  # type: ignore[arg-type]


def test_time_travel_works_on_a_resumed_run(store: str) -> None:
    team = trio(max_turns=60, store=store, run_id="long")
    team.run_sync("go")
    again = resumed(store, "long")
    assert len(again.transcript) > 130
    for k in (0, 1, 63, 64, 65, 100, len(team.transcript)):
        assert again.checkpoints[k].state == team.checkpoints[k].state
        assert again.checkpoints[k].event == team.checkpoints[k].event
    fork = again.fork(100)
    original = team.fork(100)
    assert plain(fork.run_sync().messages) == plain(original.run_sync().messages)
    again.rewind(64)
    again.run_sync()
    team.rewind(64)
    team.run_sync()
    assert plain(again.transcript) == plain(team.transcript)


def test_resuming_reads_the_latest_snapshot_and_no_events(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = trio(max_turns=60, store=store, run_id="long")
    team.run_sync("go")
    opened = open_store(store)
    read: list[tuple[int, int]] = []
    real = type(opened).batches

    def counting(self: RunStore, key: int, start: int, stop: int) -> Any:
        read.append((start, stop))
        return real(self, key, start, stop)  # type: ignore[arg-type]

    monkeypatch.setattr(type(opened), "batches", counting)
    again = resumed(opened, "long")
    assert read == [] and again.history.state == team.history.state
    assert again.transcript[-1] == team.transcript[-1] and read  # events are read when used


def test_a_team_resumed_with_other_stop_conditions_folds_them_afresh(store: str) -> None:
    team = trio(max_turns=4, until="never said", store=store, run_id="r")
    team.run_sync("go")
    again = resumed(store, "r", max_turns=9)
    refolded = History(again.history.fold)
    for event in team.transcript:
        refolded.record(event)
    # between runs the condition's part means nothing: it starts afresh with the next run
    assert again.history.state._replace(stop=None) == refolded.state._replace(stop=None)
    assert again.run_sync("more").turns == 9


def test_a_run_cut_off_and_resumed_with_other_stop_conditions_counts_its_turns_again(store: str) -> None:
    continuous = trio(max_turns=40)
    continuous.run_sync("go")
    team = trio(max_turns=40, store=store, run_id="cut")
    for event in continuous.transcript[:-1]:  # everything but the Stop: a run a crash cut off
        team.history.record(event)
    again = resumed(store, "cut", max_turns=50)
    refolded = History(again.history.fold)
    for event in continuous.transcript[:-1]:
        refolded.record(event)
    assert again.history.state == refolded.state and again.history.state.running
    assert again.run_sync().turns == 50


class Remembering(StopCondition):
    """A condition whose state is an object of its own: it is not stored data."""

    class Seen:
        def __init__(self, n: int) -> None:
            self.n = n

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Remembering.Seen) and other.n == self.n

    def start(self) -> Any:
        return Remembering.Seen(0)

    def step(self, state: Any, event: Any) -> Any:
        return Remembering.Seen(state.n + 1)

    def reason(self, state: Any) -> str | None:
        return "seen 40 events" if state.n >= 40 else None


def test_a_state_that_is_not_data_is_folded_again_on_resume(store: str) -> None:
    team = trio(max_turns=100, stop=Remembering(), store=store, run_id="custom")
    assert team.run_sync("go").stop_reason == "seen 40 events"
    again = resumed(store, "custom", stop=Remembering())
    assert again.history.state == team.history.state


def test_token_deltas_are_streamed_and_never_stored(store: str) -> None:
    model = ScriptedModel({"*": ["one two three four five six"]}, loop=True)
    team = Team([Agent("a"), Agent("b")], model=model, max_turns=4, store=store, run_id="s")

    async def count() -> int:
        return sum([isinstance(e, TokenDelta) async for e in team.stream("go")])

    import asyncio

    assert asyncio.run(count()) == 4 * 6
    stored = open_store(store).open_run("s").events(0, len(team.transcript))
    assert plain(stored) == plain(team.transcript) and not any(isinstance(e, TokenDelta) for e in stored)


def test_a_nested_team_resumes_with_its_own_conversation(store: str) -> None:
    def outer(**options: Any) -> Team:
        inner = Team([Agent("x"), Agent("y")], name="inner", max_turns=2)
        return Team([Agent("a"), inner], model=FunctionModel(reply), max_turns=4, **options)

    reference = outer()
    reference.run_sync("go")
    outer(store=store, run_id="n").run_sync("go")
    again = Team.resume(store, "n", outer().participants, model=FunctionModel(reply))
    assert plain(again.participant("inner").transcript) == plain(reference.participant("inner").transcript)
    assert plain(again.run_sync("more").messages) == plain(reference.run_sync("more").messages)


def test_a_run_id_is_one_run(store: str) -> None:
    trio(store=store, run_id="taken").run_sync("go")
    with pytest.raises(StoreError, match=r"already has a run 'taken': go on with it with Team.resume"):
        trio(store=store, run_id="taken")
    with pytest.raises(StoreError, match=r"has no run 'missing'; its latest runs are: taken"):
        resumed(store, "missing")
    with pytest.raises(ValueError, match="run_id: names the team's run in a store; give store= too"):
        trio(run_id="taken")


def test_resuming_with_other_participants_is_refused(store: str) -> None:
    trio(store=store, run_id="r").run_sync("go")
    with pytest.raises(
        SavedFileError, match=r"run .r. in .*: the saved team had participants \['a', 'b', 'c'\]"
    ):
        Team.resume(store, "r", [Agent("a")], model=FunctionModel(reply))


def test_resume_on_a_team_goes_on_and_on_the_class_reads_the_store(store: str) -> None:
    team = trio(max_turns=2, store=store, run_id="r")
    team.run_sync("go")
    with pytest.raises(ValueError, match=r"call Team\.resume"):
        team.resume(store, "r", agents())
    again = Team.resume(store, "r", agents(), model=FunctionModel(reply), stop=MaxTurns(1))
    assert isinstance(again, Team) and again.run_sync("more").turns == 1


def test_reset_load_and_a_new_stop_condition_keep_the_store_right(store: str) -> None:
    team = trio(max_turns=2, store=store, run_id="r")
    team.run_sync("go")
    team.condition = MaxTurns(3)  # the same run goes on, folded with the new condition
    team.run_sync("more")
    assert team.run_id == "r" and open_store(store).find("r").events == len(team.transcript)  # type: ignore[union-attr]
    saved = team.state().to_dict()
    team.reset()  # a new conversation is a new run; the old one stays
    assert team.run_id != "r" and len(team.transcript) == 0
    team.load_state(saved)  # loaded events are written as that new run
    stored = open_store(store).open_run(team.run_id)  # type: ignore[arg-type]
    assert (
        plain(stored.events(0, stored.length))
        == plain(team.transcript)
        == plain(resumed(store, "r").transcript)
    )
