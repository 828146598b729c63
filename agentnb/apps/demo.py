"""The newsroom from the README: a writer, a fact-checker with a search tool, an editor, a publisher.

`newsroom` is built for the model it runs on, the tiny embedded one included. A 135M model
writes fluent sentences but cannot judge, copies whatever is longest in its prompt, and
loops; what it does reliably is fill in JSON under a schema. So the team keeps each choice
small and grounded, and the structure does the rest:

- a graph, not an open round: writer → fact-checker → editor → writer (REVISE) or
  publisher (APPROVED);
- each agent sees only what its job needs (`Latest`): the task and its colleagues'
  latest messages, never a long history to copy;
- each request is narrowed to what the conversation allows, just before the model
  call (``Agent(prepare=...)``): the search query is a phrase of the
  draft, the fact-checker may cite only what the search returned, the editor's verdict
  follows the fact-check, the publisher prints the approved story as it is;
- a story sent back is written again from the archive entries the fact-checker found
  (``revise_request``), not from its report or the old draft.

The built-in script ``scripted:newsroom`` plays the older four-agent round robin that the
lessons use (`round_robin_newsroom`). The archive and the readings of the conversation are
in `agentnb.apps.newsroom_reading`, the replies and narrowed requests in
`agentnb.apps.newsroom_desk`.
"""

from __future__ import annotations

from agentnb.apps.newsroom_desk import (
    FactCheck,
    Publication,
    Verdict,
    check_request,
    publish_request,
    revise_request,
    verdict_request,
)
from agentnb.apps.newsroom_reading import ARCHIVE, Latest, backs, phrases, search_archive, sentences
from agentnb.core.agent import Agent
from agentnb.core.model import Model
from agentnb.core.team import Team

# Lessons and tests import the archive and its readings from here, where the team is.
__all__ = [
    "ARCHIVE",
    "NEWSROOM_TASK",
    "backs",
    "newsroom",
    "phrases",
    "round_robin_newsroom",
    "search_archive",
    "sentences",
]

NEWSROOM_TASK = (
    "Write a news story of at most 80 words on the Riverside city council's vote to turn "
    "the old Harmon rail yard into a public park."
)

# ----- the teams ---------------------------------------------------------------------------------


def newsroom(model: Model | str | None = None, *, max_turns: int = 12, seed: int = 0) -> Team:
    """The newsroom for ``model``: the graph team below, or the round robin for its own script.

    ``seed`` varies the sampled replies of models that sample (the embedded one).
    """
    if _is_the_newsroom_script(model):
        return round_robin_newsroom(model, max_turns=max_turns)
    sampled = {"temperature": 0.6, "seed": seed}
    writer = Agent(
        "writer",
        "You are a news writer. Write a short news story (three short sentences) for the assignment.",
        description="Writes and revises news stories.",
        context=Latest("editor", "fact_checker"),
        prepare=revise_request,
        model_settings={**sampled, "repeat_penalty": 1.1, "max_tokens": 110},
    )
    checker = Agent(
        "fact_checker",
        "You are a fact-checker. Search the archive for words of the draft, then cite for each "
        "sentence the archive entry that backs it.",
        description="Checks each sentence of a draft against the archive.",
        tools=[search_archive],
        max_tool_iterations=2,
        output_type=FactCheck,
        context=Latest("writer"),
        prepare=check_request,
        model_settings=sampled,
    )
    editor = Agent(
        "editor",
        "You are the editor. Approve a story whose sentences the archive backs; send it back when "
        "it does not.",
        description="Approves stories or sends them back.",
        output_type=Verdict,
        context=Latest("fact_checker", task=False),
        prepare=verdict_request,
        model_settings=sampled,
    )
    publisher = Agent(
        "publisher",
        "You are the publisher. Give the approved story a headline of at most eight words.",
        description="Publishes approved stories.",
        output_type=Publication,
        context=Latest("writer", "fact_checker", task=False),
        prepare=publish_request,
        model_settings=sampled,
    )
    return Team(
        [writer, checker, editor, publisher],
        mode="graph",
        edges=[
            ("writer", "fact_checker"),
            ("fact_checker", "editor"),
            ("editor", "writer", {"verdict": "REVISE"}),
            ("editor", "publisher", {"verdict": "APPROVED"}),
        ],
        name="newsroom",
        until="PUBLISHED",
        max_turns=max_turns,
        model=model,
    )


def round_robin_newsroom(model: Model | str | None = None, *, max_turns: int = 12) -> Team:
    """The four agents in turn until the publisher says PUBLISHED: the shape ``scripted:newsroom`` plays."""
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
        model=model,
    )


def _is_the_newsroom_script(model: Model | str | None) -> bool:
    if model is None:
        from agentnb.models import describe_default

        model = describe_default().spec
    name = model if isinstance(model, str) else getattr(model, "name", "")
    return name.strip() in ("scripted:newsroom", "scripted")
