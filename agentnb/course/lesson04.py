"""Lesson 04's exercises (memory): graded from the teams, the context preview and the store.

04.1 compares a fork's transcript with its team's (what they share, how each ended), 04.2
reads what an agent's next model call would receive, and 04.3 reads a memory store's audit
and the events of two runs.
"""

from __future__ import annotations

from typing import Any

from agentnb.core.agent import Agent
from agentnb.core.events import USER, TextMessage, ToolCalls, ToolResult
from agentnb.core.result import TeamResult
from agentnb.core.team import Team
from agentnb.course.checks import exercise
from agentnb.course.quiz import question, right, wrong


def _two_teams(answer: Any) -> tuple[Team, Team]:
    team, fork = answer
    for label, value in (("the team", team), ("the fork", fork)):
        if not isinstance(value, Team):
            raise TypeError(f"{label} is a {type(value).__name__}, not a Team")
    return team, fork


def _shared(team: Team, fork: Team) -> int:
    """How many events the fork's transcript shares with the team's, from the start."""
    n = 0
    for mine, theirs in zip(team.transcript, fork.transcript, strict=False):
        if mine != theirs:
            break
        n += 1
    return n


@exercise(
    "04.1",
    "fork and end differently",
    expects="(team, fork): the haiku team and your fork of it",
    right=(
        "your fork shares the team's history up to just before the editor's first verdict and then "
        "ends differently, while the team itself is unchanged."
    ),
)
def fork_and_end_differently(answer: Any) -> str | None:
    team, fork = _two_teams(answer)
    if fork is team:
        return "that is the team itself: team.fork(k) makes a new team and leaves this one as it was."
    verdicts = team.checkpoints.find(source="editor")
    if not verdicts or team.last_result is None:
        return (
            "the team has no finished run with an editor's verdict: it has not run, or it was rewound. Run "
            "the haiku cell again, then fork the team (a fork leaves the team as it was)."
        )
    before = verdicts[0]
    shared = _shared(team, fork)
    if shared not in (before - 1, before):
        where = "later" if shared < before else "earlier"
        return (
            f"your fork starts from checkpoint {team.checkpoints[shared].label()!r}, but the editor's first "
            f"verdict comes {where}: find the checkpoint just before it with team.checkpoints.find(...)."
        )
    result = fork.last_result
    if result is None:
        return (
            "the fork has not run yet: change its editor, then fork.run_sync() continues from the checkpoint."
        )
    original = team.last_result
    if (result.final, result.stop_reason) == (original.final, original.stop_reason):
        return (
            f"the fork ended like the team ({original.stop_reason!r}). Change the fork's editor "
            "(fork.participant('editor')) so that it gives another verdict."
        )
    return None


@exercise(
    "04.2",
    "a context that fits",
    expects="the newsroom team, after setting the editor's context policy",
    right=(
        "the editor's next call fits the 150-token budget and still holds the task and the "
        "fact-checker's latest message."
    ),
)
def context_that_fits(answer: Any) -> str | None:
    if not isinstance(answer, Team):
        raise TypeError(f"got {type(answer).__name__}, not a Team")
    editor = answer.participant("editor")
    if not isinstance(editor, Agent):
        raise TypeError("the team's editor is not an Agent")
    preview = editor.context_preview(answer)
    budget = 150
    total = sum(row.tokens for row in preview.rows)
    if total <= budget:
        return (
            f"the editor's whole context is only ~{total} tokens: pass the newsroom team after its run, "
            "whose editor has much more to read."
        )
    sent = preview.sent
    policy = preview.policy.split(":", 1)[0]
    if preview.tokens_sent > budget:
        return (
            f"with {policy}, the editor's next call sends ~{preview.tokens_sent} tokens; the budget is "
            f"{budget}. Its context_preview shows what is sent and what is cut."
        )
    task = next(
        (m for m in answer.context_of("editor").messages if m.get("role") == "user" and "name" not in m), None
    )
    if task is not None and task not in sent:
        return f"{policy} drops the task: the editor would no longer know what the story is about."
    checks = [m for m in answer.context_of("editor").messages if m.get("name") == "fact_checker"]
    if checks and checks[-1] not in sent:
        return (
            f"{policy} fits the budget but drops the fact-checker's latest message: the editor "
            "would approve the story without knowing whether it was cleared."
        )
    return None


