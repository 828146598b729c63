"""Lesson 00's exercises (why agent teams): graded from the runs' events, never from the story's text.

00.1 reads whether the editor approved a draft the fact-checker had checked, and 00.2 whether
a first ``%%agentteam`` cell declared a team of the student's own that took its turns.
"""

from __future__ import annotations

from typing import Any

from agentnb.core.events import USER, TextMessage, ToolResult
from agentnb.core.result import TeamResult
from agentnb.course.checks import exercise
from agentnb.course.lesson02 import result_of
from agentnb.course.quiz import question, right, wrong

NEWSROOM = ("writer", "fact_checker", "editor", "publisher")


def _said(result: TeamResult) -> list[tuple[int, TextMessage]]:
    """(index in the run, message) for everything the participants said at the top level."""
    return [
        (i, e)
        for i, e in enumerate(result.messages)
        if isinstance(e, TextMessage) and not e.scope and e.source != USER
    ]


@exercise(
    "00.1",
    "check before you approve",
    expects="the result of the newsroom run (a TeamResult)",
    right=(
        "the fact-checker looked the draft up after the writer wrote it and before the editor "
        "approved it, so the story that went out was checked."
    ),
)
def check_before_you_approve(answer: Any) -> str | None:
    result = result_of(answer)
    events = result.messages
    lookups = [i for i, e in enumerate(events) if isinstance(e, ToolResult) and e.name == "search_archive"]
    if not lookups:
        return (
            "nobody looked anything up in this run: it has no search_archive call. The fact_checker is "
            "the agent with that tool: put it in the team."
        )
    said = _said(result)
    approvals = [i for i, m in said if m.source == "editor" and "APPROVED" in m.content]
    if not approvals or not any(m.source == "publisher" and "PUBLISHED" in m.content for _, m in said):
        return (
            f"the story was not published ({result.stop_reason}): run the team until the publisher says so."
        )
    approved = approvals[-1]
    drafts = [i for i, m in said if m.source == "writer" and i < approved]
    draft = drafts[-1] if drafts else 0
    if not any(draft < i < approved for i in lookups):
        turn = sum(1 for i, _ in said if i <= approved)
        return (
            f"the editor approved at turn {turn}, but nobody had checked the draft it approved: the "
            "fact-checker looked it up only after the verdict. In round robin the agents speak in the "
            "order you list them: who must read a draft before the editor decides?"
        )
    return None


@exercise(
    "00.2",
    "your first cell",
    expects="the result your %%agentteam cell kept with --out (a TeamResult)",
    right=("each agent you declared spoke once, in the order of its line: your cell made a team of its own."),
)
def your_first_cell(answer: Any) -> str | None:
    result = result_of(answer)
    if tuple(result.participants) == NEWSROOM:
        return "that is the newsroom: declare a team of your own, one 'name: role' line per agent."
    speakers = [m.source for _, m in _said(result)]
    spoke = list(dict.fromkeys(speakers))
    if len(spoke) < 3:
        return (
            f"{len(spoke)} agent{'s' if len(spoke) != 1 else ''} spoke ({', '.join(spoke) or 'none'}): "
            "declare at least three, one 'name: role' line each, above the '---' line."
        )
    twice = sorted({s for s in speakers if speakers.count(s) > 1})
    if twice:
        return (
            f"{', '.join(twice)} spoke more than once: with --max-turns equal to the number of agents, "
            "each speaks exactly once."
        )
    return None


question(
    "00.a",
    "Why did the newsroom get the site's size right when the lone writer did not?",
    wrong(
        "The newsroom's writer was a better model.", "It was the same writer, played by the same function."
    ),
    right(
        "A fact-checker with a tool compared the draft with the archive, and the editor acted on what it "
        "found.",
        "Right: the work was split and checked. Same model, better process.",
    ),
    wrong(
        "The team took more turns, so it had more tries.",
        "More tries without a check only repeat the mistake.",
    ),
)
question(
    "00.b",
    "What does a run's `result.messages` hold?",
    wrong("Only what the agents said.", "That is `result.chat()`. The record holds more."),
    right(
        "Every event: who spoke and why, each tool call and its result, and why the run stopped.",
        "Right: everything else (the chat, the trace, checkpoints, evals) is read from these events.",
    ),
    wrong(
        "The model's hidden reasoning.", "Only what the model sent back is recorded, not how it got there."
    ),
)
question(
    "00.c",
    "Why does every lesson name its model (`model=desk`)?",
    wrong(
        "A team without a model cannot run.",
        "It can: it uses the default model, a live one if you set one up.",
    ),
    right(
        "Without it the default model answers, possibly a live one, and the run would change every time.",
        "Right: a named offline model makes the lesson run the same way as the saved copy.",
    ),
    wrong("Named models are faster.", "Speed has nothing to do with it; repeatability does."),
)
