"""The final challenge's offline newsroom: six stories' archive, and a stand-in that plays any team.

`desk(seed)` is a model that plays the desks it knows by name, in any team mode: a
``researcher`` (searches the archive when it has ``search_archive``), a ``writer``, a
``fact_checker`` and an ``editor``, plus the ``planner`` of plan mode and the ``selector``.
Other agents say their part is done. Like a live model it is unreliable, with dice you can
read and a seed that fixes them:

- the writer uses the facts in its context (research, search results, the checker's
  corrections); for a fact it was not given it writes a number from its own head, right about
  one time in three; even with the facts in front of it, it miscopies one in twelve;
- the fact-checker with ``search_archive`` compares each fact of the latest draft with the
  archive and sends the wrong ones back, missing an error one time in ten; without the tool
  it cannot check, and clears whatever it reads;
- the editor publishes the latest draft once the fact-checker cleared it (at once, in a team
  without one), and holds it otherwise.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentnb.core.model import ModelRequest
from agentnb.core.modes.planner import DraftStep, PlanDraft
from agentnb.core.tools import tool
from agentnb.models.scripted import FunctionModel, call


@dataclass(frozen=True)
class Fact:
    """One fact of a story: its name, its value, wrong values a writer makes up, and how to find it."""

    name: str
    value: str
    wrong: tuple[str, ...]
    pattern: str  # a regex whose group 1 is the value, in archive entries and drafts


@dataclass(frozen=True)
class Story:
    """An assignment's topic: the archive entries about it, its facts, and the sentence a writer makes."""

    key: str
    topic: str
    entries: tuple[str, ...]
    facts: tuple[Fact, ...]
    sentence: str  # with {fact name} placeholders

    def written(self, values: dict[str, str]) -> str:
        return self.sentence.format(**values)


STORIES = (
    Story(
        "park",
        "Harmon rail yard park",
        (
            "2026-03-02 Planning report: the Harmon rail yard site covers 14 acres.",
            "2026-11-17 Council minutes: the Harmon rail yard park passes 7-2.",
            "2026-10-14 A state grant of 3.9 million pays for the Harmon rail yard park.",
        ),
        (
            Fact("acres", "14", ("12", "16", "20"), r"(\d+)[- ]acres?"),
            Fact("vote", "7-2", ("6-3", "8-1", "5-4"), r"\b(\d-\d)\b"),
            Fact("grant", "3.9", ("4.5", "2.9", "3.2"), r"(\d+\.\d+) million"),
        ),
        "The council voted {vote} to turn the {acres}-acre Harmon rail yard into a park, paid for by a "
        "{grant} million state grant.",
    ),
    Story(
        "library",
        "Riverside library hours",
        (
            "2026-09-01 The Riverside library will stay open until 9 pm, 6 days a week.",
            "2026-09-01 The longer library hours cost 120,000 a year.",
        ),
        (
            Fact("hour", "9", ("8", "10", "11"), r"until (\d+) pm"),
            Fact("days", "6", ("5", "7"), r"(\d+) days a week"),
            Fact("cost", "120,000", ("150,000", "90,000", "200,000"), r"(\d+,\d{3}) a year"),
        ),
        "The Riverside library will stay open until {hour} pm, {days} days a week, at a cost of {cost} a "
        "year.",
    ),
    Story(
        "bridge",
        "Mill Street bridge repairs",
        (
            "2026-02-10 The Mill Street bridge closes on March 3 for repairs.",
            "2026-02-10 The bridge repairs cost 2.4 million and take 8 months.",
        ),
        (
            Fact("day", "3", ("1", "10", "13"), r"March (\d+)"),
            Fact("cost", "2.4", ("3.1", "1.8", "4.2"), r"(\d+\.\d+) million"),
            Fact("months", "8", ("6", "10", "12"), r"(\d+) months"),
        ),
        "The Mill Street bridge closes on March {day} for {months} months of repairs costing {cost} million.",
    ),
    Story(
        "school",
        "school budget vote",
        (
            "2026-05-21 The school board passes the 31 million school budget 5-4.",
            "2026-05-21 The school budget pays for 12 new teachers.",
        ),
        (
            Fact("budget", "31", ("29", "33", "35"), r"(\d+) million school budget"),
            Fact("vote", "5-4", ("6-3", "4-5", "7-2"), r"\b(\d-\d)\b"),
            Fact("teachers", "12", ("10", "15", "20"), r"(\d+) new teachers"),
        ),
        "The school board passed the {budget} million school budget {vote}, with money for {teachers} new "
        "teachers.",
    ),
    Story(
        "market",
        "farmers market season",
        (
            "2026-04-02 The farmers market opens its season with 42 stalls.",
            "2026-04-02 The farmers market is open Saturdays from 8 am, starting April 11.",
        ),
        (
            Fact("stalls", "42", ("40", "45", "24"), r"(\d+) stalls"),
            Fact("hour", "8", ("7", "9", "10"), r"from (\d+) am"),
            Fact("day", "11", ("4", "18", "1"), r"April (\d+)"),
        ),
        "The farmers market opens on April {day} with {stalls} stalls, open Saturdays from {hour} am.",
    ),
    Story(
        "pool",
        "city pool reopening",
        (
            "2026-06-01 The city pool reopens on June 20 after a 1.6 million renovation.",
            "2026-06-01 The renovated city pool has 8 lanes.",
        ),
        (
            Fact("day", "20", ("15", "21", "30"), r"June (\d+)"),
            Fact("cost", "1.6", ("2.1", "1.2", "6.1"), r"(\d+\.\d+) million"),
            Fact("lanes", "8", ("6", "10", "12"), r"(\d+) lanes"),
        ),
        "The city pool reopens on June {day} after a {cost} million renovation, with {lanes} lanes.",
    ),
)
ARCHIVE = tuple(entry for story in STORIES for entry in story.entries)
WRITER_GUESS_RIGHT = 1 / 3  # a fact nobody gave it
MISCOPY = 1 / 12  # a fact it was given
CHECKER_MISSES = 1 / 10  # an error in the draft


