"""Lesson 01's exercises (a first team): graded from the runs' events, never from what was said.

01.1 reads where a fourth agent's turns fall between drafts and verdicts, 01.2 which message
ended a run, 01.3 runs the student's function on runs it has not seen (built here, offline),
and 01.4 looks at the tool result the student found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentnb.apps.demo import NEWSROOM_TASK, newsroom
from agentnb.core.agent import Agent
from agentnb.core.events import USER, TextMessage, ToolCalls, ToolResult
from agentnb.core.result import TeamResult
from agentnb.core.team import Team
from agentnb.core.tools import tool
from agentnb.course.checks import exercise, returned_nothing
from agentnb.course.lesson02 import result_of
from agentnb.course.quiz import question, right, wrong
from agentnb.models.scripted import ScriptedModel, call


def _said(result: TeamResult) -> list[TextMessage]:
    return [m for m in result.chat() if m.source != USER]


@exercise(
    "01.1",
    "a fourth agent",
    expects="the result of the run with the illustrator (a TeamResult)",
    right=(
        "the illustrator spoke between each draft and the editor's verdict on it, because round robin"
        " follows the order of the list."
    ),
)
def a_fourth_agent(answer: Any) -> str | None:
    result = result_of(answer)
    if "illustrator" not in result.participants:
        return (
            f"the team's participants are {', '.join(result.participants)}: put the illustrator agent in "
            "the list you give Team(...)."
        )
    said = _said(result)
    for turn, message in enumerate(said, start=1):
        if message.source != "editor":
            continue
        since_draft: list[str] = []
        for earlier in reversed(said[: turn - 1]):
            if earlier.source == "poet":
                break
            since_draft.append(earlier.source)
        if "illustrator" not in since_draft:
            return (
                f"the editor judged a draft at turn {turn} before the illustrator had suggested a picture "
                "for it. In round robin the agents speak in the order you list them: where must the "
                "illustrator be, between the poet and the editor?"
            )
    if not result.stop_reason.startswith("editor said 'APPROVED'"):
        return f"the run ended with {result.stop_reason!r}: let it run until the editor says APPROVED."
    return None


@exercise(
    "01.2",
    "stop on praise",
    expects="the result of your run (a TeamResult)",
    right=(
        "the run ended on the critic's 'better' and on nobody else's: TextMention listens only to the"
        " sources you gave it."
    ),
)
def stop_on_praise(answer: Any) -> str | None:
    result = result_of(answer)
    said = _said(result)
    last = said[-1] if said else None
    if last is None or "better" not in last.content or not result.stop_reason.endswith("'better'"):
        return (
            f"the run stopped with {result.stop_reason!r}, not on the word 'better': give the team "
            "stop=TextMention('better', ...)."
        )
    if last.source != "critic":
        return (
            f"the run stopped when the {last.source} said 'better' (turn {len(said)}), but only the critic's "
            "praise should stop it: TextMention(text, sources=[...]) listens to those participants only."
        )
    return None


@tool(blocking=False)
def rhymes(word: str) -> list[str]:
    """Words that rhyme with a word."""
    return [f"{word[:-1]}ay", f"{word[:-1]}ow"]


def practice_runs() -> list[tuple[str, TeamResult, list[str]]]:
    """(what happened, the run, the poet's messages) for runs the student has not seen."""
    quoted = Team(
        [Agent("poet"), Agent("critic")],
        max_turns=3,
        model=ScriptedModel(
            {
                "poet": ["Snow on the river", "Snow on the river\nsilent as a held breath"],
                "critic": ["The poet should add a second line to 'Snow on the river'."],
            }
        ),
    ).run_sync("Write a poem about snow.")
    with_tool = Team(
        [Agent("poet", tools=[rhymes]), Agent("editor")],
        max_turns=2,
        model=ScriptedModel(
            {
                "poet": [call("rhymes", word="snow"), "Falling soft and slow,\nthe garden wears the snow."],
                "editor": ["APPROVED"],
            }
        ),
    ).run_sync("A couplet about snow, please.")
    no_poet = newsroom("scripted:newsroom").run_sync(NEWSROOM_TASK)
    return [
        (
            "the critic quoted the poet",
            quoted,
            ["Snow on the river", "Snow on the river\nsilent as a held breath"],
        ),
        ("the poet used a tool first", with_tool, ["Falling soft and slow,\nthe garden wears the snow."]),
        ("nobody called poet took part (the newsroom)", no_poet, []),
    ]


@exercise(
    "01.3",
    "only the drafts",
    expects="your function poet_drafts(result)",
    right=(
        "on three runs you had not seen (a critic quoting the poet, a tool call first, no poet at "
        "all) it kept exactly the poet's texts, in order: who spoke is message.source, not what the "
        "text says."
    ),
)
def only_the_drafts(answer: Any) -> str | None:
    if not callable(answer):
        raise TypeError(f"got {type(answer).__name__}, not a function")
    function: Callable[[TeamResult], Any] = answer
    for story, result, expected in practice_runs():
        got = function(result)
        nothing = returned_nothing(got, "the list of the poet's texts")
        if nothing:
            return nothing
        got_list = list(got)
        if got_list != expected:
            if any(isinstance(g, TextMessage) for g in got_list):
                return "your function returns messages; return their text (message.content), in order."
            return (
                f"on a run where {story}, your function returned {len(got_list)} item"
                f"{'s' if len(got_list) != 1 else ''} ({_short(got_list)}), but the poet said "
                f"{_short(expected)}. Look at who said each message of result.chat() (message.source)."
            )
    return None


def _short(items: list[Any]) -> str:
    text = repr(items)
    return text if len(text) <= 120 else text[:117] + "..."


@exercise(
    "01.4",
    "read the tools",
    expects="the ToolResult event that brought the site's real size",
    right=(
        "this search_archive result holds the planning report, the archive's only entry with the "
        "site's size (14 acres)."
    ),
)
def read_the_tools(answer: Any) -> str | None:
    if isinstance(answer, ToolCalls):
        return "that is the fact-checker's call (what it asked); its result is a ToolResult event after it."
    if isinstance(answer, TextMessage):
        return f"that is what {answer.source} said; pass the tool's answer, a ToolResult event."
    if not isinstance(answer, ToolResult):
        raise TypeError(f"got {type(answer).__name__}")
    if answer.name != "search_archive":
        return f"that is a result of {answer.name}; the newsroom's tool is search_archive."
    if "14 acres" not in answer.content:
        return (
            "this search returned entries about other things, nothing about the site's size: look at the "
            "other search_archive result."
        )
    return None


question(
    "01.a",
    'A round-robin team has `max_turns=10` and `until="APPROVED"`. The editor says APPROVED in turn 6. '
    "How many turns does the run take?",
    wrong("10", "max_turns is a limit, not a target."),
    right("6", "Right: a run ends as soon as any of its stop conditions is met."),
    wrong("7", "The reply that met the condition is the last turn; nobody speaks after it."),
)
question(
    "01.b",
    '`stop=TextMention("better", sources=["critic"]) & TextMention("APPROVED")` stops the run when...',
    wrong("either text is said.", "That is `|` (or). `&` waits for both."),
    right(
        "both have been said, in any order (the first by the critic).",
        "Right: `&` is met once both conditions have been met, whenever each was.",
    ),
    wrong(
        "the critic says both words in one message.",
        "Each condition is met on its own, by any message it accepts.",
    ),
)
question(
    "01.c",
    "What is the difference between `await team.run(task)` and `team.run_sync(task)`?",
    wrong("`run_sync` uses a simpler model.", "Both run the same team on the same model."),
    right(
        "None in what happens: `await` in a notebook or async code, `run_sync` anywhere, scripts included.",
        "Right: the same run, the same result; only how your code waits for it differs.",
    ),
    wrong("`run_sync` does not record events.", "Every run records its events, however it was started."),
)
