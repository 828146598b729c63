"""Lesson 10's newsroom, as code that other processes import: the desks, their stand-in, the tools.

A team in production is code in a module, not cells in a notebook: a process that resumes a
stored run, a server that offers the team to MCP or A2A clients, and a CI job that evaluates it
all import the same function. This module is that code for the lesson's newsroom:

- `newsroom` (a writer, a fact-checker and an editor, in turn) writes a story, checks its
  numbers against the archive and publishes it with `publish`, a tool that needs the chief's
  approval; `checking_desk` (writer and fact-checker) is the part other newsrooms call;
- the **stand-in** (`stand_in`) plays every desk from what its request holds, so a run goes on
  the same in any process. The writer drafts from its own head (12 acres, 9 million: wrong)
  until a note gives it the archive's figures; the fact-checker searches with its first tool
  and compares the draft's acres and millions with what came back; the editor sends a story
  back (REVISE), publishes a cleared one (with ``publish`` if it has it, else in its reply), or
  holds one the chief rejected; an agent with another tool (a served desk) asks it for the
  story first. ``power_cut=True`` kills the process (SIGKILL, as ``kill -9`` does) just before
  the editor's model publishes, as a power cut or a killed container would.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Sequence
from typing import Annotated, Any

from agentnb.core.agent import Agent
from agentnb.core.model import ChatMessage, ModelRequest
from agentnb.core.team import Team
from agentnb.core.tools import tool
from agentnb.models.scripted import FunctionModel, call
from agentnb.protocols.examples.archive_entries import ARCHIVE

TASK = "Write two sentences on the council's vote on the riverside park."
BUDGET_TASK = "Write two sentences on what the riverside park will cost."
KILL = getattr(signal, "SIGKILL", signal.SIGTERM)  # what a power cut amounts to (Windows has no SIGKILL)
ACRES = re.compile(r"(\d+(?:\.\d+)?)[- ]acres?")
MILLIONS = re.compile(r"(\d+(?:\.\d+)?) million")
GUESSES = {"acres": "12", "millions": "9"}  # what the writer writes with no source: wrong
STAND_IN = "stand-in"  # desks' default model: the stand-in below


@tool
def search_archive(
    query: Annotated[str, "Words that must all appear in an entry"], limit: int = 3
) -> list[str]:
    """Search the newspaper archive for entries that mention every word of the query."""
    words = query.lower().split()
    found = [f"{e['date']} {e['text']}" for e in ARCHIVE if all(w in e["text"].lower() for w in words)]
    return found[:limit]


@tool(requires_approval=True)
def publish(headline: str, story: str) -> str:
    """Put a story on the paper's website under a headline."""
    return f"published: {headline}"


# ----- what a desk reads in its request ---------------------------------------------------------


def latest(messages: Sequence[ChatMessage], *agents: str) -> str:
    """The latest message any of ``agents`` wrote ('' if none)."""
    return next((str(m["content"]) for m in reversed(messages) if m.get("name") in agents), "")


def tool_texts(messages: Sequence[ChatMessage]) -> list[str]:
    """The text of every tool result in ``messages``, oldest first."""
    return [str(m.get("content", "")) for m in messages if m["role"] == "tool"]


def figures(text: str) -> dict[str, str]:
    """The site's size (acres) and the cost (millions) that ``text`` gives."""
    found = {}
    for key, pattern in (("acres", ACRES), ("millions", MILLIONS)):
        hit = pattern.search(text)
        if hit:
            found[key] = hit.group(1)
    return found


def task_of(messages: Sequence[ChatMessage]) -> str:
    """The assignment: the first message from the user."""
    return next((str(m["content"]) for m in messages if m["role"] == "user" and not m.get("name")), "")


def story_for(task: str, given: dict[str, str]) -> str:
    """The writer's story for ``task``, with the figures it was given (and guesses for the rest)."""
    known = {**GUESSES, **given}
    if "cost" in task:
        return f"The riverside park will cost {known['millions']} million. Construction starts in June."
    return (
        f"The council approved the {known['acres']}-acre riverside park, 7 votes to 2. "
        "Construction starts in June."
    )


# ----- the desks ----------------------------------------------------------------------------------


def writer(request: ModelRequest) -> str:
    """Drafts the story; takes the figures a REVISE note (or the chief's reason) gives."""
    note = latest(request.messages, "fact_checker", "editor")
    given = figures(note) if note.startswith("REVISE") else {}
    return story_for(task_of(request.messages), given)


def fact_checker(request: ModelRequest) -> Any:
    """Searches with its first tool, then compares the draft's acres and millions with the archive."""
    messages = request.messages
    if messages[-1]["role"] != "tool":
        if not request.tools:
            return "REVISE: I have no archive to search."
        return call(request.tool_names()[0], query="riverside park")
    draft = latest(messages, "writer")
    archive = figures(" ".join(tool_texts(messages)))
    wrong = {k: v for k, v in figures(draft).items() if k in archive and archive[k] != v}
    if wrong:
        said = " and ".join(f"{archive[k]} {'acres' if k == 'acres' else 'million'}" for k in wrong)
        return f"REVISE: the archive says {said}."
    return f"CLEARED: {draft}"