@tool(blocking=False)
def search_archive(query: str) -> list[str]:
    """Search the newspaper's archive: entries that share a word with the query, best first (at most 4)."""
    words = {w.lower() for w in re.findall(r"[A-Za-z]{4,}", query)}
    scored = [(sum(w in entry.lower() for w in words), i) for i, entry in enumerate(ARCHIVE)]
    return [ARCHIVE[i] for score, i in sorted(scored, key=lambda s: (-s[0], s[1])) if score][:4]


def story_of(task: str) -> Story:
    """The assignment's story: the one whose topic shares the most words with the task."""
    words = set(re.findall(r"[a-z]{3,}", task.lower()))
    return max(STORIES, key=lambda s: len(words & set(re.findall(r"[a-z]{3,}", s.topic.lower()))))


def _task(request: ModelRequest) -> str:
    return next((str(m["content"]) for m in request.messages if m["role"] == "user" and "name" not in m), "")


def _context(request: ModelRequest) -> str:
    """Everything the request holds but the role: what others said, tool results, step results."""
    return "\n".join(str(m.get("content") or "") for m in request.messages[1:])


def _from(request: ModelRequest, name: str) -> str:
    """What ``name`` said last (a plan step's result counts too)."""
    said = [str(m["content"]) for m in request.messages if m.get("name") == name]
    if said:
        return said[-1]
    step = re.findall(rf"^- {name}: (.+)$", _context(request), flags=re.M)  # a plan step's result
    return step[-1] if step else ""


def _dice(seed: int, request: ModelRequest, *what: str) -> random.Random:
    """The same throw for the same seed, task and question."""
    return random.Random("/".join([str(seed), _task(request), *what]))


def _searched(request: ModelRequest) -> bool:
    return request.messages[-1]["role"] == "tool"


def researcher(seed: int, request: ModelRequest, story: Story) -> Any:
    if "search_archive" in request.tool_names() and not _searched(request):
        return call("search_archive", query=story.topic)
    found = [e for e in story.entries if e in _context(request)]
    if found:
        return "Research: " + " ".join(found)
    return "I have no archive to search; the writer will have to go from memory."


