"""Lesson 04's checks: a right answer gets a ✓, each kind of wrong answer the hint that fits it."""

from __future__ import annotations

import pytest

from agentnb import Agent, Team
from agentnb.apps.demo import NEWSROOM_TASK, search_archive
from agentnb.core.policies import ContextPolicy, Full, HeadAndTail, LastN, Selection, TokenLimit
from agentnb.course import check
from agentnb.memory import MemoryStore
from agentnb.models import FunctionModel, ScriptedModel, call

# ----- 04.1: fork and end differently -----------------------------------------------------------

SCRIPT = {
    "poet": ["Draft 1", "Draft 2"],
    "critic": ["Weak last line.", "Much better."],
    "editor": ["Not yet. REVISE", "APPROVED. Draft 2 goes in."],
}


def haiku() -> Team:
    team = Team(
        [Agent("poet"), Agent("critic"), Agent("editor")], until="APPROVED", model=ScriptedModel(SCRIPT)
    )
    team.run_sync("Write a haiku.")
    return team


def fork_with_editor(team: Team, k: int, reply: str, *, run: bool = True) -> Team:
    fork = team.fork(k)
    fork.participant("editor").model = ScriptedModel({"editor": [reply]})
    if run:
        fork.run_sync()
    return fork


def before_first_verdict(team: Team) -> int:
    return team.checkpoints.find(source="editor")[0]


@pytest.mark.parametrize("offset", [0, -1])
def test_a_fork_just_before_the_editors_first_verdict_that_ends_otherwise_is_right(offset):
    team = haiku()
    fork = fork_with_editor(team, before_first_verdict(team) + offset, "APPROVED. Draft 1 goes in.")
    verdict = check("04.1", (team, fork))
    assert verdict.ok, verdict.message


@pytest.mark.parametrize(("k", "where"), [(lambda team: 0, "later"), (lambda team: -3, "earlier")])
def test_a_fork_at_another_checkpoint_is_told_whether_the_verdict_is_later_or_earlier(k, where):
    team = haiku()
    fork = fork_with_editor(team, k(team), "APPROVED. Something else.", run=False)
    verdict = check("04.1", (team, fork))
    assert not verdict.ok and f"comes {where}" in verdict.message


def test_a_fork_that_has_not_run_or_ends_like_the_team_gets_a_hint():
    team = haiku()
    k = before_first_verdict(team)
    idle = fork_with_editor(team, k, "APPROVED. Draft 1 goes in.", run=False)
    assert "has not run yet" in check("04.1", (team, idle)).message
    same = fork_with_editor(team, k, SCRIPT["editor"][1])
    verdict = check("04.1", (team, same))
    assert not verdict.ok and "the fork ended like the team" in verdict.message


def test_the_team_itself_or_a_rewound_team_is_not_a_fork():
    team = haiku()
    assert "that is the team itself" in check("04.1", (team, team)).message
    k = before_first_verdict(team)
    fork = fork_with_editor(team, k, "APPROVED. Draft 1 goes in.")
    team.rewind(k)
    verdict = check("04.1", (team, fork))
    assert not verdict.ok and "or it was rewound" in verdict.message
    assert "needs (team, fork)" in check("04.1", team).message


# ----- 04.2: a context that fits -------------------------------------------------------------


def newsroom(*, run: bool = True) -> Team:
    team = Team(
        [
            Agent("writer"),
            Agent("fact_checker", tools=[search_archive]),
            Agent("editor"),
            Agent("publisher"),
        ],
        until="PUBLISHED",
        max_turns=12,
        model="scripted:newsroom",
    )
    if run:
        team.run_sync(NEWSROOM_TASK)
    return team


def with_editor_policy(policy: ContextPolicy, team: Team | None = None) -> Team:
    team = team or newsroom()
    team.participant("editor").context = policy
    return team


@pytest.mark.parametrize("policy", [LastN(3), TokenLimit(150)])
def test_a_policy_under_budget_that_keeps_the_task_and_the_latest_check_is_right(policy):
    verdict = check("04.2", with_editor_policy(policy))
    assert verdict.ok, verdict.message