def verdict(messages: Sequence[ChatMessage]) -> str:
    """The latest CLEARED or REVISE from another participant ('' if none)."""
    return next(
        (
            str(m["content"])
            for m in reversed(messages)
            if m.get("name") and str(m["content"]).startswith(("CLEARED", "REVISE"))
        ),
        "",
    )


def editor(request: ModelRequest) -> Any:
    """Publishes what was cleared (with no fact-checker, what the writer wrote), sends the rest back,
    and asks a served desk (its one tool other than publish) for a checked story first."""
    messages = request.messages
    offered = request.tool_names()
    asks_a_desk = bool(offered) and offered[0] != "publish"
    if messages[-1]["role"] == "tool":
        answer = str(messages[-1]["content"])
        if answer.startswith("published: "):
            return f"PUBLISHED: {answer.removeprefix('published: ')}"
        if " rejected the call " in answer:
            reason = answer.split("They said:", 1)[1].strip() if "They said:" in answer else "no reason given"
            return f"REVISE: the chief rejected the story: {reason}"
        if asks_a_desk and answer.startswith("CLEARED: "):
            return f"PUBLISHED: {answer.removeprefix('CLEARED: ')}"
        return f"HELD: {answer}"
    if asks_a_desk:
        return call(offered[0], task=task_of(messages))
    checked = verdict(messages)
    if checked.startswith("REVISE"):
        return checked
    story = checked.removeprefix("CLEARED: ") or latest(messages, "writer")  # nobody checks on this desk
    if not story:
        return "REVISE: there is nothing to publish yet."
    if "publish" in offered:
        return call("publish", headline=re.split(r"\.\s", story)[0], story=story)
    return f"PUBLISHED: {story}"


DESKS = {"writer": writer, "fact_checker": fact_checker, "editor": editor}
BACKGROUND = (  # what a chatty writer adds to every draft: true, and paid for in every later request
    " Background: in March 2024 the city council approved the 14-acre riverside park, 7 votes to 2,"
    " and the planning report put its cost at 3.9 million."
)


def reply(request: ModelRequest) -> Any:
    """What the desk ``request.agent`` says next (an agent with another name plays the editor)."""
    return DESKS.get(request.agent, editor)(request)


def stand_in(*, power_cut: bool = False, chatty: bool = False) -> FunctionModel:
    """The model that plays every desk (see the module docstring); ``chatty``: the writer adds
    background to every draft (the same stories, more tokens)."""

    def play(request: ModelRequest) -> Any:
        answer = reply(request)
        if power_cut and isinstance(answer, dict) and answer.get("tool") == "publish":
            os.kill(os.getpid(), KILL)  # nothing is flushed or closed: the process is simply gone
        if chatty and request.agent == "writer":
            answer += BACKGROUND
        return answer

    return FunctionModel(play, name="function:newsroom_stand_in", latency=0.001)


def desks(
    search: Any = None,
    *,
    careless: bool = False,
    chatty: bool = False,
    power_cut: bool = False,
    model: Any = STAND_IN,
) -> list[Agent]:
    """The newsroom's desks, on the stand-in (``model=None``: the default model, live).

    ``search`` is the fact-checker's tool (the local `search_archive` by default); ``careless``
    leaves the fact-checker out; ``chatty`` and ``power_cut`` go to `stand_in`.
    """
    played = stand_in(power_cut=power_cut, chatty=chatty) if model == STAND_IN else model
    team = [
        Agent("writer", "You write short, factual news stories and fix what you are told.", model=played),
        Agent(
            "fact_checker",
            "You check the draft's numbers with search_archive, then say CLEARED or REVISE.",
            tools=[search if search is not None else search_archive],
            model=played,
        ),
        Agent("editor", "You publish cleared stories with the publish tool.", tools=[publish], model=played),
    ]
    return [agent for agent in team if not (careless and agent.name == "fact_checker")]


def newsroom(
    search: Any = None,
    *,
    careless: bool = False,
    chatty: bool = False,
    power_cut: bool = False,
    model: Any = STAND_IN,
    **options: Any,
) -> Team:
    """The newsroom: writer, fact-checker and editor in turn until the editor says PUBLISHED.

    The chief decides each `publish` call later (``approver="later"``: the run waits for it);
    ``options`` go to `Team` (``store=``, ``run_id=``, ``approver=``, ...). See `desks` for the rest.
    """
    team = desks(search, careless=careless, chatty=chatty, power_cut=power_cut, model=model)
    settings = {"name": "newsroom", "until": "PUBLISHED", "max_turns": 9, "approver": "later", **options}
    return Team(team, **settings)


def checking_desk_team() -> Team:
    """The writer and the fact-checker: a checked story, for other newsrooms to ask for."""
    return Team(
        desks()[:2],
        name="checking_desk",
        description="Writes a short news story and checks its numbers against the archive.",
        until="CLEARED",
        max_turns=6,
    )


# What `agentnb mcp serve agentnb.course.production:checking_desk` serves (or `agentnb a2a serve`).
checking_desk = checking_desk_team()