def writer(seed: int, request: ModelRequest, story: Story) -> Any:
    context = _context(request)
    if (
        "search_archive" in request.tool_names()
        and not _searched(request)
        and story.entries[0] not in context
    ):
        return call("search_archive", query=story.topic)
    corrections = dict(re.findall(r"(\w+) is (\d[\d.,-]*\d|\d)", _from(request, "fact_checker")))
    drafts = len(re.findall(r"^The ", context, flags=re.M))
    values = {}
    for fact in story.facts:
        dice = _dice(seed, request, "writer", fact.name, str(drafts))
        given = any(re.search(fact.pattern, e) and e in context for e in story.entries)
        if fact.name in corrections:
            values[fact.name] = corrections[fact.name]
        elif given:
            values[fact.name] = fact.value if dice.random() >= MISCOPY else dice.choice(fact.wrong)
        else:
            values[fact.name] = fact.value if dice.random() < WRITER_GUESS_RIGHT else dice.choice(fact.wrong)
    return story.written(values)


def fact_checker(seed: int, request: ModelRequest, story: Story) -> Any:
    if "search_archive" not in request.tool_names():
        return "CLEARED: the draft reads well (I have no archive to check it against)."
    if not _searched(request):
        return call("search_archive", query=story.topic)
    draft = _from(request, "writer")
    archive = " ".join(json.loads(request.messages[-1]["content"] or "[]"))
    wrong = []
    for fact in story.facts:
        truth = re.search(fact.pattern, archive)
        said = re.search(fact.pattern, draft)
        noticed = _dice(seed, request, "checker", fact.name, draft).random() >= CHECKER_MISSES
        if truth and said and said.group(1) != truth.group(1) and noticed:
            wrong.append(f"{fact.name} is {truth.group(1)}")
    if wrong:
        return "REVISE: the archive says " + "; ".join(wrong) + "."
    return "CLEARED: every fact of the draft is in the archive."


def editor(seed: int, request: ModelRequest, story: Story) -> Any:
    draft = _from(request, "writer")
    if not draft:
        return "Waiting for a draft."
    checked = _from(request, "fact_checker")
    checker_spoke = "fact_checker" in _context(request) or checked
    if checker_spoke and not checked.startswith("CLEARED"):
        return "HELD: the fact-checker has not cleared the draft."
    return f"PUBLISHED: {story.topic.capitalize()}\n\n{draft}"


DESKS = {"researcher": researcher, "writer": writer, "fact_checker": fact_checker, "editor": editor}
PIPELINE = ("researcher", "writer", "fact_checker", "editor")


def plan_for(participants: Sequence[str]) -> PlanDraft:
    """Research, then the draft, the check and the publishing, each after all the ones before it (so
    each reads their results); every other desk alongside."""
    chain = [name for name in PIPELINE if name in participants]
    steps = [
        DraftStep(
            id=name, description=f"Your part of the story, as the {name}", assignee=name, depends_on=chain[:i]
        )
        for i, name in enumerate(chain)
    ]
    extra = [name for name in participants if name not in PIPELINE]
    steps += [DraftStep(id=name, description=f"Your part, as the {name}", assignee=name) for name in extra]
    return PlanDraft(steps=steps)


def choose(request: ModelRequest) -> str:
    """The selector: research, draft, check, then the writer again on REVISE or the editor on CLEARED."""
    text = _context(request)
    allowed = re.findall(r"[\w-]+", text.rsplit("Reply with one of:", 1)[-1]) or list(PIPELINE)
    lines = [line.split(":", 1) for line in text.splitlines() if ":" in line]
    last = next((who.strip() for who, said in reversed(lines) if who.strip() in DESKS), "")
    said = next((said for who, said in reversed(lines) if who.strip() == last), "")
    if last == "fact_checker":
        wanted = ["writer"] if "REVISE" in said else ["editor"]
    elif last == "writer":
        wanted = ["fact_checker", "editor"]
    elif last == "researcher":
        wanted = ["writer"]
    else:
        wanted = ["researcher", "writer"]
    return next((name for name in wanted if name in allowed), allowed[0])


def desk(seed: int = 0) -> FunctionModel:
    """The stand-in model for the challenge: plays the desks it knows by name (see the module)."""

    def reply(request: ModelRequest) -> Any:
        if request.agent == "planner":
            return plan_for(re.findall(r"^- ([\w-]+):", _context(request), flags=re.M))
        if request.agent == "selector":
            return choose(request)
        play = DESKS.get(request.agent)
        if play is None:
            return f"The {request.agent}'s part is done."
        return play(seed, request, story_of(_task(request)))

    return FunctionModel(reply, name=f"function:challenge_desk:{seed}")
