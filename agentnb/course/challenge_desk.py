"""The final challenge's offline newsroom: six stories' archive, and a stand-in that plays any team.

The stories (their archive entries, facts and the sentence a writer makes) are data, in
``challenge_stories.toml`` beside this module; `STORIES` and `ARCHIVE` are read from it.

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
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
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


def read_stories() -> tuple[Story, ...]:
    """The assignments, from ``challenge_stories.toml`` beside this module (data: add a story there)."""
    text = resources.files("agentnb.course").joinpath("challenge_stories.toml").read_text(encoding="utf-8")
    return tuple(
        Story(
            key=story["key"],
            topic=story["topic"],
            entries=tuple(story["entries"]),
            facts=tuple(
                Fact(fact["name"], fact["value"], tuple(fact["wrong"]), fact["pattern"])
                for fact in story["facts"]
            ),
            sentence=story["sentence"],
        )
        for story in tomllib.loads(text)["story"]
    )


STORIES = read_stories()
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
