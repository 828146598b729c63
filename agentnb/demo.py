"""The newsroom team from the README: writer, fact-checker (with a tool), editor, publisher."""

from __future__ import annotations

from typing import Annotated

from agentnb.agent import Agent
from agentnb.team import Team
from agentnb.tools import tool

ARCHIVE = [
    "2009-06-30 Harmon rail yard closes after 80 years of freight service.",
    "2026-03-02 Planning report: the Harmon rail yard site covers 14 acres on the east side.",
    "2026-10-14 State parks grant of $3.9 million awarded for the Harmon rail yard project.",
    "2026-11-17 Council minutes: motion to convert Harmon rail yard to a park passes 7-2; "
    "total budget $4.5 million.",
    "2026-11-17 Council member Dana Ortiz: 'a promise kept to the east side'.",
    "2025-08-21 Riverside library extends weekend opening hours.",
]

NEWSROOM_TASK = (
    "Write a news story of at most 80 words on the Riverside city council's vote to turn "
    "the old Harmon rail yard into a public park."
)


@tool(blocking=False)
def search_archive(
    query: Annotated[str, "Keywords to look for, e.g. 'rail yard vote'"],
    limit: Annotated[int, "How many entries to return at most"] = 3,
) -> list[str]:
    """Search the newspaper's archive and return the best-matching dated entries."""
    words = {w.lower().strip(".,'\"") for w in query.split() if len(w) > 2}
    scored = sorted(
        ARCHIVE,
        key=lambda entry: -sum(w in entry.lower() for w in words),
    )
    return [entry for entry in scored[:limit] if any(w in entry.lower() for w in words)]


def newsroom(model: object = None, *, max_turns: int = 12) -> Team:
    """The four-agent newsroom, round robin, until the publisher says PUBLISHED."""
    writer = Agent(
        "writer",
        "You are a news writer. Write short, factual stories; when an editor asks for "
        "changes, send a revised draft.",
        description="Writes and revises news stories.",
    )
    checker = Agent(
        "fact_checker",
        "You are a fact-checker. Check every claim in the latest draft with search_archive "
        "and list each claim as confirmed or wrong.",
        description="Checks claims against the archive.",
        tools=[search_archive],
    )
    editor = Agent(
        "editor",
        "You are the editor. Ask for revisions (say REVISE) until the story is accurate and "
        "under 80 words; then say APPROVED.",
        description="Edits and approves stories.",
    )
    publisher = Agent(
        "publisher",
        "You are the publisher. Publish only approved stories: reply with PUBLISHED and the "
        "headline once the editor has approved; otherwise say you are holding it.",
        description="Publishes approved stories.",
    )
    return Team(
        [writer, checker, editor, publisher],
        mode="round_robin",
        name="newsroom",
        until="PUBLISHED",
        max_turns=max_turns,
        model=model,  # type: ignore[arg-type]
    )