def _remembered(store: Any, agent: str) -> list[Any]:
    return [c for c in store.audit() if c.action in ("remember", "update") and c.by == agent]


def _calls(result: TeamResult, tool: str) -> list[str]:
    """Ids of successful calls of ``tool`` in a run."""
    ok = {e.call_id for e in result.messages if isinstance(e, ToolResult) and not e.is_error}
    return [
        c.id
        for e in result.messages
        if isinstance(e, ToolCalls)
        for c in e.calls
        if c.name == tool and c.id in ok
    ]


@exercise(
    "04.3",
    "remember, then recall",
    expects="(store, first_run, second_run): the memory store and the results of the two runs",
    right=(
        "the first run wrote the fact with remember, and a new team answered the second question from"
        " its memory alone (the task did not say it)."
    ),
)
def remember_then_recall(answer: Any) -> str | None:
    store, first, second = answer
    for label, run in (("first_run", first), ("second_run", second)):
        if not isinstance(run, TeamResult):
            raise TypeError(f"{label} is a {type(run).__name__}, not a TeamResult")
    written = _remembered(store, "researcher")
    if not written:
        return (
            "the store's audit shows no fact written by the researcher. In the first run, script a call of "
            "its remember tool: call('remember', fact=..., why=...)."
        )
    if not _calls(first, "remember"):
        return "the first run you passed has no successful remember call: pass the run that wrote the fact."
    if second.start != 0:
        return (
            "the second run continues the first team's conversation, where the fact is still in the chat: "
            "run a new Team the second time, so only its memory can tell it."
        )
    if _calls(second, "remember"):
        return "the researcher learned the fact again in the second run: the second run should only use it."
    facts = store.get_many(c.fact_id for c in written)
    task = second.task or ""
    if any(fact.text.lower() in task.lower() for fact in facts.values()):
        return "the second run's task already says the fact: ask a question whose answer only the memory has."
    replies = " ".join(
        e.content
        for e in second.messages
        if isinstance(e, TextMessage) and e.source not in (USER, "") and not e.scope
    )
    if not any(f"#{fact_id}" in replies or fact.text in replies for fact_id, fact in facts.items()):
        ids = ", ".join(f"#{i}" for i in facts)
        return (
            f"the researcher's answer in the second run does not use the remembered fact ({ids}). Before "
            "each turn its memory recalls the facts that share words with the latest message: does your "
            "fact share words with the second question?"
        )
    return None


question(
    "04.a",
    "You fork a team at checkpoint k and give the fork's critic a new role. What happens to the original?",
    wrong("Its critic changes too.", "A fork gets copies of the agents: change them freely."),
    right(
        "Nothing: the two share the history before k, and each goes its own way after it.",
        "Right: a fork is a view of the shared prefix plus its own events; no copy, no change to the "
        "original.",
    ),
    wrong(
        "Its transcript is copied into the fork.",
        "Nothing is copied: the history is shared, so a fork costs O(1).",
    ),
)
question(
    "04.b",
    "An agent gets `context=LastN(3)`. What changes?",
    wrong("The transcript loses its older messages.", "The transcript keeps everything; it is the record."),
    right(
        "What that agent's model receives: its role, the task and the last three messages.",
        "Right: a policy shapes one agent's view; the X-ray shows it, and it never splits a call from its "
        "result.",
    ),
    wrong("Every agent of the team sees less.", "A policy belongs to one agent."),
)
question(
    "04.c",
    "What does a `MemoryStore` keep that checkpoints do not?",
    right(
        "Facts that outlive the run and the kernel, with an audit of who wrote what and why.",
        "Right: checkpoints go back within a team's history; a store carries facts to new teams and "
        "sessions.",
    ),
    wrong("Nothing: both are the same transcript.", "A store is a database of facts, not a run's events."),
    wrong("Every message of every run.", "Only the facts agents (or you) chose to remember."),
)
