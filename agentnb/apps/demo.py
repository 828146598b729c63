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
lessons use (`round_robin_newsroom`).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Annotated, Literal

from pydantic import BaseModel

from agentnb.core.agent import Agent
from agentnb.core.context import AgentContext
from agentnb.core.model import ChatMessage, Model, ModelRequest
from agentnb.core.policies import ContextPolicy, Selection
from agentnb.core.team import Team
from agentnb.core.tools import tool

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

COMMON = frozenset(  # words too common to search for or to check
    """a an the and or but nor of to in on at for with by from as is are was were be been being will would
    should can could may might must has have had do does did that this these those it its into onto over
    under than then there here their they them he she his her him we our us you your i i've my me after
    before about up out all any not no so if when where which who what while also more most very just only
    some such other new old one two said says say""".split()  # noqa: SIM905
)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
MONTHS = "january february march april may june july august september october november december".split()  # noqa: SIM905
HEADLINE = r"^[A-Z][A-Za-z0-9 ,'$.-]{9,60}$"  # words, not markup


def words(text: str) -> list[str]:
    """The words of ``text`` that carry meaning (no punctuation, no common words)."""
    bare = (w.strip(".,;:!?'\"()[]") for w in text.split())
    return [w for w in bare if len(w) > 2 and w.lower() not in COMMON]


def stem(word: str) -> str:
    """A crude stem, so that 'voted' finds 'vote' and 'parks' finds 'park'."""
    return word.lower()[:4]


@tool(blocking=False)
def search_archive(
    query: Annotated[str, "Keywords to look for, e.g. 'rail yard vote'"],
    limit: Annotated[int, "How many entries to return at most"] = 3,
) -> list[str]:
    """Search the newspaper's archive and return the best-matching dated entries."""
    stems = {stem(w) for w in words(query)}

    def score(entry: str) -> int:
        return sum(s in entry.lower() for s in stems)

    ranked = sorted(ARCHIVE, key=lambda entry: -score(entry))
    return [entry for entry in ranked[: max(limit, 0)] if score(entry)]


# ----- what each agent sees ----------------------------------------------------------------------


class Latest(ContextPolicy):
    """The role, the task (unless ``task=False``), the latest message of each of ``sources``
    (in that order) and the agent's own tool calls of this turn: nothing long and old to copy."""

    def __init__(self, *sources: str, task: bool = True) -> None:
        self.sources = sources
        self.task = task

    def select(self, ctx: AgentContext) -> Selection:
        messages = ctx.messages
        head = [0, ctx.task_index] if self.task and ctx.task_index is not None else [0]
        latest = {m["name"]: i for i, m in enumerate(messages) if m.get("name") in self.sources}
        start = len(messages)
        while start > 1 and _this_turn(messages[start - 1]):
            start -= 1
        chosen = [latest[name] for name in self.sources if name in latest]
        return Selection([*head, *chosen, *range(start, len(messages))])

    def describe(self) -> str:
        return f"Latest({', '.join(self.sources)}): the task and their latest messages"


def _this_turn(message: ChatMessage) -> bool:
    """A tool call, a tool result or a note from agentnb: what an agent did in its current turn."""
    if message["role"] == "user":
        return str(message.get("content", "")).startswith("[agentnb]")
    return message["role"] == "tool" or bool(message.get("tool_calls"))


def latest(messages: list[ChatMessage], name: str) -> str:
    """The latest message from ``name`` in a request's messages ('' if none)."""
    return next((m["content"] for m in reversed(messages) if m.get("name") == name), "")


def assignment(messages: list[ChatMessage]) -> str:
    """The task in a request's messages: the user's message ('' if the context left it out)."""
    return next((m["content"] for m in messages if m["role"] == "user" and not m.get("name")), "")


# ----- the draft and the archive, as the checks see them -----------------------------------------


def sentences(draft: str) -> list[str]:
    """The draft's finished sentences (at most six), each one claim to check."""
    parts = [p.strip() for p in re.split(r"(?<=[.!?])\s+(?=\S)|\n+", draft)]
    if parts and not parts[-1].endswith((".", "!", "?", '"', "'")):
        parts.pop()  # cut off by the reply cap
    return [p for p in parts if len(words(p)) >= 2][:6]


