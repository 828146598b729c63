"""Episodic memory: checkpoints after every event, rewind, fork, save and load."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentnb import Agent, Team
from agentnb.core.errors import CheckpointError
from agentnb.core.events import SpeakerSelected, Stop, TextMessage
from agentnb.core.state import SNAPSHOT_EVERY
from agentnb.core.stop import MaxTurns, TokenBudget
from agentnb.core.transcript import Transcript
from agentnb.models import FunctionModel, ScriptedModel


def echo(request):
    """A pure model: the reply depends only on what the agent sees (so continuations are equal)."""
    seen = len(request.messages)
    last = (request.messages[-1].get("content") or "")[:20]
    return f"{request.agent} #{seen} re {last}"


def trio(**options):
    return Team([Agent(n, f"You are {n}.") for n in ("a", "b", "c")], model=FunctionModel(echo), **options)


def said(events):
    return [(e.source, e.content) for e in events if isinstance(e, TextMessage) and not e.scope]


def test_there_is_a_checkpoint_after_every_event_and_at_the_start():
    team = trio(max_turns=3)
    team.run_sync("go")
    checkpoints = team.checkpoints
    assert len(checkpoints) == len(team.transcript) + 1
    assert checkpoints[0].event is None and checkpoints[0].turn == 0
    assert checkpoints[-1].event is team.transcript[-1]
    turns = [c.turn for c in checkpoints]
    assert turns == [*sorted(turns[:-1]), turns[-1]]  # turns only grow within the run
    assert "after a:" in checkpoints[3].label()


def test_rewind_returns_the_transcript_turns_and_speaker_order():
    team = trio(max_turns=6)
    full = team.run_sync("go")
    k = team.checkpoints.find(source="b")[0]  # just before b's first reply
    team.rewind(k)
    assert len(team.transcript) == k
    assert team.checkpoints[-1].turn == 2
    rest = team.run_sync()  # continues the run that was going on at that point: b's turn first
    after = team.transcript[k:]
    assert after[0].source == "b" and isinstance(after[0], TextMessage)
    assert [e.speaker for e in after if isinstance(e, SpeakerSelected)] == ["c", "a", "b", "c"]
    assert rest.turns == 6 and rest.start == 0
    assert said(team.transcript)[:3] == said(full.messages)[:3]


def test_rewind_then_a_new_task_closes_the_old_run_and_starts_fresh():
    team = trio(max_turns=4)
    team.run_sync("go")
    team.rewind(5)
    result = team.run_sync("another task")
    stops = [e for e in team.transcript if isinstance(e, Stop)]
    assert stops[0].reason == "ended: a new task started"
    assert result.task == "another task" and result.turns == 4


def test_fork_continues_independently_and_the_original_is_untouched():
    team = trio(max_turns=4)
    team.run_sync("go")
    before = list(team.transcript)
    fork = team.fork(4, name="other")
    fork.participant("b").role = "You are b, but grumpy."
    assert team.participant("b").role == "You are b."
    fork.run_sync()
    assert list(team.transcript) == before
    assert fork.transcript[:4] == before[:4]
    assert len(fork.transcript) > 4 and fork.name == "other"


def test_forks_share_history_instead_of_copying_it():
    team = trio(max_turns=30)
    team.run_sync("go")
    fork = team.fork(10)
    assert fork.transcript.depth() >= 1
    assert fork.transcript[9] is team.transcript[9]


def test_a_fork_makes_no_model_call_to_get_back_to_its_checkpoint():
    calls = []

    def counting(request):
        calls.append(request.agent)
        return "ok"

    team = Team([Agent("a"), Agent("b")], model=FunctionModel(counting), max_turns=4)
    team.run_sync("go")
    before = len(calls)
    fork = team.fork(3)
    team.rewind(2)
    assert len(calls) == before and len(fork.transcript) == 3


def test_stop_condition_state_is_restored_at_a_checkpoint():
    team = trio(max_turns=10, stop=TokenBudget(10**6))
    team.run_sync("go")
    turns_at_end, used_at_end = team.history.state.stop  # (MaxTurns, TokenBudget): values, not objects
    team.rewind(8)
    turns, used = team.history.state.stop
    assert 0 < used < used_at_end and turns < turns_at_end
    assert turns == sum(1 for e in team.transcript if isinstance(e, TextMessage) and e.source != "user")
    assert team.checkpoints[8].state == team.history.state


def test_checkpoints_past_the_snapshot_interval_rebuild_exactly():
    team = trio(max_turns=SNAPSHOT_EVERY * 2)
    team.run_sync("go")
    reference = [
        team.checkpoints[k].run for k in (0, 1, SNAPSHOT_EVERY - 1, SNAPSHOT_EVERY, SNAPSHOT_EVERY + 5)
    ]
    fresh = trio(max_turns=SNAPSHOT_EVERY * 2)
    fresh.load_state(team.state())
    assert [
        fresh.checkpoints[k].run for k in (0, 1, SNAPSHOT_EVERY - 1, SNAPSHOT_EVERY, SNAPSHOT_EVERY + 5)
    ] == reference


@pytest.mark.parametrize("bad", [-(10**6), 10**6, "3", 1.5, None])
def test_a_checkpoint_that_does_not_exist_is_a_clear_error(bad):
    team = trio(max_turns=2)
    team.run_sync("go")
    with pytest.raises(CheckpointError, match="checkpoint"):
        team.rewind(bad)


def test_save_and_load_restore_a_team_exactly(tmp_path):
    team = trio(max_turns=3, until="never said")
    team.run_sync("go")
    path = team.save(tmp_path / "run.json")
    loaded = Team.load(path, [Agent(n, f"You are {n}.") for n in ("a", "b", "c")], model=FunctionModel(echo))
    assert list(loaded.transcript) == list(team.transcript)
    assert loaded.max_turns == 3
    assert said(loaded.run_sync("more").messages) == said(team.run_sync("more").messages)


@settings(max_examples=25, deadline=None)
@given(turns=st.integers(1, 8), cut=st.integers(0, 40), follow=st.integers(1, 5))
def test_run_save_load_continue_equals_running_continuously(turns, cut, follow):
    continuous = trio(max_turns=turns)
    continuous.run_sync("go")
    continuous.run_sync("next")
    split = trio(max_turns=turns)
    split.run_sync("go")
    k = min(cut, len(split.transcript))
    split.rewind(len(split.transcript))  # a no-op rewind is allowed
    reloaded = trio(max_turns=turns)
    reloaded.load_state(json.loads(json.dumps(split.state().to_dict())))
    reloaded.run_sync("next")
    assert said(reloaded.transcript) == said(continuous.transcript)
    # and a checkpoint in the middle, saved and loaded, continues like the original from there
    a, b = split.fork(k), trio(max_turns=turns)
    b.load_state(json.loads(json.dumps(a.state().to_dict())))
    assert said(a.run_sync().messages) == said(b.run_sync().messages)
    del follow


def test_loading_needs_matching_participants_and_a_sound_file(tmp_path):
    team = trio(max_turns=1)
    team.run_sync("go")
    path = team.save(tmp_path / "run.json")
    with pytest.raises(CheckpointError, match="the same participants"):
        Team.load(path, [Agent("x")], model=FunctionModel(echo))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not a saved agentnb team"):
        Team.load(tmp_path / "bad.json", [Agent("a")])
    (tmp_path / "other.json").write_text('{"format": "something else"}')
    with pytest.raises(CheckpointError, match="not a saved agentnb team"):
        Team.load(tmp_path / "other.json", [Agent("a")])
    damaged = team.state().to_dict()
    damaged["transcript"][0] = {"type": "nope"}
    with pytest.raises(CheckpointError, match="damaged"):
        trio(max_turns=1).load_state(damaged)
    with pytest.raises(CheckpointError, match="cannot save"):
        team.save(tmp_path / "missing-dir" / "x" / "\0bad")


def test_options_that_are_code_must_be_passed_again_to_load(tmp_path):
    team = trio(stop=MaxTurns(2))
    team.run_sync("go")
    path = team.save(tmp_path / "run.json")
    with pytest.raises(CheckpointError, match=r"pass stop=\.\.\. to Team\.load"):
        Team.load(path, [Agent(n) for n in "abc"], model=FunctionModel(echo))
    loaded = Team.load(path, [Agent(n) for n in "abc"], model=FunctionModel(echo), stop=MaxTurns(2))
    assert len(loaded.transcript) == len(team.transcript)


def test_nested_teams_are_rewound_and_forked_with_their_parent():
    inner = Team([Agent("x"), Agent("y")], name="inner", max_turns=2)
    outer = Team([inner, Agent("lead")], model=FunctionModel(echo), max_turns=4)
    outer.run_sync("go")
    inner_len = len(inner.transcript)
    k = outer.checkpoints.find(source="lead")[0]
    fork = outer.fork(k)
    forked_inner = fork.participant("inner")
    assert forked_inner is not inner and len(inner.transcript) == inner_len
    assert len(forked_inner.transcript) == sum(1 for e in outer.transcript[:k] if e.scope == "inner")
    outer.rewind(2)
    assert len(inner.transcript) == 0


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 30)), max_size=40))
def test_transcript_versions_never_change_each_other(ops):
    events = [TextMessage(source="a", content=str(i)) for i in range(5)]
    versions = [(Transcript(events), list(events))]
    for append, k in ops:
        t, ref = versions[-1]
        if append:
            e = TextMessage(source="b", content=f"x{len(versions)}")
            nt = t.prefix(len(ref))
            nt.append(e)
            versions.append((nt, [*ref, e]))
        else:
            k = min(k, len(ref))
            versions.append((t.prefix(k), ref[:k]))
    for t, ref in versions:
        assert list(t) == ref and len(t) == len(ref)
        assert t[: len(ref) // 2] == ref[: len(ref) // 2]


def test_a_stateless_script_replays_a_fork_from_the_right_reply_and_makes_no_call_to_get_there():
    model = ScriptedModel({"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]}, stateless=True)
    team = Team([Agent("a"), Agent("b")], model=model, max_turns=4)
    first = team.run_sync("go")
    assert [m.content for m in first.chat()][1:] == ["a1", "b1", "a2", "b2"]
    calls = model.calls
    fork = team.fork(team.checkpoints.find(source="b", contains="b1")[0])  # before b's first reply
    assert model.calls == calls
    fork.run_sync()  # the same path again: b's cut-off turn, then a and b
    assert said(fork.transcript) == said(team.transcript)


def test_a_copied_or_unpickled_transcript_appends_to_its_own_events_only():
    import copy
    import pickle

    original = Transcript([TextMessage(source="a", content="first")])
    for twin in (copy.deepcopy(original), pickle.loads(pickle.dumps(original))):
        twin.append(TextMessage(source="b", content="only in the copy"))
        assert [e.content for e in twin] == ["first", "only in the copy"]
        assert [e.content for e in original] == ["first"]
