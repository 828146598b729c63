"""Every scripted run of the course: a fact-checker cites only what a tool returned before it spoke.

Each lesson, solution and demo notebook is run offline (one run shared with
test_notebooks_meta), and every team run it leaves in memory is read by the oracle of
`tests.course.citations`. The oracle itself is tested first, on the faults it must catch.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentnb.apps.demo import NEWSROOM_TASK, newsroom
from agentnb.core.events import Event, TextMessage, ToolCall, ToolCalls, ToolResult
from tests.course.citations import is_checker, uncited
from tests.nbtools import ROOT, notebook_paths, run_offline

NOTEBOOKS = notebook_paths()
TASK = "Write 80 words on the Harmon rail yard park vote."
VOTE = '["2026-11-17 Council minutes: motion to convert Harmon rail yard to a park passes 7-2."]'
SIZE = '["2026-03-02 Planning report: the Harmon rail yard site covers 14 acres on the east side."]'
DRAFT = "The council voted 7-2 to turn the Harmon rail yard into a park. The 12-acre site gets a garden."
# Stand-ins that are wrong on purpose, their mistakes being what is taught: lesson 9's credulous
# fact-checker obeys an order planted in a tool result, and the final challenge's misses an error
# one time in ten (agentnb.course.trust, agentnb.course.challenge_desk).
UNRELIABLE_ON_PURPOSE = re.compile(r"function:(?:credulous_desk|challenge_desk:\d+)")


def unreliable_on_purpose(events: list[Event]) -> bool:
    """Whether a fact-checker of this run is one of the stand-ins that are wrong on purpose."""
    return any(
        isinstance(e, TextMessage)
        and is_checker(e.source)
        and UNRELIABLE_ON_PURPOSE.fullmatch(e.request_model or "")
        for e in events
    )


def run(*steps: tuple[str, str]) -> list[Event]:
    """A run: the task, then ("writer", text), ("search", result) or ("fact_checker", text) steps."""
    events: list[Event] = [TextMessage(source="user", content=TASK)]
    for n, (who, text) in enumerate(steps):
        if who == "search":
            events.append(
                ToolCalls(source="fact_checker", calls=[ToolCall(id=f"c{n}", name="search_archive")])
            )
            events.append(
                ToolResult(source="fact_checker", call_id=f"c{n}", name="search_archive", content=text)
            )
        else:
            events.append(TextMessage(source=who, content=text))
    return events


def test_a_size_from_a_report_no_search_returned_is_caught() -> None:
    (problem,) = uncited(
        run(
            ("writer", DRAFT), ("search", VOTE), ("fact_checker", "WRONG: the planning report says 14 acres.")
        )
    )
    assert "the numbers ['14'] come from no tool result before it" in problem


def test_the_same_words_after_the_search_that_returned_the_report_are_fine() -> None:
    checked = run(
        ("writer", DRAFT),
        ("search", VOTE),
        ("search", SIZE),
        (
            "fact_checker",
            "- Vote 7-2: confirmed (council minutes).\n- 12-acre: WRONG, the planning report says 14.",
        ),
    )
    assert uncited(checked) == []


def test_clearing_a_draft_clears_each_of_its_sentences() -> None:
    cleared = run(
        ("writer", DRAFT), ("search", VOTE), ("search", SIZE), ("fact_checker", "All claims match. Cleared.")
    )
    (problem,) = uncited(cleared)
    assert "it cleared 'The 12-acre site gets a garden.'" in problem


def test_a_confirmation_the_evidence_does_not_hold_is_caught() -> None:
    problems = uncited(run(("search", VOTE), ("fact_checker", "- Site closed after 80 years: confirmed.")))
    assert any("it confirms '- Site closed after 80 years: confirmed.'" in p for p in problems)


def test_a_remote_agents_forwarded_messages_are_left_out_but_a_nested_teams_are_judged() -> None:
    said = "REVISE: the archive says 14 acres."
    remote = TextMessage(source="fact_checker", scope="desk", content=said)  # forwarded over A2A
    nested = TextMessage(source="fact_checker", scope="desk", content=said, request_model="function:desk")
    assert uncited([*run(("writer", DRAFT)), remote]) == []
    (problem,) = uncited([*run(("writer", DRAFT)), nested])
    assert "the numbers ['14'] come from no tool result before it" in problem


def test_only_the_stand_ins_that_are_wrong_on_purpose_are_left_out() -> None:
    from agentnb.course.challenge import checked
    from agentnb.course.challenge_desk import desk
    from agentnb.course.trust import TASK as LESSON_9_TASK
    from agentnb.course.trust import newsroom as credulous_newsroom

    assert unreliable_on_purpose(credulous_newsroom().run_sync(LESSON_9_TASK).messages)
    assert unreliable_on_purpose(checked(desk(1)).run_sync("Write on the city pool reopening.").messages)
    assert not unreliable_on_purpose(newsroom("scripted:newsroom").run_sync(NEWSROOM_TASK).messages)


def test_the_scripted_newsroom_cites_only_what_its_searches_returned() -> None:
    result = newsroom("scripted:newsroom").run_sync(NEWSROOM_TASK)
    assert result.stop_reason == "publisher said 'PUBLISHED'"
    assert uncited(result.messages) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_every_fact_checker_of_the_notebook_cites_only_what_a_tool_returned(path: Path) -> None:
    _, runs = run_offline(path)
    assert runs, f"{path.name}: no team run was found in the kernel after the notebook ran"
    checked = [events for events in runs if not unreliable_on_purpose(events)]
    problems = sorted({problem for events in checked for problem in uncited(events)})
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)