def phrases(draft: str) -> list[str]:
    """What the fact-checker may search for: runs of meaningful words of the draft, and names."""
    found = []
    for piece in re.split(r"[,.;:!?()\"]+(?:\s|$)|\n", draft):
        run: list[str] = []
        for word in [*piece.split(), "the"]:
            word = word.strip(".,;:!?'\"()")
            if len(word) > 2 and word.lower() not in COMMON:
                run.append(word)
                continue
            if len(run) > 1 or (run and run[0][:1].isupper()):
                found.append(" ".join(run[:4]))
            run = []
    return list(dict.fromkeys(found))[:40] or [" ".join(words(draft)[:3]) or "park"]


def numbers(text: str) -> set[str]:
    """The numbers in ``text``, a month's name as its number ('November' is '11', as in 2026-11-17)."""
    months = {f"{MONTHS.index(w.lower()) + 1:02d}" for w in words(text) if w.lower() in MONTHS}
    return set(NUMBER.findall(text)) | months


def backs(entry: str, sentence: str, task: str) -> bool:
    """Whether an archive entry can back a sentence: they share two words, at least half the
    sentence's words are in the entry or the assignment, the entry holds every number in the
    sentence, and every name in it is in the entry or the assignment."""
    said, known = {stem(w) for w in words(sentence)}, {stem(w) for w in words(f"{entry} {task}")}
    names = [w for w in words(sentence)[1:] if w[:1].isupper() and w.lower() not in MONTHS]
    return (
        len(said & {stem(w) for w in words(entry)}) >= 2
        and 2 * len(said & known) >= len(said)
        and numbers(sentence) <= numbers(entry)
        and all(n.lower() in f"{entry} {task}".lower() for n in names)
    )


def search_results(messages: list[ChatMessage]) -> tuple[list[str], list[str]]:
    """The queries of this turn's searches and the archive entries they returned."""
    queries, found = [], []
    for message in messages:
        for call in message.get("tool_calls") or ():
            queries.append(json.loads(call["function"]["arguments"] or "{}").get("query", ""))
        if message["role"] == "tool" and message["content"].startswith("["):
            found += [e for e in json.loads(message["content"]) if isinstance(e, str) and e not in found]
    return queries, found


# ----- the structured replies --------------------------------------------------------------------


class FactCheck(BaseModel):
    """For each sentence of the draft, the archive entry that backs it; and what the search found."""

    backing: dict[str, int | None]  # sentence number -> entry number, or None
    searched_for: list[str]
    found: list[str]

    def __str__(self) -> str:
        lines = [
            f"✓ sentence {i}: backed by [{n}]" if n else f"✗ sentence {i}: not in the archive"
            for i, n in self.backing.items()
        ]
        queries = " and ".join(repr(q) for q in self.searched_for)
        lines.append(f"Searched the archive for {queries} and found {len(self.found)} entries:")
        lines += [f"[{i}] {entry}" for i, entry in enumerate(self.found, 1)]
        return "\n".join(lines)


class Verdict(BaseModel):
    """The editor's decision: publish the backed sentences, or send the story back."""

    verdict: Literal["APPROVED", "REVISE"]
    keep: list[int]
    cut: list[int]

    def __str__(self) -> str:
        if self.verdict == "REVISE":
            return "REVISE: too little of it is backed. Write it again from what the fact-checker found."
        cut = f", cut {_numbers(self.cut)}" if self.cut else ""
        return f"APPROVED: print {_numbers(self.keep)}{cut}."


def _numbers(sentence_numbers: list[int]) -> str:
    listed = ", ".join(str(n) for n in sentence_numbers)
    return f"sentence{'s' if len(sentence_numbers) > 1 else ''} {listed}"


class Publication(BaseModel):
    """The headline and the story as printed."""

    headline: str
    story: str

    def __str__(self) -> str:
        return f"PUBLISHED: {self.headline}\n\n{self.story}"


# ----- each request narrowed to what the conversation allows -------------------------------------


