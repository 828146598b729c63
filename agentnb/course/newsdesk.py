"""The capstone's offline newsroom: an archive, and a stand-in model that plays every desk.

Lesson 08 runs its newsroom on `newsdesk` when it is not live, and its grader runs the same
newsroom. The stand-in has no script: each desk does its job with what its request holds,
as a careful model would. The planner plans for whoever is in the team; the researcher
answers from its memory note when that has the site's size, and otherwise searches the
archive and remembers what it found (when it has a memory); the writer takes the numbers
it was given, or writes the size from its own head (12 acres: wrong) when it was given
none; the fact-checker looks up each number and quote of the draft in the archive and cites
what it found; the editor publishes what was cleared and holds the rest.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import Field

from agentnb.core.model import ModelRequest
from agentnb.core.modes.planner import DraftStep, PlanDraft
from agentnb.core.tools import tool
from agentnb.models.scripted import FunctionModel, call

ARCHIVE = [
    "2009-06-30 Harmon rail yard closes after 80 years of freight service.",
    "2026-03-02 Planning report: the Harmon rail yard site covers 14 acres on the east side.",
    "2026-10-14 State parks grant of $3.9 million awarded for the Harmon rail yard project.",
    "2026-11-17 Council minutes: motion to turn the Harmon rail yard into a park passes 7-2.",
    "2026-11-17 Council member Dana Ortiz: 'a promise kept to the east side'.",
]
DESKS = ("researcher", "reporter", "writer", "fact_checker", "editor")
BACKGROUND = "Find the facts and figures about the Harmon rail yard site"
ACRES = re.compile(r"(\d+)[ -]acres?")
VOTE = re.compile(r"(?<![\d-])\d{1,2}-\d{1,2}(?![\d-])")  # 7-2, not a date's 11-17


@tool(blocking=False)
def search_archive(
    query: Annotated[str, "Keywords to look for, e.g. 'rail yard acres'"],
    limit: Annotated[int, Field(ge=1, le=5), "How many entries to return, 1 to 5"] = 3,
) -> list[str]:
    """Search the newspaper's archive; the best-matching dated entries come first."""
    words = [w.lower() for w in query.split() if len(w) > 2]
    ranked = sorted(ARCHIVE, key=lambda entry: -sum(w in entry.lower() for w in words))
    return [entry for entry in ranked[:limit] if any(w in entry.lower() for w in words)]


def plan_for(participants: list[str]) -> PlanDraft:
    """Background and a quote in parallel (and a step for every other desk), then write, check, publish."""
    extra = [name for name in participants if name not in DESKS]
    steps = [
        DraftStep(id="background", description=BACKGROUND, assignee="researcher"),
        DraftStep(id="quote", description="Find a quote for the story", assignee="reporter"),
        *(
            DraftStep(id=name, description=f"Your part of the story, as the {name}", assignee=name)
            for name in extra
        ),
        DraftStep(
            id="draft",
            description="Write the story, at most 80 words, from the research",
            assignee="writer",
            depends_on=["background", "quote"],
        ),
        DraftStep(
            id="check",
            description="Check every number of the draft against the archive",
            assignee="fact_checker",
            depends_on=["draft"],
        ),
        DraftStep(
            id="publish",
            description="Publish the story with a headline if it was cleared",
            assignee="editor",
            depends_on=["check", "draft", *extra],
        ),
    ]
    kept = [s for s in steps if s.assignee in participants]
    ids = {s.id for s in kept}
    return PlanDraft(
        steps=[s.model_copy(update={"depends_on": [d for d in s.depends_on if d in ids]}) for s in kept]
    )


def _step(request: ModelRequest) -> str:
    """The step message a plan-mode agent is given (its step and the results it builds on)."""
    return next(
        (
            m["content"]
            for m in reversed(request.messages)
            if str(m.get("content", "")).startswith("Your step")
        ),
        "",
    )


def _tool_results(request: ModelRequest, name: str) -> list[str]:
    calls = {c["id"]: c["function"]["name"] for m in request.messages for c in m.get("tool_calls") or ()}
    return [
        m["content"]
        for m in request.messages
        if m["role"] == "tool" and calls.get(m.get("tool_call_id")) == name
    ]


def _offered(request: ModelRequest) -> set[str]:
    return set(request.tool_names())


