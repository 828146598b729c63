"""Termination conditions, alone and composed with | and &."""

from __future__ import annotations

import threading
import time

from agentnb import Agent, Team
from agentnb.core.events import TextMessage, Usage
from agentnb.core.stop import ExternalStop, MaxTurns, Predicate, TextMention, Timeout, TokenBudget
from agentnb.models import ScriptedModel


def msg(source, content, tokens=0):
    return TextMessage(
        source=source, content=content, usage=Usage(completion_tokens=tokens) if tokens else None
    )


def chatty(**options):
    model = ScriptedModel({"*": ["word " * 20]}, loop=True, **options)
    return Team([Agent("a"), Agent("b")], model=model, **{"max_turns": 50, **options.pop("team", {})})


def test_max_turns_counts_participant_turns_not_the_task():
    cond = MaxTurns(2)
    assert cond([msg("user", "task")]) is None
    assert cond([msg("user", "task"), msg("a", "1")]) is None
    assert cond([msg("user", "task"), msg("a", "1"), msg("b", "2")]) == "max turns reached (2)"


def test_text_mention_can_be_limited_to_some_sources():
    cond = TextMention("DONE", sources=["editor"])
    assert cond(msg("writer", "DONE")) is None
    assert cond(msg("editor", "all DONE")) == "editor said 'DONE'"


def test_a_single_name_is_accepted_wherever_a_list_of_names_is():
    cond = TextMention("better", sources="critic")
    assert cond(msg("writer", "better")) is None
    assert cond(msg("critic", "better now")) == "critic said 'better'"


def test_token_budget_sums_usage():
    cond = TokenBudget(10)
    assert cond([msg("a", "x", tokens=6)]) is None
    both = [msg("a", "x", tokens=6), msg("b", "y", tokens=6)]
    assert cond(both) == "token budget used up (12 of 10 tokens)"


def test_predicate_reason_can_be_a_string():
    cond = Predicate(
        lambda e: "found a number" if any(c.isdigit() for c in getattr(e, "content", "")) else False
    )
    assert cond(msg("a", "none")) is None
    assert cond(msg("a", "room 42")) == "found a number"


def test_or_stops_on_either_and_and_needs_both():
    either = TextMention("A") | TextMention("B")
    assert either(msg("x", "B")) == "x said 'B'"
    both = TextMention("A") & TextMention("B")
    assert both([msg("x", "A")]) is None
    assert both([msg("x", "A"), msg("y", "B")]) == "x said 'A' and y said 'B'"


def test_a_condition_state_is_a_value_that_stays_met_and_is_never_changed_in_place():
    cond = TextMention("X") | MaxTurns(5)
    start = cond.start()
    met = cond.step(start, msg("a", "X"))
    later = cond.step(met, msg("a", "nothing"))
    assert cond.reason(later) == "a said 'X'"
    assert cond.reason(start) is None and cond.start() == start  # a new run starts afresh


def test_token_budget_ends_a_team_run():
    team = Team(
        [Agent("a"), Agent("b")],
        model=ScriptedModel({"*": ["word " * 20]}, loop=True),
        max_turns=50,
        stop=TokenBudget(60),
    )
    result = team.run_sync("go")
    assert result.stop_reason.startswith("token budget used up")
    assert result.usage.total_tokens >= 60
    assert result.turns < 50


def test_timeout_cuts_a_model_call_in_flight():
    model = ScriptedModel({"*": ["late"]}, loop=True, latency=30)
    team = Team([Agent("a")], model=model, stop=Timeout(0.3))
    started = time.perf_counter()
    result = team.run_sync("go")
    assert time.perf_counter() - started < 5
    assert result.stop_reason == "timed out after 0.3 s"


def test_timeout_under_and_does_not_cut_alone():
    model = ScriptedModel({"*": ["x"]}, loop=True, latency=0.05)
    team = Team([Agent("a")], model=model, max_turns=4, stop=Timeout(0.01) & TextMention("never"))
    assert team.run_sync("go").stop_reason == "max turns reached (4)"


def test_external_stop_switch_ends_the_run_and_resets_for_the_next():
    switch = ExternalStop()
    model = ScriptedModel({"*": ["x"]}, loop=True, latency=0.05)
    team = Team([Agent("a"), Agent("b")], model=model, max_turns=1000, stop=switch)
    threading.Timer(0.3, switch.set, kwargs={"reason": "teacher pressed stop"}).start()
    result = team.run_sync("go")
    assert result.stop_reason == "teacher pressed stop"
    assert 1 <= result.turns < 1000
    model.latency = 0
    second = Team([Agent("c")], model=model, max_turns=2, stop=switch).run_sync("again")
    assert second.stop_reason == "max turns reached (2)"  # reset at the start of each run


def test_composed_conditions_on_a_team():
    model = ScriptedModel({"a": ["draft", "draft", "FINAL"], "b": ["ok", "ok", "ok"]})
    team = Team([Agent("a"), Agent("b")], model=model, max_turns=10, until=TextMention("FINAL") | MaxTurns(3))
    assert team.run_sync("go").stop_reason == "max turns reached (3)"


def test_a_subclass_with_its_own_step_sees_every_event_even_if_its_parent_reads_few():
    class MaxSpeakers(MaxTurns):  # MaxTurns reads only messages and handoffs; this one counts choices
        def step(self, state: int, event) -> int:
            return state + 1 if type(event).__name__ == "SpeakerSelected" else state

    model = ScriptedModel({"*": ["word"]}, loop=True)
    result = Team([Agent("a"), Agent("b")], model=model, stop=MaxSpeakers(3)).run_sync("go")
    assert result.stop_reason == "max turns reached (3)"
    assert result.turns == 3


def test_composed_conditions_step_each_part_only_on_what_it_reads_and_keep_unchanged_state():
    cond = MaxTurns(5) | TextMention("DONE") | TokenBudget(100)
    state = cond.start()
    assert cond.step(state, msg("user", "task")) is state  # nothing any part counts: the same value
    state = cond.step(state, msg("a", "hi", tokens=40))
    assert state == (1, None, 40)
    assert cond.step(state, msg("b", "DONE", tokens=70)) == (2, "b said 'DONE'", 110)


def test_a_conditions_repr_names_everything_that_decides_when_it_is_met():
    """A run store reuses a snapshot only when the condition's repr matches: two TextMentions
    that differ only in their sources must not look alike."""
    assert repr(TextMention("better", sources="critic")) == "TextMention('better', sources=['critic'])"
    assert repr(TextMention("better")) != repr(TextMention("better", sources=["critic", "editor"]))


def test_a_run_reads_a_timeout_at_every_stop_check_even_when_no_event_changed_the_state():
    # Run.stopping asks a stop condition again only when its state changed (reason is pure), but
    # time and outside switches are read, not folded: a timeout that expires between two events
    # is seen at the next check (before: the check after a turn's announcement was skipped).
    from agentnb.core.run import Run

    timeout = Timeout(60)
    team = Team([Agent("a", model=ScriptedModel(["hi"]))], stop=timeout)
    run = Run(team, [])
    team.history.record(TextMessage(source="user", content="go"))  # the run is open
    assert not run.stopping
    timeout.started -= 120  # the time is up; no event was recorded since the last check
    assert run.stopping