def revise_request(request: ModelRequest) -> ModelRequest:
    """A draft sent back is written again from the archive entries the fact-checker found, and
    nothing else: not its report (a tiny model would copy its format), not the old draft. Cooler,
    shorter, and with no repeat penalty, so that the archive's words are used rather than avoided."""
    if not latest(request.messages, "editor").startswith("REVISE"):
        return request
    found = re.findall(r"^\[\d+\] (.*)$", latest(request.messages, "fact_checker"), re.M)
    facts = f"Facts from the archive: {' '.join(found)}" if found else "The archive has nothing on it."
    ask = "Use only these facts and add nothing else." if found else "Say only what the assignment says."
    rewrite = (
        f"{facts}\n\nAssignment: {assignment(request.messages)}\n\n"
        f"Write the story in three short sentences. {ask}"
    )
    settings = {**request.settings, "temperature": 0.3, "repeat_penalty": 1.0, "max_tokens": 70}
    messages = [request.messages[0], {"role": "user", "content": rewrite}]
    return replace(request, messages=messages, settings=settings)


def check_request(request: ModelRequest) -> ModelRequest:
    """Two searches for phrases of the draft; then a report that cites only what they found."""
    draft = latest(request.messages, "writer")
    queries, found = search_results(request.messages)
    if request.tools:
        unused = [p for p in phrases(draft) if p not in queries] or phrases(draft)
        query = {"type": "string", "enum": unused}
        search = request.tools[0]["function"]
        parameters = {"type": "object", "properties": {"query": query}, "required": ["query"]}
        tools = [{"type": "function", "function": {**search, "parameters": parameters}}]
        return replace(request, tools=tools, tool_choice=search["name"])
    task = assignment(request.messages)
    backing = {}
    for i, sentence in enumerate(sentences(draft), 1):
        entries = [n for n, entry in enumerate(found, 1) if backs(entry, sentence, task)]
        backing[str(i)] = {"enum": entries} if entries else {"const": None}
    schema = {
        "type": "object",
        "properties": {
            "backing": {"type": "object", "properties": backing, "required": list(backing)},
            "searched_for": {"const": queries},
            "found": {"const": found},
        },
        "required": ["backing", "searched_for", "found"],
    }
    return replace(request, output_schema=schema)


def _sentence_numbers(report: str, mark: str) -> list[int]:
    """The numbers of the sentences a fact-check marked ✓ or ✗."""
    return [int(line.split()[2].rstrip(":")) for line in report.splitlines() if line.startswith(mark)]


def verdict_request(request: ModelRequest) -> ModelRequest:
    """APPROVED when the archive backs half the sentences or more, REVISE when it backs none;
    the editor's choice in between."""
    report = latest(request.messages, "fact_checker")
    keep, cut = _sentence_numbers(report, "✓"), _sentence_numbers(report, "✗")
    if not keep:
        verdicts = ["REVISE"]
    elif len(keep) >= len(cut):
        verdicts = ["APPROVED"]
    else:
        verdicts = ["APPROVED", "REVISE"]
    schema = {
        "type": "object",
        "properties": {"verdict": {"enum": verdicts}, "keep": {"const": keep}, "cut": {"const": cut}},
        "required": ["verdict", "keep", "cut"],
    }
    return replace(request, output_schema=schema)


def headline_pattern(story: str) -> str:
    """A headline of 3 to 10 plain words that opens with a name from the story other than its
    first words: left to start anywhere, a tiny model repeats the story's opening."""
    opening = story.split()[:3]
    names = [w for w in dict.fromkeys(words(story)) if w[:1].isupper() and w not in opening][:6]
    if not names:
        return HEADLINE
    word = r"[A-Za-z0-9$][a-z0-9$.'-]{0,11}"  # one capital at most: no words run together
    return rf"^({'|'.join(re.escape(n) for n in names)})(,? {word}){{2,9}}$"


def publish_request(request: ModelRequest) -> ModelRequest:
    """The publisher writes the headline; the story is the approved draft's backed sentences."""
    keep = _sentence_numbers(latest(request.messages, "fact_checker"), "✓")
    kept = [s for i, s in enumerate(sentences(latest(request.messages, "writer")), 1) if i in keep]
    ask = {"role": "user", "content": f"{' '.join(kept)}\n\nWrite a short headline for this story."}
    schema = {
        "type": "object",
        "properties": {
            "headline": {"type": "string", "pattern": headline_pattern(" ".join(kept))},
            "story": {"const": " ".join(kept)},
        },
        "required": ["headline", "story"],
    }
    return replace(request, messages=[request.messages[0], ask], output_schema=schema)


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
