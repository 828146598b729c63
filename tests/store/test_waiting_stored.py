"""Waiting runs in a store: what they wait for is listed, decided from the store, and goes on."""

from __future__ import annotations

from agentnb import Agent, Human, Team
from agentnb.models import ScriptedModel
from agentnb.store import open_store
from tests.store.teams import newsroom, resumed, trio


def test_interrupt_before_pauses_and_a_resumed_team_goes_on_with_that_speaker(store: str) -> None:
    continuous = trio(max_turns=6)
    continuous.run_sync("go")
    paused = trio(max_turns=6, interrupt_before="c", store=store, run_id="p")
    result = paused.run_sync("go")
    assert result.stop_reason == "paused before c (interrupt_before); run() goes on with c"
    assert open_store(store).runs()[0].stop_reason == result.stop_reason
    again = resumed(store, "p", interrupt_before=None)
    assert again.state().next == ("c",)
    again.run_sync()
    said = [(e.source, getattr(e, "content", "")) for e in again.transcript if e.type == "text"]
    expected = [(e.source, e.content) for e in continuous.transcript if e.type == "text"]
    assert said[: len(expected)] == expected  # the run after the pause counts its turns afresh
    first = next(e for e in again.transcript[len(paused.transcript) :] if e.type == "text")
    assert first.source == "c"


def test_an_answer_asked_for_later_is_given_through_the_store(store: str) -> None:
    def team(**options: object) -> Team:
        model = ScriptedModel({"desk": ["Shall I publish?", "Publishing."]}, stateless=True)
        return Team([Agent("desk"), Human("alice", input_fn="later")], model=model, max_turns=3, **options)

    team(store=store, run_id="ask").run_sync("Ask Alice.")
    [info] = open_store(store).runs()
    assert info.waiting == "awaiting an answer from alice"
    later = Team.resume(store, "ask", team().participants, model=team().model)
    later.answer("alice", "Yes.")
    assert open_store(store).find("ask").events == len(later.transcript)  # type: ignore[union-attr]
    result = Team.resume(store, "ask", team().participants, model=team().model).run_sync()
    assert [(m.source, m.content) for m in result.chat()] == [("alice", "Yes."), ("desk", "Publishing.")]


def test_a_waiting_run_is_listed_with_what_it_waits_for_and_no_writer(store: str) -> None:
    newsroom(store=store, run_id="w").run_sync("Publish.")
    [info] = open_store(store).runs()
    assert (info.waiting, info.running, info.writer) == (
        "awaiting approval of publish (call call_desk_1_0)",
        False,
        "",
    )
    assert info.status == "waiting: awaiting approval of publish (call call_desk_1_0)"