class OnlyTheLast(ContextPolicy):
    """Drops the task: the system prompt and the newest message only."""

    def select(self, ctx):
        return Selection([0, len(ctx.messages) - 1])


@pytest.mark.parametrize(
    ("policy", "hint"),
    [
        (Full(), "sends ~"),
        (LastN(2), "drops the fact-checker's latest message"),
        (HeadAndTail(0, 2), "drops the fact-checker's latest message"),
        (OnlyTheLast(), "drops the task"),
    ],
)
def test_a_policy_that_is_too_big_or_drops_what_matters_is_told_which(policy, hint):
    verdict = check("04.2", with_editor_policy(policy))
    assert not verdict.ok and hint in verdict.message


def test_a_team_whose_editor_has_little_to_read_is_not_the_newsroom_after_its_run():
    verdict = check("04.2", with_editor_policy(LastN(3), newsroom(run=False)))
    assert not verdict.ok and "whole context is only" in verdict.message
    assert "needs the newsroom team" in check("04.2", LastN(3)).message


# ----- 04.3: remember, then recall ---------------------------------------------------------


def reads_its_notes(request):
    notes = [line[2:] for line in request.messages[0]["content"].splitlines() if line.startswith("- #")]
    return f"From my notes: {notes[0]}" if notes else "I don't know."


def remember_then_ask(tmp_path, monday_replies, question="What was the council's vote on the park?"):
    path = tmp_path / "memory.db"
    with MemoryStore(path) as store:
        researcher = Agent("researcher", memory=store)
        monday = Team(
            [researcher], max_turns=1, model=ScriptedModel({"researcher": monday_replies})
        ).run_sync("The council approved the park 7-2. Keep it.")
    store = MemoryStore(path)
    tuesday_team = Team(
        [Agent("researcher", memory=store, model=FunctionModel(reads_its_notes))], max_turns=1
    )
    tuesday = tuesday_team.run_sync(question)
    return store, monday, tuesday, tuesday_team


REMEMBER = [
    call("remember", fact="The council's vote on the park was 7-2.", why="later stories"),
    "Remembered.",
]


def test_a_fact_remembered_on_monday_and_used_by_a_new_team_on_tuesday_is_right(tmp_path):
    store, monday, tuesday, _ = remember_then_ask(tmp_path, REMEMBER)
    verdict = check("04.3", (store, monday, tuesday))
    assert verdict.ok, verdict.message
    store.close()


def test_a_researcher_that_only_says_it_will_remember_is_told_to_call_the_tool(tmp_path):
    store, monday, tuesday, _ = remember_then_ask(tmp_path, ["I will keep that in mind."])
    verdict = check("04.3", (store, monday, tuesday))
    assert not verdict.ok and "no fact written by the researcher" in verdict.message
    store.close()


def test_a_fact_that_shares_no_words_with_the_question_is_not_recalled_and_the_hint_says_why(tmp_path):
    replies = [call("remember", fact="Seven to two in favour.", why="later"), "Remembered."]
    store, monday, tuesday, _ = remember_then_ask(tmp_path, replies)
    verdict = check("04.3", (store, monday, tuesday))
    assert not verdict.ok and "share words with the second question" in verdict.message
    store.close()


def test_runs_that_do_not_show_remembering_then_recalling_get_a_hint_each(tmp_path):
    store, monday, tuesday, team = remember_then_ask(tmp_path, REMEMBER)
    assert "no successful remember call" in check("04.3", (store, tuesday, tuesday)).message
    continued = team.run_sync("And what was it again?")
    assert "continues the first team's conversation" in check("04.3", (store, monday, continued)).message
    told = Team(
        [Agent("researcher", memory=store, model=FunctionModel(reads_its_notes))], max_turns=1
    ).run_sync("The council's vote on the park was 7-2. What was it?")
    assert "already says the fact" in check("04.3", (store, monday, told)).message
    store.close()
