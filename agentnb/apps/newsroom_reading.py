"""What the newsroom's agents read: the archive (and its search tool), and the conversation.

Small, literal readings a 135M model's team can rely on: the words and numbers of a text,
the sentences and phrases of a draft, whether an archive entry backs a sentence, what the
search returned, and the `Latest` context policy (the task and colleagues' latest messages,
nothing long and old to copy). See `agentnb.apps.demo` for the team built on them.
"""

from __future__ import annotations

import json
import re
from typing import Annotated

from agentnb.core.context import AgentContext
from agentnb.core.model import ChatMessage
from agentnb.core.policies import ContextPolicy, Selection
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

COMMON = frozenset(  # words too common to search for or to check
    """a an the and or but nor of to in on at for with by from as is are was were be been being will would
    should can could may might must has have had do does did that this these those it its into onto over
    under than then there here their they them he she his her him we our us you your i i've my me after
    before about up out all any not no so if when where which who what while also more most very just only
    some such other new old one two said says say""".split()  # noqa: SIM905
)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
MONTHS = "january february march april may june july august september october november december".split()  # noqa: SIM905


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