def researcher(request: ModelRequest) -> Any:
    remembered = ACRES.search(request.messages[0]["content"])  # the memory note joins the system prompt
    if remembered:
        return f"From memory: the Harmon rail yard site covers {remembered.group(1)} acres."
    found = _tool_results(request, "search_archive")
    if not found:
        if "search_archive" not in _offered(request):
            return "I have no archive to search, and nothing in my notes."
        return call("search_archive", query="Harmon rail yard acres")
    entries = [e for e in json.loads(found[-1]) if ACRES.search(e)] if found[-1].startswith("[") else []
    if entries and "remember" in _offered(request) and not _tool_results(request, "remember"):
        return call(
            "remember", fact=entries[0][11:], why="later stories about the park will need the site's size"
        )
    return "Background: " + (" ".join(entries) or "nothing in the archive about the site's size.")


def writer(request: ModelRequest) -> str:
    given = _step(request)
    size = ACRES.search(given)
    acres = size.group(1) if size else "12"  # with no number given, it writes one from its own head
    quote = re.search(r"'([^']+)'", given)
    said = f' Council member Dana Ortiz called it "{quote.group(1)}".' if quote else ""
    task = request.messages[1]["content"].lower()
    if "tree" in task:
        return f"The first trees went into the ground at the {acres}-acre Harmon park on Saturday.{said}"
    return f"The council voted 7-2 to turn the {acres}-acre Harmon rail yard into a park.{said}"


def lookups(draft: str) -> list[str]:
    """What a careful fact-checker looks up for a draft: the size, and the vote and quote it gives."""
    wanted = ["Harmon rail yard acres"]
    vote = VOTE.search(draft)
    if vote:
        wanted.append(f"council vote {vote.group()}")
    if "Ortiz" in draft:
        wanted.append("Dana Ortiz promise")
    return wanted


def fact_checker(request: ModelRequest) -> Any:
    """Looks up each thing the draft claims, then says REVISE (and why) or CLEARED (and from what)."""
    draft = _step(request)
    found = _tool_results(request, "search_archive")
    wanted = lookups(draft)
    if len(found) < len(wanted):
        return call("search_archive", query=wanted[len(found)])
    entries = [entry for result in found if result.startswith("[") for entry in json.loads(result)]
    size = ACRES.search(draft)
    archive = next((hit for e in entries if (hit := ACRES.search(e))), None)
    if size and archive and size.group(1) != archive.group(1):
        return f"REVISE: the draft says {size.group(1)} acres; the planning report says {archive.group(1)}."
    vote = VOTE.search(draft)
    missing = [vote.group()] if vote and not any(vote.group() in e for e in entries) else []
    if size and not archive:
        missing.append(f"{size.group(1)} acres")
    if missing:
        return f"REVISE: the archive does not give {' or '.join(missing)}; cut it or find a source."
    sources = "; ".join(dict.fromkeys(e[:10] for e in entries if _cited(e, draft)))
    return f"CLEARED: every number and quote of the draft is in the archive ({sources})."


def _cited(entry: str, draft: str) -> bool:
    """Whether the draft uses this archive entry: its size, its vote or its quote."""
    size, vote, quote = ACRES.search(entry), VOTE.search(entry), re.search(r"'([^']+)'", entry)
    drafted = ACRES.search(draft)
    return bool(
        (size and drafted and size.group(1) == drafted.group(1))
        or (vote and vote.group() in draft)
        or (quote and quote.group(1) in draft)
    )


def editor(request: ModelRequest) -> str:
    given = _step(request)
    if "CLEARED" not in given and "check:" in given:
        return "HELD: the fact-checker did not clear the draft."
    draft = re.search(r"- draft: (.+)", given)
    return f"PUBLISHED: Harmon park news\n\n{draft.group(1) if draft else ''}".strip()


def reply(request: ModelRequest) -> Any:
    """What each desk says next, from what its request holds."""
    if request.agent == "planner":
        roles = request.messages[-1]["content"]
        return plan_for(re.findall(r"^- ([\w-]+):", roles, flags=re.M))
    if request.agent == "reporter":
        return "Quote: Council member Dana Ortiz: 'a promise kept to the east side'."
    desks = {"researcher": researcher, "writer": writer, "fact_checker": fact_checker, "editor": editor}
    desk = desks.get(request.agent)
    return desk(request) if desk is not None else f"The {request.agent}'s part is done."


def newsdesk() -> FunctionModel:
    """The stand-in model that plays every desk of the capstone's newsroom."""
    return FunctionModel(reply, name="function:newsdesk")
